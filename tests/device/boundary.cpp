// The device boundary, proved at compile time: every layer, combinator and seed model, bound in a
// Model on a device whose memory the host cannot touch (tests/support/opaque_device.hpp), with
// every Model member that touches memory instantiated. Compiled with -fsyntax-only by ctest
// (device.boundary): a layer that reads device memory on the host, or hands an op host memory,
// stops this file from compiling. Nothing here runs.
#include "../support/opaque_device.hpp"

// Every op the layers, combinators and Model call, declared for the Opaque device.
TESSERA_OPAQUE_OP(void, map)
TESSERA_OPAQUE_OP(void, map_backward)
TESSERA_OPAQUE_OP(void, copy)
TESSERA_OPAQUE_OP(void, fill)
TESSERA_OPAQUE_OP(void, accumulate)
TESSERA_OPAQUE_OP(void, add)
TESSERA_OPAQUE_OP(void, blend)
TESSERA_OPAQUE_OP(void, scale)
TESSERA_OPAQUE_OP(void, linear_forward)
TESSERA_OPAQUE_OP(void, linear_backward)
TESSERA_OPAQUE_OP(void, conv2d_forward)
TESSERA_OPAQUE_OP(void, conv2d_backward)
TESSERA_OPAQUE_OP(void, conv_transpose2d_forward)
TESSERA_OPAQUE_OP(void, conv_transpose2d_backward)
TESSERA_OPAQUE_OP(void, batch_norm_forward)
TESSERA_OPAQUE_OP(void, batch_norm_backward)
TESSERA_OPAQUE_OP(void, instance_norm_forward)
TESSERA_OPAQUE_OP(void, instance_norm_backward)
TESSERA_OPAQUE_OP(void, layer_norm_forward)
TESSERA_OPAQUE_OP(void, layer_norm_backward)
TESSERA_OPAQUE_OP(void, dropout_forward)
TESSERA_OPAQUE_OP(void, dropout_backward)
TESSERA_OPAQUE_OP(void, embedding_forward)
TESSERA_OPAQUE_OP(void, embedding_backward)
TESSERA_OPAQUE_OP(void, concat_forward)
TESSERA_OPAQUE_OP(void, concat_backward)
TESSERA_OPAQUE_OP(void, softmax_forward)
TESSERA_OPAQUE_OP(void, softmax_backward)
TESSERA_OPAQUE_OP(void, log_softmax_forward)
TESSERA_OPAQUE_OP(void, log_softmax_backward)
TESSERA_OPAQUE_OP(void, reparameterize_forward)
TESSERA_OPAQUE_OP(void, reparameterize_backward)
TESSERA_OPAQUE_OP(void, max_pool2d_forward)
TESSERA_OPAQUE_OP(void, max_pool2d_backward)
TESSERA_OPAQUE_OP(void, avg_pool2d_forward)
TESSERA_OPAQUE_OP(void, avg_pool2d_backward)
TESSERA_OPAQUE_OP(void, global_avg_pool2d_forward)
TESSERA_OPAQUE_OP(void, global_avg_pool2d_backward)
TESSERA_OPAQUE_OP(void, constant_pad2d_forward)
TESSERA_OPAQUE_OP(void, constant_pad2d_backward)
TESSERA_OPAQUE_OP(void, reflection_pad2d_forward)
TESSERA_OPAQUE_OP(void, reflection_pad2d_backward)
TESSERA_OPAQUE_OP(void, upsample_nearest2d_forward)
TESSERA_OPAQUE_OP(void, upsample_nearest2d_backward)
TESSERA_OPAQUE_OP(void, upsample_bilinear2d_forward)
TESSERA_OPAQUE_OP(void, upsample_bilinear2d_backward)
TESSERA_OPAQUE_OP(void, spectral_norm_forward)
TESSERA_OPAQUE_OP(void, spectral_norm_backward)

// What a convolution keeps between calls on this device (a real backend: its planned primitives).
#include "tessera/ops/window.hpp"
namespace tessera::ops {
template <class Dev, class T>
struct ConvPlan;
template <class T>
struct ConvPlan<testing::Opaque, T> {
  static constexpr std::size_t scratch(const WindowGeometry&, bool) { return 0; }
};
}  // namespace tessera::ops

