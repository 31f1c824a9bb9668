// DCGAN, the PyTorch-tutorial form (seed 004): a generator of transposed convolutions from a
// 100x1x1 code to a 3x64x64 image, and its mirror-image discriminator. Both keep their layers in
// `self.main`, so the weights are named "main.0.weight", ... as in the tutorial.
//   Model<models::DcganGenerator<>, Shape<100, 1, 1>> g;      // 3,576,704 parameters
//   Model<models::DcganDiscriminator<>, Shape<3, 64, 64>> d;  // 2,765,568 parameters
// The last template parameter is the image size, 32 or 64 (default 64, the tutorial's). At 32 each
// model has one block fewer (G: 4 -> 8 -> 16 -> 32 with widths 4F, 2F, F; D: 32 -> 16 -> 8 -> 4 ->
// 1), and the names follow the shorter nn.Sequential ("main.0.weight" ... "main.9.weight" in G,
// "main.8.weight" last in D):
//   Model<models::DcganGenerator<3, 64, 32>, Shape<100, 1, 1>> g;   // 1,068,928 parameters
//   Model<models::DcganDiscriminator<64, 32>, Shape<3, 32, 32>> d;  // 663,296 parameters
#pragma once

#include <type_traits>

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

namespace detail {

template <int Channels, int Features>
using DcganGenerator64 =
    Named<"main",
          Sequential<ConvTranspose2d<Features * 8, 4, 1, 0, 0, no_bias>, BatchNorm2d<>, ReLU,  //
                     ConvTranspose2d<Features * 4, 4, 2, 1, 0, no_bias>, BatchNorm2d<>, ReLU,  //
                     ConvTranspose2d<Features * 2, 4, 2, 1, 0, no_bias>, BatchNorm2d<>, ReLU,  //
                     ConvTranspose2d<Features, 4, 2, 1, 0, no_bias>, BatchNorm2d<>, ReLU,      //
                     ConvTranspose2d<Channels, 4, 2, 1, 0, no_bias>, Tanh>>;

// One up-block fewer: 4 -> 8 -> 16 -> 32, the widths 4F, 2F, F.
template <int Channels, int Features>
using DcganGenerator32 =
    Named<"main",
          Sequential<ConvTranspose2d<Features * 4, 4, 1, 0, 0, no_bias>, BatchNorm2d<>, ReLU,  //
                     ConvTranspose2d<Features * 2, 4, 2, 1, 0, no_bias>, BatchNorm2d<>, ReLU,  //
                     ConvTranspose2d<Features, 4, 2, 1, 0, no_bias>, BatchNorm2d<>, ReLU,      //
                     ConvTranspose2d<Channels, 4, 2, 1, 0, no_bias>, Tanh>>;

template <int Features>
using DcganDiscriminator64 =
    Named<"main",
          Sequential<Conv2d<Features, 4, 2, 1, no_bias>, LeakyReLU<0.2>,                     //
                     Conv2d<Features * 2, 4, 2, 1, no_bias>, BatchNorm2d<>, LeakyReLU<0.2>,  //
                     Conv2d<Features * 4, 4, 2, 1, no_bias>, BatchNorm2d<>, LeakyReLU<0.2>,  //
                     Conv2d<Features * 8, 4, 2, 1, no_bias>, BatchNorm2d<>, LeakyReLU<0.2>,  //
                     Conv2d<1, 4, 1, 0, no_bias>, Sigmoid>>;

// One down-block fewer: 32 -> 16 -> 8 -> 4 -> 1.
template <int Features>
using DcganDiscriminator32 =
    Named<"main",
          Sequential<Conv2d<Features, 4, 2, 1, no_bias>, LeakyReLU<0.2>,                     //
                     Conv2d<Features * 2, 4, 2, 1, no_bias>, BatchNorm2d<>, LeakyReLU<0.2>,  //
                     Conv2d<Features * 4, 4, 2, 1, no_bias>, BatchNorm2d<>, LeakyReLU<0.2>,  //
                     Conv2d<1, 4, 1, 0, no_bias>, Sigmoid>>;

template <int Channels, int Features, int Size>
struct DcganGeneratorOf {
  static_assert(Size == 32 || Size == 64, "DcganGenerator: Size (the image size) must be 32 or 64");
  using type = std::conditional_t<Size == 32, DcganGenerator32<Channels, Features>,
                                  DcganGenerator64<Channels, Features>>;
};

template <int Features, int Size>
struct DcganDiscriminatorOf {
  static_assert(Size == 32 || Size == 64,
                "DcganDiscriminator: Size (the image size) must be 32 or 64");
  using type = std::conditional_t<Size == 32, DcganDiscriminator32<Features>,
                                  DcganDiscriminator64<Features>>;
};

}  // namespace detail

// 100x1x1 (the noise size comes from the input) -> Shape<Channels, Size, Size> in [-1, 1].
template <int Channels = 3, int Features = 64, int Size = 64>
using DcganGenerator = typename detail::DcganGeneratorOf<Channels, Features, Size>::type;

// Shape<C, Size, Size> -> Shape<1, 1, 1>, a probability.
template <int Features = 64, int Size = 64>
using DcganDiscriminator = typename detail::DcganDiscriminatorOf<Features, Size>::type;

}  // namespace tessera::models
