// The two pix2pix discriminators of SEEDS.md (the generators are in models/pix2pix.hpp).
//
// Seed 003's PatchGAN on an image pair: cat(real, translated) on channels (6 for RGB pairs), four
// Conv(4, 2, 1) blocks with InstanceNorm (not in the first) and LeakyReLU(0.2), then
// ZeroPad2d((1, 0, 1, 0)) and Conv(512, 1, 4, padding 1): one score per 16x16 patch at 256x256.
// The seed keeps its blocks in Python lists and creates the pad and the last conv inside forward,
// so PyTorch would register none of them; as SEEDS.md settles, they are registered once: the
// blocks as nn.Sequential attributes `lyr1`..`lyr4` ("lyr1.0.weight", "lyr2.0.bias", ...; the
// InstanceNorms have no parameters), the pad and conv as `zero_pad` and `conv_layer_1` (chosen
// here, after the seed's generator, which names its own final pad and conv so): "conv_layer_1.weight".
//   Model<models::Pix2PixDiscriminator003<>, Shapes<Shape<3, 256, 256>, Shape<3, 256, 256>>> d;
//   // Shape<1, 16, 16>: 2,767,809 parameters; d.forward(real_image, translated_image)
//
// Seed 000's BEGAN-style discriminator D(nc=3, ndf=64, hidden_size=64): an autoencoder whose
// output has its input's shape. Encoder: conv1 (Conv 3x3, ELU), three conv_blocks (two Conv 3x3 +
// ELU, a 1x1 Conv to the new width, AvgPool2d(2)) at widths ndf, 2 ndf, 3 ndf; `encode` and
// `decode` 1x1 convolutions through hidden_size; decoder: three deconv_blocks (two Conv 3x3 + ELU,
// nearest Upsample x2) and deconv1 (two Conv 3x3 + ELU, Conv 3x3 to nc, Tanh). Names are the
// seed's attributes: "conv1.0.weight", "conv2.4.bias", "encode.weight", "deconv4.2.weight", ...
//   Model<models::Pix2PixDiscriminator000<>, Shape<3, 256, 256>> d;   // 795,587 parameters
#pragma once

#include "tessera/compose/concat.hpp"
#include "tessera/compose/named.hpp"
#include "tessera/compose/sequential.hpp"
#include "tessera/layers/avg_pool2d.hpp"
#include "tessera/layers/conv2d.hpp"
#include "tessera/layers/elu.hpp"
#include "tessera/layers/instance_norm2d.hpp"
#include "tessera/layers/leaky_relu.hpp"
#include "tessera/layers/tanh.hpp"
#include "tessera/layers/upsample.hpp"
#include "tessera/layers/zero_pad2d.hpp"

namespace tessera::models {

// disc_conv_block(in, out, norm): Conv(in, out, 4, 2, 1) [, InstanceNorm2d(out)], LeakyReLU(0.2)
template <int C>
using PatchBlock = Sequential<Conv2d<C, 4, 2, 1>, InstanceNorm2d<>, LeakyReLU<0.2>>;

// (real_image, translated_image) -> Shape<1, H/16, W/16>.
template <int Features = 64>
using Pix2PixDiscriminator003 = Sequential<
    Cat,  // torch.cat((real_image, translated_image), 1)
    Named<"lyr1", Sequential<Conv2d<Features, 4, 2, 1>, LeakyReLU<0.2>>>,
    Named<"lyr2", PatchBlock<Features * 2>>, Named<"lyr3", PatchBlock<Features * 4>>,
    Named<"lyr4", PatchBlock<Features * 8>>, Named<"zero_pad", ZeroPad2d<1, 0, 1, 0>>,
    Named<"conv_layer_1", Conv2d<1, 4, 1, 1>>>;

// conv_block(in, out): Conv(in, in, 3, 1, 1), ELU, Conv(in, in, 3, 1, 1), ELU, Conv(in, out, 1), AvgPool2d(2)
template <int In, int Out>
using BeganConvBlock =
    Sequential<Conv2d<In, 3, 1, 1>, ELU<>, Conv2d<In, 3, 1, 1>, ELU<>, Conv2d<Out, 1>, AvgPool2d<2>>;

// deconv_block(in, out): Conv(in, out, 3, 1, 1), ELU, Conv(out, out, 3, 1, 1), ELU, UpsamplingNearest2d(2)
template <int Out>
using BeganDeconvBlock = Sequential<Conv2d<Out, 3, 1, 1>, ELU<>, Conv2d<Out, 3, 1, 1>, ELU<>, Upsample<2>>;

// Shape<Channels, H, W> (H, W divisible by 8) -> Shape<Channels, H, W> in [-1, 1].
template <int Channels = 3, int Ndf = 64, int Hidden = 64>
using Pix2PixDiscriminator000 = Sequential<
    Named<"conv1", Sequential<Conv2d<Ndf, 3, 1, 1>, ELU<>>>,
    Named<"conv2", BeganConvBlock<Ndf, Ndf>>, Named<"conv3", BeganConvBlock<Ndf, Ndf * 2>>,
    Named<"conv4", BeganConvBlock<Ndf * 2, Ndf * 3>>,
    Named<"encode", Conv2d<Hidden, 1>>, Named<"decode", Conv2d<Ndf, 1>>,
    Named<"deconv4", BeganDeconvBlock<Ndf>>, Named<"deconv3", BeganDeconvBlock<Ndf>>,
    Named<"deconv2", BeganDeconvBlock<Ndf>>,
    Named<"deconv1", Sequential<Conv2d<Ndf, 3, 1, 1>, ELU<>, Conv2d<Ndf, 3, 1, 1>, ELU<>,
                                Conv2d<Channels, 3, 1, 1>, Tanh>>>;

}  // namespace tessera::models
