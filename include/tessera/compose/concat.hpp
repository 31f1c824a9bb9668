// Concatenation on channels (or features), PyTorch's torch.cat(dim=1).
//   `Cat`: a layer that joins a pack Shapes<A, B> into one tensor; all but the first extent must
//     agree (same spatial size).
//   `CatBranches<A, B>`: Cat of branches that read the same input -- the skip connection
//     cat(x, inner(x)) is `CatBranches<Identity, Inner>`.
#pragma once

#include <array>
#include <string>

#include "tessera/compose/branches.hpp"
#include "tessera/compose/named.hpp"
#include "tessera/compose/sequential.hpp"
#include "tessera/ops/concat/concat.hpp"

namespace tessera {

namespace detail {
// Every extent but the first.
template <int... D>
constexpr std::array<int, sizeof...(D) - 1> tail(Shape<D...>) {
  std::array<int, sizeof...(D) - 1> t{};
  for (std::size_t i = 1; i < sizeof...(D); ++i) t[i - 1] = Shape<D...>::dims[i];
  return t;
}
template <class S0, class... S>
constexpr bool same_tails(Shapes<S0, S...>) {
  if constexpr (((S::rank != S0::rank) || ...))
    return false;
  else
    return ((tail(S{}) == tail(S0{})) && ...);
}
template <int C0, int... Rest, class... S>
constexpr auto joined(Shapes<Shape<C0, Rest...>, S...>) {
  return Shape<(C0 + ... + S::dims[0]), Rest...>{};
}
}  // namespace detail

struct Cat {
  template <class In>
  static constexpr auto check() {
    if constexpr (!ShapePack<In>)
      return Rule<"Cat joins a pack of tensors, Shapes<...>; use CatBranches<...> for branches of one input">{};
    else if constexpr (!detail::same_tails(In{}))
      return Rule<"Cat: all inputs need the same size in every extent but the first (same spatial size)">{};
    else
      return ShapeOk{};
  }

  template <class In, class T, class Dev>
  struct Module : LeafModule {
    using input_shape = In;
    using output_shape = decltype(detail::joined(In{}));
    static constexpr double flops = 0;
    static std::string describe() { return "Cat(dim=1)"; }
    void forward(Ptr<const T, Dev> x, Ptr<T, Dev> y, index n, Ptr<T, Dev>, Context<T, Dev>&) {
      [&]<std::size_t... I>(std::index_sequence<I...>) {
        const std::array<Ptr<const T, Dev>, In::count> inputs{
            (x + std::size_t(n) * pack_offset<I, In>())...};
        const std::array<std::size_t, In::count> sizes{shape_at<I, In>::size...};
        ops::concat_forward(Dev{}, inputs, sizes, y, n);
      }(std::make_index_sequence<In::count>{});
    }
    void backward(Ptr<const T, Dev>, Ptr<const T, Dev>, Ptr<const T, Dev> dy, Ptr<T, Dev> dx,
                  index n, Ptr<T, Dev>, Context<T, Dev>&) {
      if (!dx) return;
      [&]<std::size_t... I>(std::index_sequence<I...>) {
        const std::array<Ptr<T, Dev>, In::count> grads{
            (dx + std::size_t(n) * pack_offset<I, In>())...};
        const std::array<std::size_t, In::count> sizes{shape_at<I, In>::size...};
        ops::concat_backward(Dev{}, dy, grads, sizes, n);
      }(std::make_index_sequence<In::count>{});
    }
    // Second order: a copy, linear, so the tangents are joined and split as the values are.
    void tangent(Dual<Ptr<const T, Dev>> x, Dual<Ptr<T, Dev>> y, index n, Dual<Ptr<T, Dev>> keep,
                 Context<T, Dev>& cx) {
      forward(x.tangent, y.tangent, n, keep.tangent, cx);
    }
    bool tangent_backward(Dual<Ptr<const T, Dev>> x, Dual<Ptr<const T, Dev>> y,
                          Dual<Ptr<const T, Dev>> dy, Dual<Ptr<T, Dev>> dx, index n,
                          Dual<Ptr<T, Dev>> keep, Context<T, Dev>& cx) {
      backward(x.tangent, y.tangent, dy.tangent, dx.tangent, n, keep.tangent, cx);
      if (!dy.value) return false;
      backward(x.value, y.value, dy.value, dx.value, n, keep.value, cx);
      return true;
    }
  };
};

template <class... B>
struct CatBranches {
  // Checked here rather than in the inner Cat, so that the error names this CatBranches, its position
  // and the shapes its branches give.
  template <class In>
  static constexpr auto check() {
    using outputs = shape_after_t<Branches<B...>, In>;
    if constexpr (broken_v<outputs>)
      return BrokenInside<outputs>{};
    else if constexpr (!detail::same_tails(outputs{}))
      return Rule<"CatBranches: the branches differ in an extent other than the first (spatial "
                  "size); their outputs follow",
                  outputs>{};
    else
      return ShapeOk{};
  }
  template <class In, class T, class Dev>
  struct Module : Sequential<Inline<Branches<B...>>, Cat>::template Module<In, T, Dev> {
    static std::string describe() { return "CatBranches"; }
    // The branches are the children; the Cat that joins them is an implementation detail.
    template <class V>
    void visit(V& v) {
      std::get<0>(this->layers).visit(v);
    }
  };
};

}  // namespace tessera
