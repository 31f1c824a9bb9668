// The autoencoders of seed 001, in SEEDS.md's standard form (the text gives only the ideas): a
// convolutional one, 1x28x28 -> 64x1x1 code -> 1x28x28, and a dense one, 784 -> 20 -> 784. Each
// is a module with `self.encoder` and `self.decoder` (nn.Sequential), so the names are
// "encoder.0.weight", ..., "decoder.0.weight", ... The denoising and sparse variants differ only
// in training (noisy inputs, an activation penalty), not in the network.
//   Model<models::ConvAutoencoder<>, Shape<1, 28, 28>> ae;   // 210,369 parameters, output in (0, 1)
//   Model<models::DenseAutoencoder<>, Shape<784>> dae;       // 644,804 parameters, output in (0, 1)
#pragma once

#include "tessera/compose/named.hpp"
#include "tessera/compose/sequential.hpp"
#include "tessera/layers/conv2d.hpp"
#include "tessera/layers/conv_transpose2d.hpp"
#include "tessera/layers/linear.hpp"
#include "tessera/layers/relu.hpp"
#include "tessera/layers/sigmoid.hpp"

namespace tessera::models {

// encoder: Conv(1,16,3,2,1), ReLU, Conv(16,32,3,2,1), ReLU, Conv(32,64,7)
// decoder: ConvT(64,32,7), ReLU, ConvT(32,16,3,2,1,output_padding=1), ReLU,
//          ConvT(16,1,3,2,1,output_padding=1), Sigmoid
template <int Channels = 1>
using ConvAutoencoder = Sequential<
    Named<"encoder", Sequential<Conv2d<16, 3, 2, 1>, ReLU, Conv2d<32, 3, 2, 1>, ReLU, Conv2d<64, 7>>>,
    Named<"decoder", Sequential<ConvTranspose2d<32, 7>, ReLU, ConvTranspose2d<16, 3, 2, 1, 1>, ReLU,
                                ConvTranspose2d<Channels, 3, 2, 1, 1>, Sigmoid>>>;

// encoder: Linear(784, 400), ReLU, Linear(400, 20)   -- the code is linear (chosen: SEEDS.md
//          gives only the widths; a linear code is the usual choice, like the VAE's mu)
// decoder: Linear(20, 400), ReLU, Linear(400, 784), Sigmoid
template <int Features = 784, int Hidden = 400, int Code = 20>
using DenseAutoencoder =
    Sequential<Named<"encoder", Sequential<Linear<Hidden>, ReLU, Linear<Code>>>,
               Named<"decoder", Sequential<Linear<Hidden>, ReLU, Linear<Features>, Sigmoid>>>;

}  // namespace tessera::models
