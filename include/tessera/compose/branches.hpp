// Several layers side by side.
//   `Branches<A, B, C>` (alias `Heads`): each branch reads the same input; the output is the pack
//     Shapes<A(x), B(x), C(x)> -- InfoGAN's three heads, or the two sides of a skip connection.
//   `Parallel<A, B>`: reads a pack Shapes<X, Y> and gives Shapes<A(X), B(Y)> -- the noise and the
//     label of a conditional GAN, each through its own layer, before a `Cat`.
// Children are named by their index unless Named.
#pragma once

#include <algorithm>
#include <tuple>
#include <utility>

#include "tessera/core/module.hpp"

namespace tessera {

namespace detail {
// What Branches and Parallel share: a tuple of modules whose outputs form a pack.
template <class Derived, class Specs, class Modules>
struct SideBySide;
template <class Derived, class... Specs, class... Modules>
struct SideBySide<Derived, std::tuple<Specs...>, std::tuple<Modules...>> {
  using output_shape = Shapes<typename Modules::output_shape...>;
  static constexpr std::size_t count = sizeof...(Modules);
  static constexpr std::size_t parameter_count = (std::size_t{0} + ... + Modules::parameter_count);
  static constexpr std::size_t buffer_count = (std::size_t{0} + ... + Modules::buffer_count);
  static constexpr double flops = (0.0 + ... + Modules::flops);
  static constexpr std::size_t keep_size = (std::size_t{0} + ... + Modules::keep_size);
  static constexpr std::size_t scratch_size = std::max({std::size_t{0}, Modules::scratch_size...});

  std::tuple<Modules...> branches;

  template <std::size_t I>
  static constexpr std::size_t kept_offset() {
    return [&]<std::size_t... J>(std::index_sequence<J...>) {
      return (std::size_t{0} + ... + std::tuple_element_t<J, std::tuple<Modules...>>::keep_size);
    }(std::make_index_sequence<I>{});
  }

  template <class V>
  void visit(V& v) {
    [&]<std::size_t... I>(std::index_sequence<I...>) {
      (v.child(child_segment<Specs>(I), std::get<I>(branches)), ...);
    }(std::make_index_sequence<count>{});
  }
  // Branch I reads `input(I)` (given by Derived) and writes its part of the output pack.
  template <class T, class Cx, class InputOf>
  void forward_all(InputOf input, T* y, index n, T* keep, Cx& cx) {
    [&]<std::size_t... I>(std::index_sequence<I...>) {
      (std::get<I>(branches).forward(input(std::integral_constant<std::size_t, I>{}),
                                     y + std::size_t(n) * pack_offset<I, output_shape>(), n,
                                     keep + std::size_t(n) * kept_offset<I>(), cx),
       ...);
    }(std::make_index_sequence<count>{});
  }
};
}  // namespace detail

template <class... B>
struct Branches {
  static_assert(sizeof...(B) > 0, "tessera: Branches needs at least one branch");
  template <class In>
  static constexpr ShapeOk check() {
    return {};
  }
  template <class In, class T, class Dev>
  struct Module : detail::SideBySide<Module<In, T, Dev>, std::tuple<B...>,
                                     decltype([]<std::size_t... I>(std::index_sequence<I...>) {
                                       return std::tuple<bind_t<B, In, T, Dev, I>...>{};
                                     }(std::index_sequence_for<B...>{}))> {
    using input_shape = In;
    static std::string describe() { return "Branches"; }
    void forward(const T* x, T* y, index n, T* keep, Context<T>& cx) {
      this->forward_all([x](auto) { return x; }, y, n, keep, cx);
    }
  };
};

template <class... B>
using Heads = Branches<B...>;

template <class... B>
struct Parallel {
  static_assert(sizeof...(B) > 0, "tessera: Parallel needs at least one branch");
  template <class In>
  static constexpr auto check() {
    if constexpr (!ShapePack<In>)
      return Rule<"Parallel needs a pack of inputs, Shapes<...>, one per branch">{};
    else if constexpr (In::count != sizeof...(B))
      return Rule<"Parallel needs exactly one input per branch">{};
    else
      return ShapeOk{};
  }
  template <class In, class T, class Dev>
  struct Module : detail::SideBySide<Module<In, T, Dev>, std::tuple<B...>,
                                     decltype([]<std::size_t... I>(std::index_sequence<I...>) {
                                       return std::tuple<bind_t<B, shape_at<I, In>, T, Dev, I>...>{};
                                     }(std::index_sequence_for<B...>{}))> {
    using input_shape = In;
    static std::string describe() { return "Parallel"; }
    void forward(const T* x, T* y, index n, T* keep, Context<T>& cx) {
      this->forward_all([x, n](auto i) { return x + std::size_t(n) * pack_offset<decltype(i)::value, In>(); },
                        y, n, keep, cx);
    }
  };
};

}  // namespace tessera
