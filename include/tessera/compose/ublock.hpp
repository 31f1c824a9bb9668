// `UBlock<Down, Inner, Up, Merge>`: the recursive skip block of U-Nets and of pix2pix's generator,
// cat(x, Up(Inner(Down(x)))). Nest one UBlock as the Inner of the next and the whole encoder-decoder
// is one line per level; `Innermost` ends the recursion. The Merge policy says how the skip x is
// brought to the size of Up's output and in which order the two are joined:
//   PlainConcat    cat(x, up); the sizes must agree (checked at compile time)
//   ResizeConcat   cat(resize(x), up): bilinear, align_corners=False, as the seed U-Net's TF.resize
//   CropConcat     cat(center_crop(x), up): the 2015 paper's valid-convolution U-Net
//   UpFirst<M>     M with the order swapped, cat(up, x): pix2pix's UpConvBlock and the course's G
// Children are named by index (Down "0", Inner "1", Up "2"; Innermost gives Down "0", Up "1") unless
// Named or Inline, so a PyTorch block that keeps them in `nn.Sequential(down, inner, up)` matches.
#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <type_traits>

#include "tessera/compose/concat.hpp"
#include "tessera/compose/named.hpp"
#include "tessera/compose/sequential.hpp"
#include "tessera/layers/center_crop.hpp"
#include "tessera/layers/identity.hpp"
#include "tessera/layers/resize.hpp"

namespace tessera {

// Ends a UBlock recursion: the innermost block is cat(x, Up(Down(x))).
struct Innermost {};

// Named in shape errors: which level of a U-Net broke its rule (0 is the outermost, -1 a UBlock
// used on its own).
template <int Level>
struct unet_level {};

// ---- Merge policies --------------------------------------------------------------------------
// A policy gives `skip_layer<Skip, Up>`, the layer that brings the skip (shape Skip) to the
// upsampled tensor's shape Up, `check<Skip, Up>()`, and `skip_first`, the order of the cat.

namespace detail {
template <class S>
inline constexpr bool is_image = ShapeOfRank<S, 3>;
}  // namespace detail

struct PlainConcat {
  static constexpr bool skip_first = true;
  template <class Skip, class Up>
  using skip_layer = Identity;
  template <class Skip, class Up, int Level>
  static constexpr auto check() {
    if constexpr (!SingleShape<Skip> || !SingleShape<Up> || Skip::rank != Up::rank)
      return Rule<"UBlock with PlainConcat: the skip and the upsampled tensor need the same rank",
                  unet_level<Level>, Skip, Up>{};
    else if constexpr (detail::tail(Skip{}) != detail::tail(Up{}))
      return Rule<"PlainConcat: input and upsampled tensor differ in size (CropConcat "
                  "or ResizeConcat fit them); level and Up output follow",
                  unet_level<Level>, Up>{};
    else
      return ShapeOk{};
  }
};

struct ResizeConcat {
  static constexpr bool skip_first = true;
  template <class Skip, class Up>
  using skip_layer = Resize<Up::dims[1], Up::dims[2]>;
  template <class Skip, class Up, int Level>
  static constexpr auto check() {
    if constexpr (!detail::is_image<Skip> || !detail::is_image<Up>)
      return Rule<"UBlock with ResizeConcat needs Shape<C, H, W> tensors; the level, the skip and "
                  "the upsampled tensor follow",
                  unet_level<Level>, Skip, Up>{};
    else
      return ShapeOk{};
  }
};

struct CropConcat {
  static constexpr bool skip_first = true;
  template <class Skip, class Up>
  using skip_layer = CenterCrop<Up::dims[1], Up::dims[2]>;
  template <class Skip, class Up, int Level>
  static constexpr auto check() {
    if constexpr (!detail::is_image<Skip> || !detail::is_image<Up>)
      return Rule<"UBlock with CropConcat needs Shape<C, H, W> tensors; the level, the skip and "
                  "the upsampled tensor follow",
                  unet_level<Level>, Skip, Up>{};
    else if constexpr (Up::dims[1] > Skip::dims[1] || Up::dims[2] > Skip::dims[2])
      return Rule<"UBlock with CropConcat: the upsampled tensor is larger than the skip, which "
                  "cannot be cropped to it; the level, the skip and the upsampled tensor follow",
                  unet_level<Level>, Skip, Up>{};
    else
      return ShapeOk{};
  }
};

// The merge M with the order of the cat swapped: cat(up, skip).
template <class M>
struct UpFirst : M {
  static constexpr bool skip_first = false;
};

namespace detail {
template <class Down, class Inner, class Up>
struct ublock_path {
  using type = Sequential<Down, Inner, Up>;
};
template <class Down, class Up>
struct ublock_path<Down, Innermost, Up> {
  using type = Sequential<Down, Up>;
};

// Spatial extents (all but the first) of two single shapes agree.
template <class A, class B>
constexpr bool same_spatial() {
  if constexpr (!SingleShape<A> || !SingleShape<B>)
    return false;
  else if constexpr (A::rank != B::rank)
    return false;
  else
    return tail(A{}) == tail(B{});
}
}  // namespace detail

// The skip layer of Merge, named only when chosen (std::conditional_t would form it in any case).
template <class Merge, class Skip, class Up>
struct skip_of {
  using type = typename Merge::template skip_layer<Skip, Up>;
};

// Down must halve what Up doubles: checked on the bare pair, so that an odd size reaching a
// stride-2 pool (which silently drops a row) is an error naming the level and the size.
template <class Down, class Inner, class Up, class Merge = PlainConcat, int Level = -1>
struct UBlock {
  using path = typename detail::ublock_path<Down, Inner, Up>::type;
  using round_trip = Sequential<Down, Up>;
  // A UBlock's own rule is reported at its Down, first child of the path it inlines.
  static constexpr auto rule_anchor = detail::segment_text<Down, 0>();

  template <class In>
  static constexpr auto check() {
    if constexpr (!SingleShape<In>) {
      return Rule<"UBlock needs one tensor, not a pack", unet_level<Level>>{};
    } else {
      // The round trip first: the inner levels are bound (and their rules checked) only when
      // this level's size is sound, so the first error is the outermost one.
      using back = shape_after_t<round_trip, In>;
      if constexpr (broken_v<back>) {
        return ShapeOk{};  // the module binds Down and Up again, and the failure goes up from there
      } else if constexpr (!detail::same_spatial<In, back>()) {
        return Rule<"UBlock: Up does not give back the size entering Down (odd size at a "
                    "stride-2 pool?); the level and Up output follow",
                    unet_level<Level>, back>{};
      } else {
        using up = shape_after_t<path, In>;
        if constexpr (broken_v<up>)
          return ShapeOk{};  // likewise
        else
          return Merge::template check<In, up, Level>();
      }
    }
  }

  template <class In, class T, class Dev>
  struct Parts {
    using up_shape = shape_after_t<path, In>;
    // A broken path leaves nothing to fit the skip to; the failure goes up through the cat.
    using skip = typename std::conditional_t<broken_v<up_shape>, std::type_identity<Identity>,
                                             skip_of<Merge, In, up_shape>>::type;
    using concat = std::conditional_t<Merge::skip_first, CatBranches<skip, Inline<path>>,
                                      CatBranches<Inline<path>, skip>>;
  };

  template <class In, class T, class Dev>
  struct Module : Parts<In, T, Dev>::concat::template Module<In, T, Dev> {
    static std::string describe() { return "UBlock"; }
  };
};

}  // namespace tessera
