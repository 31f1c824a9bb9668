// The U-Net of seeds 000 and 001 (the course's `Unet` class): four levels 64-128-256-512 of
// DoubleConv2d (two valid 3x3 convolutions without bias, each followed by BatchNorm and ReLU),
// MaxPool2d(2) down, ConvTranspose2d(2C, C, 4, 2, 1) up, bottleneck DoubleConv2d(512, 1024) and a
// 3x3 head to two classes. The parameter names are those of the seed's PyTorch class
// ("encoder_conv.0.conv.0.weight", "decoder_up.3.bias", "bottleneck.conv.4.running_var",
// "output.weight", ...), so its state_dict loads as it is.
//   Model<models::SeedUNet<>, Shape<1, 572, 572>> net;    // -> Shape<2, 388, 388>, 39,393,410 parameters
#pragma once

#include "tessera/compose/named.hpp"
#include "tessera/compose/sequential.hpp"
#include "tessera/compose/unet.hpp"
#include "tessera/layers/batch_norm2d.hpp"
#include "tessera/layers/conv2d.hpp"
#include "tessera/layers/conv_transpose2d.hpp"
#include "tessera/layers/max_pool2d.hpp"
#include "tessera/layers/relu.hpp"

namespace tessera::models {

// The seed's DoubleConv2d(in, C): its layers sit in `self.conv`.
template <int C>
using DoubleConv2d = Sequential<Named<"conv", Sequential<Conv2d<C, 3, 1, 0, no_bias>, BatchNorm2d<>, ReLU,
                                                        Conv2d<C, 3, 1, 0, no_bias>, BatchNorm2d<>, ReLU>>>;

// Doubles H and W; C output channels.
template <int C>
using UNetUp = ConvTranspose2d<C, 4, 2, 1>;

// The seed's network with any merge: ResizeConcat as the seed, CropConcat as the 2015 paper.
template <class Merge, int Classes = 2, int... Widths>
using SeedUNetWith = UNet<Levels<Widths...>, DoubleConv2d, MaxPool2d<2>, UNetUp, Merge,
                          DoubleConv2d<2 * Levels<Widths...>::widths[sizeof...(Widths) - 1]>,
                          Conv2d<Classes, 3, 1, 1>>;

// Seed 000/001: skips resized (bilinear) to the decoder's size.
template <int Classes = 2>
using SeedUNet = SeedUNetWith<ResizeConcat, Classes, 64, 128, 256, 512>;

// The same network with the paper's centre crop of the skips.
template <int Classes = 2>
using PaperUNet = SeedUNetWith<CropConcat, Classes, 64, 128, 256, 512>;

}  // namespace tessera::models
