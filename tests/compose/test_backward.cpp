// Backward of the combinators, checked with finite differences (tests/support/gradcheck.hpp).
#include <catch2/catch.hpp>

#include "../support/gradcheck.hpp"

namespace ts = tessera;
using ts::testing::check_gradients;

TEST_CASE("Sequential of Linear and ReLU: gradients of input, weights and biases") {
  check_gradients<ts::Sequential<ts::Linear<5>, ts::ReLU, ts::Linear<3>, ts::ReLU, ts::Linear<2>>,
                  ts::Shape<4>>();
}

TEST_CASE("a Sequential nested in a Sequential") {
  check_gradients<ts::Sequential<ts::Linear<5>, ts::Sequential<ts::ReLU, ts::Linear<6>>, ts::Linear<2>>,
                  ts::Shape<3>>();
}

TEST_CASE("Residual adds the skip's gradient") {
  check_gradients<ts::Residual<ts::Sequential<ts::Linear<4>, ts::ReLU, ts::Linear<4>>>, ts::Shape<4>>();
}

TEST_CASE("CatBranches of branches sums the input gradients and splits the output gradient") {
  check_gradients<ts::Sequential<ts::CatBranches<ts::Identity, ts::Linear<3>, ts::Sequential<ts::Linear<2>, ts::ReLU>>,
                                 ts::Linear<2>>,
                  ts::Shape<4>>();
}

TEST_CASE("multi-input (Parallel + Cat) and multi-output (Heads) models") {
  using Net = ts::Sequential<ts::Parallel<ts::Linear<3>, ts::Identity>, ts::Cat, ts::Linear<4>,
                             ts::Heads<ts::Linear<2>, ts::Sequential<ts::ReLU, ts::Linear<3>>>>;
  check_gradients<Net, ts::Shapes<ts::Shape<2>, ts::Shape<5>>>();
}

// The templates built from the combinators above, at toy sizes.
namespace unet_parts {
template <int C>
using DoubleConv = ts::Sequential<ts::Conv2d<C, 3>, ts::BatchNorm2d<>, ts::ReLU, ts::Conv2d<C, 3>, ts::ReLU>;
template <int C>
using Up = ts::ConvTranspose2d<C, 4, 2, 1>;
template <int C>
using SameConv = ts::Sequential<ts::Conv2d<C, 3, 1, 1>, ts::ReLU>;
}  // namespace unet_parts

TEST_CASE("UNet: valid convolutions with cropped skips, and same-size ones with resized skips") {
  using namespace unet_parts;
  ts::testing::GradCheck opt;
  opt.batch = 2;
  check_gradients<ts::UNet<ts::Levels<2>, DoubleConv, ts::MaxPool2d<2>, Up, ts::CropConcat, DoubleConv<4>,
                           ts::Conv2d<2, 1>>,
                  ts::Shape<1, 20, 20>>(opt);
  check_gradients<ts::UNet<ts::Levels<2, 3>, SameConv, ts::MaxPool2d<2>, Up, ts::ResizeConcat, SameConv<4>,
                           ts::Conv2d<2, 3, 1, 1>>,
                  ts::Shape<1, 8, 8>>(opt);
}

TEST_CASE("UBlock: pix2pix's recursive skip, both concatenation orders") {
  using Inner = ts::UBlock<ts::Conv2d<3, 4, 2, 1>, ts::Innermost, ts::ConvTranspose2d<3, 4, 2, 1>>;
  check_gradients<ts::UBlock<ts::Sequential<ts::Conv2d<3, 4, 2, 1>, ts::LeakyReLU<0.2>>, Inner,
                             ts::Sequential<ts::ReLU, ts::ConvTranspose2d<2, 4, 2, 1>, ts::InstanceNorm2d<true>>>,
                  ts::Shape<2, 8, 8>>();
  check_gradients<ts::UBlock<ts::Conv2d<4, 4, 2, 1>, ts::Innermost, ts::ConvTranspose2d<5, 4, 2, 1>,
                             ts::UpFirst<ts::PlainConcat>>,
                  ts::Shape<3, 6, 6>>();
}

TEST_CASE("Mirror: an autoencoder whose decoder is derived from its encoder") {
  using Encoder = ts::Sequential<ts::Conv2d<3, 3, 2, 1>, ts::ReLU, ts::Conv2d<4, 3>>;
  check_gradients<ts::Autoencoder<Encoder, ts::Shape<1, 9, 9>, ts::Sigmoid>, ts::Shape<1, 9, 9>>();
  check_gradients<ts::Autoencoder<ts::Sequential<ts::Linear<5>, ts::ReLU, ts::Linear<2>>, ts::Shape<7>, ts::Tanh>,
                  ts::Shape<7>>();
}
