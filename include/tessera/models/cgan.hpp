// Conditional GAN, seed 004's form: the generator joins a 100-d noise vector with a learned
// 10-d embedding of the class label; the discriminator joins the flattened image with the label's
// embedding. Both are custom nn.Modules with `label_emb` and `model` attributes, hence the names
// "label_emb.weight", "model.0.weight", ... Labels are one scalar per sample (a class index held
// in the model's scalar type).
//   Model<models::CganGenerator004, Shapes<Shape<100>, Shape<>>> g;      // 1,489,012 parameters
//   Model<models::CganDiscriminator004, Shapes<Shape<1, 28, 28>, Shape<>>> d;  // 1,470,565
#pragma once

#include "tessera/compose/branches.hpp"
#include "tessera/compose/concat.hpp"
#include "tessera/compose/named.hpp"
#include "tessera/compose/sequential.hpp"
#include "tessera/layers/dropout.hpp"
#include "tessera/layers/embedding.hpp"
#include "tessera/layers/identity.hpp"
#include "tessera/layers/leaky_relu.hpp"
#include "tessera/layers/linear.hpp"
#include "tessera/layers/reshape.hpp"
#include "tessera/layers/sigmoid.hpp"
#include "tessera/layers/tanh.hpp"

namespace tessera::models {

// (noise, label) -> 28x28 image without a channel axis, as the seed's out.view(n, 28, 28).
using CganGenerator004 = Sequential<
    Inline<Parallel<Identity, Named<"label_emb", Embedding<10, 10>>>>, Cat,
    Named<"model", Sequential<Linear<256>, LeakyReLU<0.2>, Linear<512>, LeakyReLU<0.2>, Linear<1024>,
                              LeakyReLU<0.2>, Linear<784>, Tanh>>,
    Reshape<Shape<28, 28>>>;

// (image, label) -> one probability per sample, as the seed's out.squeeze().
using CganDiscriminator004 = Sequential<
    Inline<Parallel<Flatten, Named<"label_emb", Embedding<10, 10>>>>, Cat,
    Named<"model", Sequential<Linear<1024>, LeakyReLU<0.2>, Dropout<0.4>, Linear<512>, LeakyReLU<0.2>,
                              Dropout<0.4>, Linear<256>, LeakyReLU<0.2>, Dropout<0.4>, Linear<1>, Sigmoid>>,
    Reshape<Shape<>>>;

}  // namespace tessera::models
