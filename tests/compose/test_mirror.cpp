// Mirror and Autoencoder (compose/mirror.hpp): decoders derived from encoders, with their shapes
// proved at compile time, and the seed-001 autoencoders of SEEDS.md's table.
#include <catch2/catch.hpp>

#include <type_traits>

#include <tessera/compose/mirror.hpp>
#include <tessera/tessera.hpp>

namespace ts = tessera;

// (a) Dense: 784 -> 400 -> 20, mirrored 20 -> 400 -> 784.
using DenseEncoder = ts::Sequential<ts::Linear<400>, ts::ReLU, ts::Linear<20>>;
using DenseMirror = ts::Mirror<DenseEncoder, ts::Shape<784>, ts::Sigmoid>;
static_assert(std::is_same_v<DenseMirror::decoder, ts::Sequential<ts::Linear<400>, ts::ReLU, ts::Linear<784>, ts::Sigmoid>>);
static_assert(std::is_same_v<ts::Mirror<DenseEncoder, ts::Shape<784>>::decoder,
                             ts::Sequential<ts::Linear<400>, ts::ReLU, ts::Linear<784>>>);
using DenseAe = ts::Model<ts::Autoencoder<DenseEncoder, ts::Shape<784>, ts::Sigmoid>, ts::Shape<784>>;
static_assert(DenseAe::output_shape == ts::Shape<784>{});
static_assert(DenseAe::parameter_count == 2 * (784 * 400 + 400 * 20) + 400 + 20 + 400 + 784);

// (b) Convolutional: SEEDS.md's conv_ae_s001, Conv(1,16,3,2,1), ReLU, Conv(16,32,3,2,1), ReLU,
// Conv(32,64,7) | ConvT(64,32,7), ReLU, ConvT(32,16,3,2,1,op 1), ReLU, ConvT(16,1,3,2,1,op 1), Sigmoid.
using ConvEncoder = ts::Sequential<ts::Conv2d<16, 3, 2, 1>, ts::ReLU, ts::Conv2d<32, 3, 2, 1>, ts::ReLU, ts::Conv2d<64, 7>>;
using ConvMirror = ts::Mirror<ConvEncoder, ts::Shape<1, 28, 28>, ts::Sigmoid>;
static_assert(std::is_same_v<ConvMirror::decoder,
                             ts::Sequential<ts::ConvTranspose2d<32, 7>, ts::ReLU, ts::ConvTranspose2d<16, 3, 2, 1, 1>,
                                            ts::ReLU, ts::ConvTranspose2d<1, 3, 2, 1, 1>, ts::Sigmoid>>);
using ConvAe = ts::Model<ts::Autoencoder<ConvEncoder, ts::Shape<1, 28, 28>, ts::Sigmoid>, ts::Shape<1, 28, 28>>;
static_assert(ConvAe::output_shape == ts::Shape<1, 28, 28>{});
static_assert(ConvAe::parameter_count == 210'369);  // SEEDS.md: conv_ae_s001

// An odd size and a level with a norm and an activation: 27 -> 14 -> 7 and back, where both
// transposed convolutions need output_padding 0 (a 28x28 input would need 1 at the last).
using OddEncoder = ts::Sequential<ts::Conv2d<8, 3, 2, 1>, ts::BatchNorm2d<>, ts::LeakyReLU<0.2>, ts::Conv2d<16, 4, 2, 1>>;
using OddMirror = ts::Mirror<OddEncoder, ts::Shape<3, 27, 27>, ts::Tanh>;
static_assert(std::is_same_v<OddMirror::decoder,
                             ts::Sequential<ts::ConvTranspose2d<8, 4, 2, 1, 0>, ts::BatchNorm2d<>, ts::LeakyReLU<0.2>,
                                            ts::ConvTranspose2d<3, 3, 2, 1, 0>, ts::Tanh>>);
static_assert(ts::Model<ts::Autoencoder<OddEncoder, ts::Shape<3, 27, 27>>, ts::Shape<3, 27, 27>>::output_shape ==
              ts::Shape<3, 27, 27>{});

TEST_CASE("Mirror: autoencoders run and name encoder and decoder", "[compose][mirror]") {
  ConvAe ae;
  const auto& t = ae.tensors();
  CHECK(t.front().name == "encoder.0.weight");
  CHECK(t.back().name == "decoder.4.bias");
  CHECK(t.back().dims == ts::Dims{1});
  ae.eval();
  ts::Tensor<ts::Shape<1, 28, 28>> x(2, 0.5f);
  const auto y = ae.forward(x);
  REQUIRE(y.batch() == 2);
  for (std::size_t i = 0; i < y.size(); ++i) REQUIRE((y[i] > 0.0f && y[i] < 1.0f));  // Sigmoid

  DenseAe dense;
  CHECK(dense.tensors()[4].name == "decoder.0.weight");
  CHECK(dense.tensors()[4].dims == ts::Dims{400, 20});
}
