// The pix2pix U-Net generators of seeds 003 and 000, each a stack of UBlocks, one line per level.
//   Pix2PixGenerator003<>  the book's UNetGenerator (Depth 8 levels; fewer drop the inner ones):
//     DownConvBlock = Conv(4, 2, 1) [+ InstanceNorm] + LeakyReLU(0.2) [+ Dropout(0.5) from 4th];
//     UpConvBlock = ConvT(4, 2, 1) + InstanceNorm + ReLU [+ Dropout(0.5)], then cat(up, encoder
//     feature); Upsample(x2), ZeroPad2d((1, 0, 1, 0)), Conv(2 nf, out, 4, padding 1), Tanh.
//     54,409,603 parameters at nf = 64. Names as the seed's class with its lists registered as
//     nn.Sequential `layers`: "down_conv_layer_4.layers.0.weight", "up_conv_layer_1.layers.0.bias",
//     "conv_layer_1.weight".
//   Pix2PixGenerator000<>  the course's G(3, 3, 64): blockUNet levels, BatchNorm, Dropout2d, no
//     biases; 54,413,952 parameters. Names "layer2.layer2_conv.weight", "dlayer8.dlayer8_bn.bias":
//     the seed's '%s.conv' sub-module names with the dot as an underscore (PyTorch refuses a dot).
//   Model<models::Pix2PixGenerator003<>, Shape<3, 256, 256>> g;     // -> Shape<3, 256, 256>
//   Model<models::Pix2PixGenerator003<1, 32, 5>, Shape<1, 32, 32>> g;  // 5 levels: 32x32 inputs
#pragma once

#include <type_traits>

#include "tessera/compose/named.hpp"
#include "tessera/compose/sequential.hpp"
#include "tessera/compose/ublock.hpp"
#include "tessera/compose/unet.hpp"
#include "tessera/layers/batch_norm2d.hpp"
#include "tessera/layers/conv2d.hpp"
#include "tessera/layers/conv_transpose2d.hpp"
#include "tessera/layers/dropout.hpp"
#include "tessera/layers/dropout2d.hpp"
#include "tessera/layers/instance_norm2d.hpp"
#include "tessera/layers/leaky_relu.hpp"
#include "tessera/layers/relu.hpp"
#include "tessera/layers/tanh.hpp"
#include "tessera/layers/upsample.hpp"
#include "tessera/layers/zero_pad2d.hpp"

