// CycleGAN (seed 004): a ResNet generator (reflection-padded 7x7 stem, two stride-2 downsamplings,
// residual blocks, two transposed-convolution upsamplings, 7x7 head) and the 70x70-style
// discriminator whose patch scores are averaged to one number per image. Layers sit in
// `self.model` and each residual block keeps its layers in `conv_block`, so the names are those
// of the widely used PyTorch CycleGAN implementation ("model.10.conv_block.1.weight", ...).
//   Model<models::CycleganGenerator<>, Shape<3, 256, 256>> g;      // 11,378,179 parameters
//   Model<models::CycleganDiscriminator<>, Shape<3, 256, 256>> d;  // 2,764,737 parameters
// The arguments of the PyTorch classes are template parameters: the generator's output channels,
// residual blocks (n_blocks: 9 for 256x256, 6 for 128x128) and width Ngf (ngf, the stem's
// channels, 2 Ngf and 4 Ngf after the two downsamplings); the discriminator's width (ndf). The
// input channels are the input shape's. examples/cyclegan.cpp trains
// CycleganGenerator<1, 6, 16> and CycleganDiscriminator<32> on 32x32 garments.
#pragma once

#include "tessera/compose/named.hpp"
#include "tessera/compose/residual.hpp"
#include "tessera/compose/sequential.hpp"
#include "tessera/layers/conv2d.hpp"
#include "tessera/layers/conv_transpose2d.hpp"
#include "tessera/layers/global_avg_pool2d.hpp"
#include "tessera/layers/instance_norm2d.hpp"
#include "tessera/layers/leaky_relu.hpp"
#include "tessera/layers/reflection_pad2d.hpp"
#include "tessera/layers/relu.hpp"
#include "tessera/layers/reshape.hpp"
#include "tessera/layers/tanh.hpp"

namespace tessera::models {

// x + [ReflectionPad(1), Conv(C, C, 3), IN, ReLU, ReflectionPad(1), Conv(C, C, 3), IN](x)
template <int C>
using CycleganResidualBlock =
    Residual<Named<"conv_block", Sequential<ReflectionPad2d<1>, Conv2d<C, 3>, InstanceNorm2d<>, ReLU,
                                            ReflectionPad2d<1>, Conv2d<C, 3>, InstanceNorm2d<>>>>;

template <int OutChannels = 3, int ResidualBlocks = 9, int Ngf = 64>
using CycleganGenerator =
    Named<"model",
          Join<Sequential<ReflectionPad2d<3>, Conv2d<Ngf, 7>, InstanceNorm2d<>, ReLU,  // stem
                          Conv2d<2 * Ngf, 3, 2, 1>, InstanceNorm2d<>, ReLU,            // down
                          Conv2d<4 * Ngf, 3, 2, 1>, InstanceNorm2d<>, ReLU>,
               Repeat<ResidualBlocks, CycleganResidualBlock<4 * Ngf>>,
               Sequential<ConvTranspose2d<2 * Ngf, 3, 2, 1, 1>, InstanceNorm2d<>, ReLU,  // up
                          ConvTranspose2d<Ngf, 3, 2, 1, 1>, InstanceNorm2d<>, ReLU,
                          ReflectionPad2d<3>, Conv2d<OutChannels, 7>, Tanh>>>;  // head

template <int Features = 64>
using CycleganDiscriminator =
    Sequential<Named<"model", Sequential<Conv2d<Features, 4, 2, 1>, LeakyReLU<0.2>,                          //
                                         Conv2d<Features * 2, 4, 2, 1>, InstanceNorm2d<>, LeakyReLU<0.2>,  //
                                         Conv2d<Features * 4, 4, 2, 1>, InstanceNorm2d<>, LeakyReLU<0.2>,  //
                                         Conv2d<Features * 8, 4, 1, 1>, InstanceNorm2d<>, LeakyReLU<0.2>,  //
                                         Conv2d<1, 4, 1, 1>>>,
               GlobalAvgPool2d, Reshape<Shape<>>>;

}  // namespace tessera::models
