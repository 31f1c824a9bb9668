// The fully connected GAN of seed 004: both networks are a bare nn.Sequential, so the weights are
// named by index ("0.weight", "0.bias", "2.weight", ...). The latent size comes from the input
// shape; Image and Hidden default to MNIST (784) and the seed's hidden_size (256).
//   Model<models::MlpGanGenerator<>, Shape<64>> g;        // 64 -> 784 in [-1, 1]: 283,920 parameters
//   Model<models::MlpGanDiscriminator<>, Shape<784>> d;   // 784 -> 1 in (0, 1): 267,009 parameters
#pragma once

#include "tessera/compose/sequential.hpp"
#include "tessera/layers/leaky_relu.hpp"
#include "tessera/layers/linear.hpp"
#include "tessera/layers/relu.hpp"
#include "tessera/layers/sigmoid.hpp"
#include "tessera/layers/tanh.hpp"

namespace tessera::models {

// G = nn.Sequential(Linear(latent, H), ReLU, Linear(H, H), ReLU, Linear(H, image), Tanh)
template <int Image = 784, int Hidden = 256>
using MlpGanGenerator = Sequential<Linear<Hidden>, ReLU, Linear<Hidden>, ReLU, Linear<Image>, Tanh>;

// D = nn.Sequential(Linear(image, H), LeakyReLU(0.2), Linear(H, H), LeakyReLU(0.2), Linear(H, 1),
//                   Sigmoid); the image size comes from the input shape.
template <int Hidden = 256>
using MlpGanDiscriminator =
    Sequential<Linear<Hidden>, LeakyReLU<0.2>, Linear<Hidden>, LeakyReLU<0.2>, Linear<1>, Sigmoid>;

}  // namespace tessera::models
