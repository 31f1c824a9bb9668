// `UNet<Levels<64, 128, 256, 512>, Block, Down, Up, Merge, Bottleneck, Head>`: the U-Net of
// Ronneberger et al. from its parts. Block and Up are templates of the width, Down, Bottleneck and
// Head layers, Merge a UBlock policy (ResizeConcat, CropConcat, PlainConcat):
//   x -> Block<64> (skip) -> Down -> Block<128> (skip) -> ... -> Down -> Bottleneck
//     -> Up<512> -> Merge(skip, up) -> Block<512> -> ... -> Up<64> -> Merge -> Block<64> -> Head
// Each level is Sequential<Block<C>, UBlock<Down, next level, Up<C>, Merge>, Block<C>>, so the
// instantiation depth grows by one per level. Parameters are named as the flat PyTorch U-Net of
// the seeds (level i of L, counted from the outermost; the decoder counts from the deepest):
//   encoder_conv.<i>.*   decoder_up.<L-1-i>.*   decoder_conv.<L-1-i>.*   bottleneck.*   output.*
// (and encoder_down.<i>.* should Down have parameters). See docs/unet.md.
#pragma once

#include <array>
#include <cstddef>

#include "tessera/compose/named.hpp"
#include "tessera/compose/sequential.hpp"
#include "tessera/compose/ublock.hpp"

namespace tessera {

// The widths of a U-Net's levels, outermost first.
template <int... C>
struct Levels {
  static_assert(sizeof...(C) > 0, "tessera: a U-Net needs at least one level");
  static_assert(((C > 0) && ...), "tessera: U-Net widths must be positive");
  static constexpr std::size_t count = sizeof...(C);
  static constexpr std::array<int, sizeof...(C)> widths{C...};
};

namespace detail {
// A FixedString made of Prefix, the decimal I and Suffix: "encoder_conv." 2 "" -> "encoder_conv.2".
template <FixedString Prefix, std::size_t I, FixedString Suffix = "">
struct indexed_name {
  static constexpr std::size_t digits = [] {
    std::size_t d = 1;
    for (std::size_t v = I; v >= 10; v /= 10) ++d;
    return d;
  }();
  static constexpr std::size_t length = Prefix.view().size() + digits + Suffix.view().size();
  struct Chars {
    char s[length + 1];
  };
  static constexpr Chars chars = [] {
    Chars c{};
    std::size_t k = 0;
    for (char ch : Prefix.view()) c.s[k++] = ch;
    for (std::size_t v = I, j = 0; j < digits; ++j, v /= 10) c.s[k + digits - 1 - j] = char('0' + v % 10);
    k += digits;
    for (char ch : Suffix.view()) c.s[k++] = ch;
    c.s[k] = '\0';
    return c;
  }();
  static constexpr FixedString<length + 1> value{chars.s};
};
}  // namespace detail

// `Named<"prefix<I>suffix", L>`: a name computed from an index, for models built per level.
template <FixedString Prefix, std::size_t I, class L, FixedString Suffix = "">
using NamedAt = Named<detail::indexed_name<Prefix, I, Suffix>::value, L>;

template <std::size_t I, class Widths, template <int> class Block, class Down, template <int> class Up,
          class Merge, class Bottleneck>
struct UNetStage;

namespace detail {
// What sits below level I: the next level, or the bottleneck below the last one. (Selected by a bool,
// not by specialising on `Widths::count`, which clang rejects as a dependent non-type argument.)
template <bool Bottom, std::size_t I, class Widths, template <int> class Block, class Down,
          template <int> class Up, class Merge, class Bottleneck>
struct unet_inner_of {
  using type = Inline<UNetStage<I, Widths, Block, Down, Up, Merge, Bottleneck>>;
};
template <std::size_t I, class Widths, template <int> class Block, class Down, template <int> class Up,
          class Merge, class Bottleneck>
struct unet_inner_of<true, I, Widths, Block, Down, Up, Merge, Bottleneck> {
  using type = Named<"bottleneck", Bottleneck>;
};
template <std::size_t I, class Widths, template <int> class Block, class Down, template <int> class Up,
          class Merge, class Bottleneck>
using unet_inner = unet_inner_of<I == Widths::count, I, Widths, Block, Down, Up, Merge, Bottleneck>;
}  // namespace detail

// Level I and everything below it. A struct, not an alias, so that an error prints
// `UNetStage<2, ...>` rather than the whole nested network below it.
template <std::size_t I, class Widths, template <int> class Block, class Down, template <int> class Up,
          class Merge, class Bottleneck>
struct UNetStage
    : Sequential<NamedAt<"encoder_conv.", I, Block<Widths::widths[I]>>,
                 Inline<UBlock<NamedAt<"encoder_down.", I, Down>,
                               typename detail::unet_inner<I + 1, Widths, Block, Down, Up, Merge, Bottleneck>::type,
                               NamedAt<"decoder_up.", Widths::count - 1 - I, Up<Widths::widths[I]>>, Merge,
                               int(I)>>,
                 NamedAt<"decoder_conv.", Widths::count - 1 - I, Block<Widths::widths[I]>>> {};

template <class Widths, template <int> class Block, class Down, template <int> class Up, class Merge,
          class Bottleneck, class Head>
struct UNet : Sequential<Inline<UNetStage<0, Widths, Block, Down, Up, Merge, Bottleneck>>,
                         Named<"output", Head>> {};

}  // namespace tessera
