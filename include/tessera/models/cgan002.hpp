// Conditional GAN, seed 002's form (models/cgan.hpp has seed 004's): fully connected networks
// conditioned on a learned 10-d embedding of the class label. Both are custom nn.Modules with
// `self.label_embedding` and `self.model`, hence "label_embedding.weight", "model.0.weight", ...
// As the seed writes them (SEEDS.md, "Details settled"): the generator concatenates (embedding,
// noise) although forward takes (noise, labels), hence the Select<1, 0>; the discriminator
// concatenates (flattened image, embedding) and places Dropout before LeakyReLU, per its
// `_create_layer(in, out, drop_out, act_func)` calls (F,T), (T,T), (T,T), (F,F), (F,F). Labels are
// one scalar per sample (a class index held in the model's scalar type); the image size is a
// template parameter.
//   Model<models::CganGenerator002<>, Shapes<Shape<100>, Shape<>>> g;            // 1,511,412
//   Model<models::CganGenerator002<1, 64>, Shapes<Shape<100>, Shape<>>> g64;     // 4,906,212
//   Model<models::CganDiscriminator002<>, Shapes<Shape<1, 28, 28>, Shape<>>> d;  // 1,503,333
//   Model<models::CganDiscriminator002<>, Shapes<Shape<1, 64, 64>, Shape<>>> d64;  // 4,894,821
#pragma once

#include "tessera/compose/branches.hpp"
#include "tessera/compose/concat.hpp"
#include "tessera/compose/named.hpp"
#include "tessera/compose/sequential.hpp"
#include "tessera/layers/batch_norm1d.hpp"
#include "tessera/layers/dropout.hpp"
#include "tessera/layers/embedding.hpp"
#include "tessera/layers/identity.hpp"
#include "tessera/layers/leaky_relu.hpp"
#include "tessera/layers/linear.hpp"
#include "tessera/layers/reshape.hpp"
#include "tessera/layers/select.hpp"
#include "tessera/layers/sigmoid.hpp"
#include "tessera/layers/tanh.hpp"

namespace tessera::models {

// _create_layer(in, out, normalize=True): Linear [, BatchNorm1d], LeakyReLU(0.2)
template <int Out>
using Cgan002GenBlock = Sequential<Linear<Out>, BatchNorm1d<>, LeakyReLU<0.2>>;

// (noise, label) -> Shape<Channels, ImageSize, ImageSize> in [-1, 1]. Width scales the hidden
// layers (128, 256, 512, 1024 at the default 128), for narrow test copies.
template <int Channels = 1, int ImageSize = 28, int Classes = 10, int Width = 128>
using CganGenerator002 = Sequential<
    Inline<Parallel<Identity, Named<"label_embedding", Embedding<Classes, Classes>>>>,
    Select<1, 0>, Cat,  // torch.cat((self.label_embedding(labels), noise), -1)
    Named<"model", Join<Sequential<Linear<Width>, LeakyReLU<0.2>>, Cgan002GenBlock<Width * 2>,
                        Cgan002GenBlock<Width * 4>, Cgan002GenBlock<Width * 8>,
                        Sequential<Linear<Channels * ImageSize * ImageSize>, Tanh>>>,
    Reshape<Shape<Channels, ImageSize, ImageSize>>>;

// (image, label) -> Shape<1>, a probability (not squeezed: the seed returns model(x) as it is).
// Width scales the hidden layers (1024, 512, 256, 128 at the default 1024).
template <int Classes = 10, int Width = 1024>
using CganDiscriminator002 = Sequential<
    Inline<Parallel<Flatten, Named<"label_embedding", Embedding<Classes, Classes>>>>,
    Cat,  // torch.cat((image.view(n, -1), self.label_embedding(labels)), -1)
    Named<"model", Sequential<Linear<Width>, LeakyReLU<0.2>,                    // (False, True)
                              Linear<Width / 2>, Dropout<0.4>, LeakyReLU<0.2>,  // (True, True)
                              Linear<Width / 4>, Dropout<0.4>, LeakyReLU<0.2>,  // (True, True)
                              Linear<Width / 8>,                                // (False, False)
                              Linear<1>,                                        // (False, False)
                              Sigmoid>>>;

}  // namespace tessera::models
