// A small CNN that tells Fashion-MNIST's ten classes apart (examples/classifier.cpp trains it), and
// whose 128 penultimate activations are the features FashionScorer (eval/fashion_scorer.hpp)
// measures generated images by. Its layers sit in two named parts, as torchvision's AlexNet and
// VGG keep theirs, so that the feature extractor alone is a model whose weights have the same
// names as in the whole classifier's file. PyTorch:
//   features   = nn.Sequential(nn.Conv2d(1, 32, 3, 1, 1), nn.ReLU(), nn.MaxPool2d(2),
//                              nn.Conv2d(32, 64, 3, 1, 1), nn.ReLU(), nn.MaxPool2d(2),
//                              nn.Flatten(), nn.Linear(64 * 7 * 7, 128), nn.ReLU())
//   classifier = nn.Linear(128, 10)
//   Model<models::FashionClassifier, Shape<1, 28, 28>> net;   // 421,642 parameters, logits
//   Model<models::FashionFeatures, Shape<1, 28, 28>> f;       // 420,352: "features.*" only
#pragma once

#include "tessera/compose/named.hpp"
#include "tessera/compose/sequential.hpp"
#include "tessera/layers/conv2d.hpp"
#include "tessera/layers/linear.hpp"
#include "tessera/layers/max_pool2d.hpp"
#include "tessera/layers/relu.hpp"
#include "tessera/layers/reshape.hpp"

namespace tessera::models {

// 1x28x28 -> 128 features: "features.0.*", "features.3.*", "features.7.*".
using FashionFeatures = Named<"features", Sequential<Conv2d<32, 3, 1, 1>, ReLU, MaxPool2d<2>,  //
                                                     Conv2d<64, 3, 1, 1>, ReLU, MaxPool2d<2>,  //
                                                     Flatten, Linear<128>, ReLU>>;

// 128 features -> 10 logits: "classifier.*".
using FashionHead = Named<"classifier", Linear<10>>;

using FashionClassifier = Sequential<FashionFeatures, FashionHead>;

}  // namespace tessera::models
