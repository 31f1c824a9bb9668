// A WGAN critic (seed 004): the DCGAN-tutorial discriminator (models/dcgan.hpp) without its final
// Sigmoid, so that it scores rather than classifies; the names stay "main.0.weight", ...,
// "main.11.weight", as in the discriminator it comes from. Weight clipping is
// ts::clamp_parameters (train/clip.hpp), spectral normalisation the SpectralNorm wrapper
// (layers/spectral_norm.hpp), the gradient penalty ts::gradient_penalty (train/penalty.hpp);
// examples/wgan.cpp uses all three, on a 32x32 critic.
//   Model<models::WganCritic<>, Shape<3, 64, 64>> critic;   // Shape<1, 1, 1>: 2,765,568 parameters
// Where SEEDS.md is silent, chosen here:
//   - the normalisation: BatchNorm2d by default (the DCGAN discriminator as it is, the WGAN paper's
//     critic). WGAN-GP's penalty is per sample, which batch statistics break; its paper uses layer
//     norm: pass Norm = InstanceNorm2d<true> (per-sample, affine) or Identity (none). Names do not
//     move, since the norm keeps its index.
//   - the output keeps the discriminator's Shape<1, 1, 1> per sample (the seed's .view(-1) is the
//     caller's).
#pragma once

#include "tessera/compose/named.hpp"
#include "tessera/compose/sequential.hpp"
#include "tessera/layers/batch_norm2d.hpp"
#include "tessera/layers/conv2d.hpp"
#include "tessera/layers/leaky_relu.hpp"

namespace tessera::models {

template <int Features = 64, class Norm = BatchNorm2d<>>
using WganCritic = Named<
    "main", Sequential<Conv2d<Features, 4, 2, 1, no_bias>, LeakyReLU<0.2>,                    //
                       Conv2d<Features * 2, 4, 2, 1, no_bias>, Norm, LeakyReLU<0.2>,          //
                       Conv2d<Features * 4, 4, 2, 1, no_bias>, Norm, LeakyReLU<0.2>,          //
                       Conv2d<Features * 8, 4, 2, 1, no_bias>, Norm, LeakyReLU<0.2>,          //
                       Conv2d<1, 4, 1, 0, no_bias>>>;

}  // namespace tessera::models
