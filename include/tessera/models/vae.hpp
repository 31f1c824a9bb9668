// The variational autoencoder of seed 001, in SEEDS.md's standard form, written as PyTorch's VAE
// example (`fc1`, `fc21`, `fc22`, `fc3`, `fc4`): the encoder gives mu and logvar, the sample is
// z = mu + exp(logvar / 2) * eps, the decoder maps z back to an image in (0, 1). The noise eps is
// the second input (PyTorch draws it inside with randn_like; here the caller owns the randomness),
// and the outputs are (recon, mu, logvar), as the example's forward returns them.
//   Model<models::Vae<>, Shapes<Shape<784>, Shape<20>>> vae;     // 652,824 parameters
//   auto [recon, mu, logvar] = vae.forward(x, eps);
// Names: "fc1.weight", "fc1.bias", "fc21.weight", ..., "fc4.bias", PyTorch's state_dict order.
#pragma once

#include "tessera/compose/branches.hpp"
#include "tessera/compose/named.hpp"
#include "tessera/compose/sequential.hpp"
#include "tessera/layers/flatten_pack.hpp"
#include "tessera/layers/identity.hpp"
#include "tessera/layers/linear.hpp"
#include "tessera/layers/relu.hpp"
#include "tessera/layers/reparameterize.hpp"
#include "tessera/layers/select.hpp"
#include "tessera/layers/sigmoid.hpp"

namespace tessera::models {

// x -> (mu, logvar):  h1 = relu(fc1(x)); return fc21(h1), fc22(h1)
template <int Hidden = 400, int Latent = 20>
using VaeEncoder = Sequential<Named<"fc1", Linear<Hidden>>, ReLU,
                              Inline<Heads<Named<"fc21", Linear<Latent>>, Named<"fc22", Linear<Latent>>>>>;

// z -> recon:  h3 = relu(fc3(z)); return sigmoid(fc4(h3))
template <int Features = 784, int Hidden = 400>
using VaeDecoder = Sequential<Named<"fc3", Linear<Hidden>>, ReLU, Named<"fc4", Linear<Features>>, Sigmoid>;

// (x, eps) -> (recon, mu, logvar). Features must match x's size and Latent eps's.
template <int Features = 784, int Hidden = 400, int Latent = 20>
using Vae = Sequential<
    Inline<Parallel<Inline<VaeEncoder<Hidden, Latent>>, Identity>>,  // ((mu, logvar), eps)
    FlattenPack,                                                     // (mu, logvar, eps)
    Inline<Branches<Inline<Sequential<Reparameterize, Inline<VaeDecoder<Features, Hidden>>>>,  // recon
                    Select<0>,                                                                // mu
                    Select<1>>>>;                                                             // logvar

}  // namespace tessera::models
