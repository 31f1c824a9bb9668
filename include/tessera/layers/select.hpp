// Select<I...>: picks tensors of a pack by position, in the order given. One index gives that
// tensor alone; several give the pack of them. Reorders what a PyTorch forward passes to
// torch.cat in another order than its inputs (seed 002's CGAN joins (embedding, noise) while
// forward takes (noise, labels)), or takes one output of a pack. No parameters; copies.
//   Sequential<Inline<Parallel<Identity, Named<"label_embedding", Embedding<10, 10>>>>,
//              Select<1, 0>, Cat, ...>                       // cat(embedding(labels), noise)
#pragma once

#include <algorithm>
#include <array>
#include <string>
#include <type_traits>

#include "tessera/core/module.hpp"
#include "tessera/ops/elementwise/elementwise.hpp"

namespace tessera {

namespace detail {
// "Select(1, 0)".
inline std::string select_text(const std::size_t* positions, std::size_t count) {
  std::string s = "Select(";
  for (std::size_t k = 0; k < count; ++k) s += (k ? ", " : "") + std::to_string(positions[k]);
  return s + ")";
}
}  // namespace detail

template <std::size_t... I>
struct Select {
  static_assert(sizeof...(I) > 0, "tessera: Select needs at least one position");

  template <class In>
  static constexpr auto check() {
    if constexpr (!ShapePack<In>)
      return Rule<"Select picks tensors of a pack Shapes<...>; its input is one tensor">{};
    else if constexpr (((I >= In::count) || ...))
      return Rule<"Select: a position is past the end of the pack", In>{};
    else
      return ShapeOk{};
  }

  template <class In, class T, class Dev>
  struct Module : LeafModule {
    using input_shape = In;
    static constexpr std::size_t first = std::array<std::size_t, sizeof...(I)>{I...}[0];
    using output_shape = std::conditional_t<sizeof...(I) == 1, shape_at<first, In>, Shapes<shape_at<I, In>...>>;
    static constexpr double flops = 0;

    static std::string describe() {
      static constexpr std::array<std::size_t, sizeof...(I)> positions{I...};
      return detail::select_text(positions.data(), positions.size());
    }
    void forward(Ptr<const T, Dev> x, Ptr<T, Dev> y, index n, Ptr<T, Dev>, Context<T, Dev>&) {
      // The chosen tensors, each n samples long, one after the other: a pack's layout.
      Ptr<T, Dev> out = y;
      ((ops::copy(Dev{}, x + std::size_t(n) * pack_offset<I, In>(), out, std::size_t(n) * shape_at<I, In>::size),
        out += std::size_t(n) * shape_at<I, In>::size),
       ...);
    }
    // Each chosen tensor's gradient goes back to its place in the pack; a tensor chosen twice gets
    // the sum of both, one not chosen gets zeros.
    void backward(Ptr<const T, Dev>, Ptr<const T, Dev>, Ptr<const T, Dev> dy, Ptr<T, Dev> dx,
                  index n, Ptr<T, Dev>, Context<T, Dev>&) {
      if (!dx) return;
      ops::fill(Dev{}, dx, std::size_t(n) * In::size, T(0));
      Ptr<const T, Dev> grad = dy;
      ((ops::accumulate(Dev{}, grad, dx + std::size_t(n) * pack_offset<I, In>(),
                        std::size_t(n) * shape_at<I, In>::size),
        grad += std::size_t(n) * shape_at<I, In>::size),
       ...);
    }
  };
};

}  // namespace tessera