#include "tessera/compose/branches.hpp"
#include "tessera/compose/concat.hpp"
#include "tessera/compose/mirror.hpp"
#include "tessera/compose/named.hpp"
#include "tessera/compose/residual.hpp"
#include "tessera/compose/sequential.hpp"
#include "tessera/compose/ublock.hpp"
#include "tessera/compose/unet.hpp"
#include "tessera/layers/avg_pool2d.hpp"
#include "tessera/layers/batch_norm1d.hpp"
#include "tessera/layers/batch_norm2d.hpp"
#include "tessera/layers/center_crop.hpp"
#include "tessera/layers/conv2d.hpp"
#include "tessera/layers/conv_transpose2d.hpp"
#include "tessera/layers/dropout.hpp"
#include "tessera/layers/dropout2d.hpp"
#include "tessera/layers/elu.hpp"
#include "tessera/layers/embedding.hpp"
#include "tessera/layers/fade_in.hpp"
#include "tessera/layers/flatten_pack.hpp"
#include "tessera/layers/global_avg_pool2d.hpp"
#include "tessera/layers/identity.hpp"
#include "tessera/layers/instance_norm2d.hpp"
#include "tessera/layers/layer_norm.hpp"
#include "tessera/layers/leaky_relu.hpp"
#include "tessera/layers/linear.hpp"
#include "tessera/layers/log_softmax.hpp"
#include "tessera/layers/max_pool2d.hpp"
#include "tessera/layers/reflection_pad2d.hpp"
#include "tessera/layers/relu.hpp"
#include "tessera/layers/reparameterize.hpp"
#include "tessera/layers/reshape.hpp"
#include "tessera/layers/resize.hpp"
#include "tessera/layers/select.hpp"
#include "tessera/layers/sigmoid.hpp"
#include "tessera/layers/softmax.hpp"
#include "tessera/layers/spectral_norm.hpp"
#include "tessera/layers/tanh.hpp"
#include "tessera/layers/upsample.hpp"
#include "tessera/layers/zero_pad2d.hpp"
#include "tessera/model.hpp"
#include "tessera/models/autoencoder.hpp"
#include "tessera/models/cgan.hpp"
#include "tessera/models/cgan002.hpp"
#include "tessera/models/cyclegan.hpp"
#include "tessera/models/dcgan.hpp"
#include "tessera/models/dcgan_upsample.hpp"
#include "tessera/models/fashion_classifier.hpp"
#include "tessera/models/infogan.hpp"
#include "tessera/models/mlp_gan.hpp"
#include "tessera/models/patchgan.hpp"
#include "tessera/models/pix2pix.hpp"
#include "tessera/models/unet.hpp"
#include "tessera/models/vae.hpp"
#include "tessera/models/wgan.hpp"

namespace ts = tessera;
using ts::Shape;
using ts::Shapes;
using ts::testing::Opaque;

// The layers no seed model uses, in one network.
using Zoo =
    ts::Sequential<ts::Conv2d<4, 3, 1, 1>, ts::ZeroPad2d<1>, ts::AvgPool2d<2>,
                   ts::ReflectionPad2d<1>, ts::ELU<>,
                   ts::Branches<ts::Identity, ts::Sequential<ts::Conv2d<4, 1>, ts::Sigmoid>>,
                   ts::FadeIn, ts::CenterCrop<4, 4>, ts::Resize<6, 6>, ts::Upsample<2>,
                   ts::Residual<ts::Sequential<ts::Conv2d<4, 3, 1, 1>, ts::InstanceNorm2d<>>>,
                   ts::Dropout2d<0.2>, ts::GlobalAvgPool2d, ts::BatchNorm1d<>, ts::Dropout<0.5>,
                   ts::Linear<12>, ts::Reshape<Shape<3, 4>>, ts::LayerNorm<1>,
                   ts::LayerNorm<ts::all_dims, 1e-5, false>, ts::Flatten, ts::LogSoftmax>;
using Packs = ts::Sequential<ts::Parallel<ts::Branches<ts::Linear<4>, ts::Linear<4>>, ts::Identity>,
                             ts::FlattenPack, ts::Select<2, 0>, ts::Cat>;
using Spectral = ts::Sequential<ts::SpectralNorm<ts::Conv2d<4, 4, 2, 1>>, ts::LeakyReLU<0.1>, ts::Flatten,
                                ts::SpectralNorm<ts::Linear<1, ts::no_bias>, 2>>;
using Mirrored = ts::Autoencoder<ts::Sequential<ts::Conv2d<4, 3, 2, 1>, ts::LeakyReLU<0.2>>,
                                 Shape<1, 8, 8>, ts::Tanh>;

