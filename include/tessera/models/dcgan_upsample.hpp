// DCGAN, the upsampling form of seed 003: the generator enlarges a linear projection with nearest
// upsampling and 3x3 convolutions instead of transposed convolutions; the discriminator is four
// strided 3x3 convolution blocks and a linear "adversarial layer". The seed writes the generator
// with one attribute per layer (`self.lin`, `self.bn1`, `self.up1`, `self.cn1`, ...) and the
// discriminator as `self.disc_model` (an nn.Sequential) and `self.adverse_lyr`; the names here are
// the same: "lin.0.weight", "bn1.running_mean", "cn3.bias", "disc_model.6.weight",
// "adverse_lyr.0.bias". `BatchNorm2d(c, 0.8)` is eps = 0.8 (SEEDS.md, "Details settled").
//   Model<models::DcganUpsampleGenerator<>, Shape<64>> g;             // 1x64x64: 2,352,513 parameters
//   Model<models::DcganUpsampleDiscriminator<>, Shape<1, 64, 64>> d;  // (0, 1): 99,649 parameters
// Width (128) and the discriminator's first width (16, doubling) are parameters so that tests can
// run narrow copies; the defaults are the seed's.
#pragma once

#include "tessera/compose/named.hpp"
#include "tessera/compose/sequential.hpp"
#include "tessera/layers/batch_norm2d.hpp"
#include "tessera/layers/conv2d.hpp"
#include "tessera/layers/dropout2d.hpp"
#include "tessera/layers/leaky_relu.hpp"
#include "tessera/layers/linear.hpp"
#include "tessera/layers/reshape.hpp"
#include "tessera/layers/sigmoid.hpp"
#include "tessera/layers/tanh.hpp"
#include "tessera/layers/upsample.hpp"

namespace tessera::models {

// latent -> Shape<Channels, ImageSize, ImageSize> in [-1, 1]; the latent size comes from the input.
template <int Channels = 1, int ImageSize = 64, int Width = 128>
using DcganUpsampleGenerator = Sequential<
    Named<"lin", Sequential<Linear<Width * (ImageSize / 4) * (ImageSize / 4)>>>,
    Reshape<Shape<Width, ImageSize / 4, ImageSize / 4>>,  // x.view(n, 128, s, s): no module, no name
    Named<"bn1", BatchNorm2d<>>, Named<"up1", Upsample<2>>, Named<"cn1", Conv2d<Width, 3, 1, 1>>,
    Named<"bn2", BatchNorm2d<0.8>>, Named<"rl1", LeakyReLU<0.2>>, Named<"up2", Upsample<2>>,
    Named<"cn2", Conv2d<Width / 2, 3, 1, 1>>, Named<"bn3", BatchNorm2d<0.8>>, Named<"rl2", LeakyReLU<0.2>>,
    Named<"cn3", Conv2d<Channels, 3, 1, 1>>, Named<"act", Tanh>>;

// disc_module(c, c'): Conv(c, c', 3, 2, 1), LeakyReLU(0.2), Dropout2d(0.25) [, BatchNorm2d(c', 0.8)]
// -- the seed's order (SEEDS.md, "Details settled").
template <int C>
using DcganUpsampleDiscBlock = Sequential<Conv2d<C, 3, 2, 1>, LeakyReLU<0.2>, Dropout2d<0.25>, BatchNorm2d<0.8>>;

// Shape<C, H, W> (H, W divisible by 16) -> Shape<1>, a probability.
template <int Width = 16>
using DcganUpsampleDiscriminator = Sequential<
    Named<"disc_model", Join<Sequential<Conv2d<Width, 3, 2, 1>, LeakyReLU<0.2>, Dropout2d<0.25>>,
                             DcganUpsampleDiscBlock<Width * 2>, DcganUpsampleDiscBlock<Width * 4>,
                             DcganUpsampleDiscBlock<Width * 8>>>,
    Flatten,  // x.view(n, -1)
    Named<"adverse_lyr", Sequential<Linear<1>, Sigmoid>>>;

}  // namespace tessera::models
