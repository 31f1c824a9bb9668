// DCGAN, the PyTorch-tutorial form (seed 004): a generator of transposed convolutions from a
// 100x1x1 code to a 3x64x64 image, and its mirror-image discriminator. Both keep their layers in
// `self.main`, so the weights are named "main.0.weight", ... as in the tutorial.
//   Model<models::DcganGenerator<>, Shape<100, 1, 1>> g;      // 3,576,704 parameters
//   Model<models::DcganDiscriminator<>, Shape<3, 64, 64>> d;  // 2,765,568 parameters
#pragma once

#include "tessera/compose/named.hpp"
#include "tessera/compose/sequential.hpp"
#include "tessera/layers/batch_norm2d.hpp"
#include "tessera/layers/conv2d.hpp"
#include "tessera/layers/conv_transpose2d.hpp"
#include "tessera/layers/leaky_relu.hpp"
#include "tessera/layers/relu.hpp"
#include "tessera/layers/sigmoid.hpp"
#include "tessera/layers/tanh.hpp"

namespace tessera::models {

// One step up: ConvTranspose2d(4, 2, 1) doubles H and W, then BatchNorm and ReLU.
template <int C>
using DcganUp = Sequential<ConvTranspose2d<C, 4, 2, 1, 0, no_bias>, BatchNorm2d<>, ReLU>;

template <int Channels = 3, int Features = 64>
using DcganGenerator = Named<
    "main", Sequential<ConvTranspose2d<Features * 8, 4, 1, 0, 0, no_bias>, BatchNorm2d<>, ReLU,  //
                       ConvTranspose2d<Features * 4, 4, 2, 1, 0, no_bias>, BatchNorm2d<>, ReLU,  //
                       ConvTranspose2d<Features * 2, 4, 2, 1, 0, no_bias>, BatchNorm2d<>, ReLU,  //
                       ConvTranspose2d<Features, 4, 2, 1, 0, no_bias>, BatchNorm2d<>, ReLU,      //
                       ConvTranspose2d<Channels, 4, 2, 1, 0, no_bias>, Tanh>>;

template <int Features = 64>
using DcganDiscriminator = Named<
    "main", Sequential<Conv2d<Features, 4, 2, 1, no_bias>, LeakyReLU<0.2>,                       //
                       Conv2d<Features * 2, 4, 2, 1, no_bias>, BatchNorm2d<>, LeakyReLU<0.2>,    //
                       Conv2d<Features * 4, 4, 2, 1, no_bias>, BatchNorm2d<>, LeakyReLU<0.2>,    //
                       Conv2d<Features * 8, 4, 2, 1, no_bias>, BatchNorm2d<>, LeakyReLU<0.2>,    //
                       Conv2d<1, 4, 1, 0, no_bias>, Sigmoid>>;

}  // namespace tessera::models