// Every member of a Model on the Opaque device: the explicit instantiation compiles the ordinary
// members (construction, initialisation, zero_grad, save, load, summary, modes), exercise() the
// templated ones (forward, backward, predict) with views of device memory, and save_models.
template <class Spec, class In, class T = float>
void exercise() {
  using M = ts::Model<Spec, In, Opaque, T>;
  M model;
  auto view = []<class S>(std::type_identity<S>) {
    return ts::View<S, const T, Opaque>(nullptr, 1);
  };
  auto views = [&]<class... S>(std::type_identity<Shapes<S...>>) {
    return std::tuple{view(std::type_identity<S>{})...};
  };
  auto call = [&](auto f, auto shape) {
    if constexpr (ts::SingleShape<typename decltype(shape)::type>)
      return f(view(shape));
    else
      return std::apply(f, views(shape));
  };
  call([&](auto... x) { return model.forward(x...); }, std::type_identity<In>{});
  call([&](auto... x) { return model.predict(x...); }, std::type_identity<In>{});
  call([&](auto... dy) { model.backward(dy...); }, std::type_identity<typename M::Output>{});
  call([&](auto... dy) { return model.backward_to_input(dy...); },
       std::type_identity<typename M::Output>{});
  ts::save_models("never_written.safetensors", {{"m", model}});
}

#define TESSERA_ON_OPAQUE(Spec, ...)                          \
  template class ts::Model<Spec, __VA_ARGS__, Opaque, float>; \
  template void exercise<Spec, __VA_ARGS__>();

namespace models = ts::models;
TESSERA_ON_OPAQUE(Zoo, Shape<3, 8, 8>)
TESSERA_ON_OPAQUE(Packs, Shapes<Shape<6>, Shape<4>>)
TESSERA_ON_OPAQUE(Spectral, Shape<3, 8, 8>)
TESSERA_ON_OPAQUE(Mirrored, Shape<1, 8, 8>)
TESSERA_ON_OPAQUE(models::SeedUNet<>, Shape<1, 572, 572>)
TESSERA_ON_OPAQUE(models::PaperUNet<>, Shape<1, 572, 572>)
TESSERA_ON_OPAQUE(models::Pix2PixGenerator003<>, Shape<3, 256, 256>)
TESSERA_ON_OPAQUE(models::Pix2PixGenerator000<>, Shape<3, 256, 256>)
TESSERA_ON_OPAQUE(models::Pix2PixDiscriminator003<>, Shapes<Shape<3, 256, 256>, Shape<3, 256, 256>>)
TESSERA_ON_OPAQUE(models::Pix2PixDiscriminator000<>, Shape<3, 256, 256>)
TESSERA_ON_OPAQUE(models::CycleganGenerator<>, Shape<3, 256, 256>)
TESSERA_ON_OPAQUE(models::CycleganDiscriminator<>, Shape<3, 256, 256>)
TESSERA_ON_OPAQUE(models::DcganGenerator<>, Shape<100, 1, 1>)
TESSERA_ON_OPAQUE(models::DcganDiscriminator<>, Shape<3, 64, 64>)
TESSERA_ON_OPAQUE(models::DcganUpsampleGenerator<>, Shape<64>)
TESSERA_ON_OPAQUE(models::DcganUpsampleDiscriminator<>, Shape<1, 64, 64>)
TESSERA_ON_OPAQUE(models::InfoganGenerator<>, Shapes<Shape<62>, Shape<10>, Shape<2>>)
TESSERA_ON_OPAQUE(models::InfoganDiscriminator002<>, Shape<1, 32, 32>)
TESSERA_ON_OPAQUE(models::MlpGanGenerator<>, Shape<64>)
TESSERA_ON_OPAQUE(models::MlpGanDiscriminator<>, Shape<784>)
TESSERA_ON_OPAQUE(models::Vae<>, Shapes<Shape<784>, Shape<20>>)
TESSERA_ON_OPAQUE(models::CganGenerator002<>, Shapes<Shape<100>, Shape<>>)
TESSERA_ON_OPAQUE(models::CganDiscriminator002<>, Shapes<Shape<1, 28, 28>, Shape<>>)
TESSERA_ON_OPAQUE(models::WganCritic<>, Shape<3, 64, 64>)
TESSERA_ON_OPAQUE(models::ConvAutoencoder<>, Shape<1, 28, 28>)
TESSERA_ON_OPAQUE(models::FashionClassifier, Shape<1, 28, 28>)
// Double precision takes the same paths.
template class ts::Model<models::DcganDiscriminator<>, Shape<3, 64, 64>, Opaque, double>;
template void exercise<models::DcganDiscriminator<>, Shape<3, 64, 64>, double>();
template class ts::Model<Spectral, Shape<3, 8, 8>, Opaque, double>;
template void exercise<Spectral, Shape<3, 8, 8>, double>();