namespace tessera::models {

namespace detail {
template <bool Keep, class... L>
using optional_layers = std::conditional_t<Keep, Sequential<L...>, Sequential<>>;
}  // namespace detail

// ---- Seed 003 ------------------------------------------------------------------------------------
// down_conv_layer_K: DownConvBlock(in, C, norm, dropout).
template <std::size_t K, int C, bool Norm = true, bool Drop = false>
using DownConvBlock003 = NamedAt<
    "down_conv_layer_", K,
    Sequential<Named<"layers", Join<Sequential<Conv2d<C, 4, 2, 1>>, detail::optional_layers<Norm, InstanceNorm2d<>>,
                                    Sequential<LeakyReLU<0.2>>, detail::optional_layers<Drop, Dropout<0.5>>>>>>;

// up_conv_layer_K: UpConvBlock(in, C, dropout) without its cat, which the UBlock does.
template <std::size_t K, int C, bool Drop = false>
using UpConvBlock003 =
    NamedAt<"up_conv_layer_", K,
            Sequential<Named<"layers", Join<Sequential<ConvTranspose2d<C, 4, 2, 1>, InstanceNorm2d<>, ReLU>,
                                            detail::optional_layers<Drop, Dropout<0.5>>>>>>;

// cat(up, encoder feature), as UpConvBlock.forward.
using Pix2PixMerge = UpFirst<PlainConcat>;

namespace detail {
inline constexpr int seed003_widths[8] = {1, 2, 4, 8, 8, 8, 8, 8};

// Level K (2 .. Depth) of a generator Depth levels deep: down_conv_layer_K around the levels
// below it, then up_conv_layer_(9 - K), the seed's numbering (its up_conv_layer_1 reads enc8).
// The innermost level has no InstanceNorm, as the seed's down_conv_layer_8: its output is 1x1 at
// the input size the depth asks for, where instance statistics would zero every channel. Dropout
// stays where the seed has it (down 4 .. 8, up 1 .. 4), so a shallower net keeps its outer
// levels' blocks unchanged; only the innermost up reads half the seed's channels (no cat below).
template <std::size_t K, std::size_t Depth, int Nf>
struct level003 {
  using type = UBlock<DownConvBlock003<K, Nf * seed003_widths[K - 1], true, (K >= 4)>,
                      Inline<typename level003<K + 1, Depth, Nf>::type>,
                      UpConvBlock003<9 - K, Nf * seed003_widths[K - 2], (K >= 5)>, Pix2PixMerge>;
};
template <std::size_t Depth, int Nf>
struct level003<Depth, Depth, Nf> {
  using type =
      UBlock<DownConvBlock003<Depth, Nf * seed003_widths[Depth - 1], false, (Depth >= 4)>,
             Innermost, UpConvBlock003<9 - Depth, Nf * seed003_widths[Depth - 2], (Depth >= 5)>,
             Pix2PixMerge>;
};
}  // namespace detail

// Levels 2 .. Depth (the outermost first); Depth 8 is the seed: enc2 .. enc8 with dec7 .. dec1.
template <int Nf, std::size_t Depth = 8>
using Pix2PixLevels003 = typename detail::level003<2, Depth, Nf>::type;

// Depth: the number of stride-2 down-steps, 2 to 8; the input's sides must be multiples of
// 2^Depth (256 for the seed's 8, 32 for 5). A shallower net drops the seed's inner levels and
// keeps the names of the rest: Pix2PixGenerator003<1, 32, 5> has down_conv_layer_1 .. 5 and
// up_conv_layer_4 .. 7, a subset of the seed's state_dict names.
template <int OutChannels = 3, int Nf = 64, std::size_t Depth = 8>
requires(Depth >= 2 && Depth <= 8) using Pix2PixGenerator003 =
    Sequential<DownConvBlock003<1, Nf, false>, Inline<Pix2PixLevels003<Nf, Depth>>,
               Named<"upsample_layer", Upsample<2>>, Named<"zero_pad", ZeroPad2d<1, 0, 1, 0>>,
               Named<"conv_layer_1", Conv2d<OutChannels, 4, 1, 1>>, Named<"activation", Tanh>>;

// ---- Seed 000 ------------------------------------------------------------------------------------
namespace detail {
inline constexpr int course_widths[8] = {1, 2, 4, 8, 8, 8, 8, 8};

// layerK: LeakyReLU(0.2), Conv(4, 2, 1, no bias) to Nf * course_widths[K-1], BatchNorm (not in 8).
template <std::size_t K, int Nf>
using CourseDown = NamedAt<
    "layer", K,
    Join<Sequential<NamedAt<"layer", K, LeakyReLU<0.2>, "_leakyrelu">,
                    NamedAt<"layer", K, Conv2d<Nf * course_widths[K - 1], 4, 2, 1, no_bias>, "_conv">>,
         optional_layers<K != 8, NamedAt<"layer", K, BatchNorm2d<>, "_bn">>>>;

// dlayerK: ReLU, ConvT(4, 2, 1, no bias) to Nf * course_widths[K-2], BatchNorm, Dropout2d in 6-8.
template <std::size_t K, int Nf>
using CourseUp = NamedAt<
    "dlayer", K,
    Join<Sequential<NamedAt<"dlayer", K, ReLU, "_relu">,
                    NamedAt<"dlayer", K, ConvTranspose2d<Nf * course_widths[K - 2], 4, 2, 1, 0, no_bias>, "_tconv">,
                    NamedAt<"dlayer", K, BatchNorm2d<>, "_bn">>,
         optional_layers<(K >= 6), NamedAt<"dlayer", K, Dropout2d<0.5>, "_dropout">>>>;

// Levels K+1 .. 8 around out_K: cat(dlayer(K+1)(...), out_K).
template <std::size_t K, int Nf>
struct course_level {
  using type = UBlock<CourseDown<K + 1, Nf>, Inline<typename course_level<K + 1, Nf>::type>, CourseUp<K + 1, Nf>,
                      UpFirst<PlainConcat>>;
};
template <int Nf>
struct course_level<7, Nf> {
  using type = UBlock<CourseDown<8, Nf>, Innermost, CourseUp<8, Nf>, UpFirst<PlainConcat>>;
};
}  // namespace detail

template <int OutChannels = 3, int Nf = 64>
using Pix2PixGenerator000 =
    Sequential<Named<"layer1", Sequential<Named<"layer1", Conv2d<Nf, 4, 2, 1, no_bias>>>>,
               Inline<typename detail::course_level<1, Nf>::type>,
               Named<"dlayer1", Sequential<Named<"dlayer1_relu", ReLU>,
                                           Named<"dlayer1_tconv", ConvTranspose2d<OutChannels, 4, 2, 1, 0, no_bias>>,
                                           Named<"dlayer1_tanh", Tanh>>>>;

}  // namespace tessera::models
