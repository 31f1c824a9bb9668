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
#include "tessera/ops/elementwise/elementwise.hpp"

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
  static constexpr std::size_t children_gradient_size = std::max({std::size_t{0}, Modules::gradient_size...});
  // In inference the branches run one after the other and share one region.
  static constexpr std::size_t inference_size = std::max({std::size_t{0}, inference_size_of<Modules>()...});

  std::tuple<Modules...> branches;
  using children = std::tuple<Modules...>;

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
  template <class InputOf, class P, class Cx>
  void forward_all(InputOf input, P y, index n, P keep, Cx& cx) {
    [&]<std::size_t... I>(std::index_sequence<I...>) {
      (std::get<I>(branches).forward(input(std::integral_constant<std::size_t, I>{}),
                                     y + std::size_t(n) * pack_offset<I, output_shape>(), n,
                                     cx.backward_follows ? keep + std::size_t(n) * kept_offset<I>() : keep, cx),
       ...);
    }(std::make_index_sequence<count>{});
  }
  // Second order: branch I's tangents sit beside its values, at the same offsets.
  template <class InputOf, class D, class Cx>
  void tangent_all(InputOf input, D y, index n, D keep, Cx& cx) {
    [&]<std::size_t... I>(std::index_sequence<I...>) {
      (std::get<I>(branches).tangent(input(std::integral_constant<std::size_t, I>{}),
                                     shifted(y, std::size_t(n) * pack_offset<I, output_shape>()), n,
                                     shifted(keep, std::size_t(n) * kept_offset<I>()), cx),
       ...);
    }
    (std::make_index_sequence<count>{});
  }
  // Both halves of a Dual moved by `by` elements; a null half (a zero gradient) stays null.
  template <class P>
  static Dual<P> shifted(Dual<P> d, std::size_t by) {
    return {d.value ? P(d.value + by) : P{}, d.tangent ? P(d.tangent + by) : P{}};
  }

  // Branch I gets its part of dy and writes its input gradient at `input_grad(I)`.
  template <class InputOf, class ConstP, class InputGradOf, class P, class Cx>
  void backward_all(InputOf input, ConstP y, ConstP dy, InputGradOf input_grad, index n, P keep,
                    Cx& cx) {
    [&]<std::size_t... I>(std::index_sequence<I...>) {
      (std::get<I>(branches).backward(input(std::integral_constant<std::size_t, I>{}),
                                      y + std::size_t(n) * pack_offset<I, output_shape>(),
                                      dy + std::size_t(n) * pack_offset<I, output_shape>(),
                                      input_grad(std::integral_constant<std::size_t, I>{}), n,
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
    // Every branch but the first writes its input gradient here before it is added to dx.
    static constexpr std::size_t gradient_size =
        (sizeof...(B) > 1 ? In::size : 0) + Module::children_gradient_size;
    static std::string describe() { return "Branches"; }
    void forward(Ptr<const T, Dev> x, Ptr<T, Dev> y, index n, Ptr<T, Dev> keep,
                 Context<T, Dev> & cx) {
      this->forward_all([x](auto) { return x; }, y, n, keep, cx);
    }
    void backward(Ptr<const T, Dev> x, Ptr<const T, Dev> y, Ptr<const T, Dev> dy, Ptr<T, Dev> dx,
                  index n, Ptr<T, Dev> keep, Context<T, Dev> & cx) {
      Ptr<T, Dev> branch_dx = cx.gradients;
      Context<T, Dev> inner = after(cx, sizeof...(B) > 1 ? In::size : 0, n);
      const std::size_t count = std::size_t(n) * In::size;
      [&]<std::size_t... I>(std::index_sequence<I...>) {
        ((std::get<I>(this->branches)
              .backward(x, y + std::size_t(n) * pack_offset<I, typename Module::output_shape>(),
                        dy + std::size_t(n) * pack_offset<I, typename Module::output_shape>(),
                        !dx      ? nullptr
                        : I == 0 ? dx
                                 : branch_dx,
                        n, keep + std::size_t(n) * Module::template kept_offset<I>(), inner),
          (I > 0 && dx
               ? ops::accumulate(Dev{}, static_cast<Ptr<const T, Dev>>(branch_dx), dx, count)
               : void())),
         ...);
      }(std::index_sequence_for<B...>{});
    }

    // Second order, where every branch has it: the sum over the branches, both ways. A branch
    // whose dL/dx is zero (it reports false) adds nothing; dx's value is written by the first that
    // does not, and left alone when none does (returning false).
    static constexpr bool second_order = (SecondOrder<bind_t<B, In, T, Dev>, T, Dev> && ...);
    void tangent(Dual<Ptr<const T, Dev>> x, Dual<Ptr<T, Dev>> y, index n, Dual<Ptr<T, Dev>> keep,
                 Context<T, Dev> & cx) requires second_order {
      this->tangent_all([x](auto) { return x; }, y, n, keep, cx);
    }
    bool tangent_backward(Dual<Ptr<const T, Dev>> x, Dual<Ptr<const T, Dev>> y,
                          Dual<Ptr<const T, Dev>> dy, Dual<Ptr<T, Dev>> dx, index n,
                          Dual<Ptr<T, Dev>> keep, Context<T, Dev> & cx) requires second_order {
      const Dual<Ptr<T, Dev>> branch_dx{dx.value ? cx.gradients : Ptr<T, Dev>{},
                                        dx.tangent ? cx.tangent_gradients : Ptr<T, Dev>{}};
      Context<T, Dev> inner = after(cx, sizeof...(B) > 1 ? In::size : 0, n);
      const std::size_t count = std::size_t(n) * In::size;
      bool live = false;
      auto branch = [&]<std::size_t I>(std::integral_constant<std::size_t, I>) {
        const std::size_t at = std::size_t(n) * pack_offset<I, typename Module::output_shape>();
        const bool branch_live =
            std::get<I>(this->branches)
                .tangent_backward(
                    x, Module::shifted(y, at), Module::shifted(dy, at), I == 0 ? dx : branch_dx, n,
                    Module::shifted(keep, std::size_t(n) * Module::template kept_offset<I>()),
                    inner);
        if constexpr (I > 0) {
          if (dx.tangent)
            ops::accumulate(Dev{}, Ptr<const T, Dev>(branch_dx.tangent), dx.tangent, count);
          if (branch_live && dx.value) {
            if (live)
              ops::accumulate(Dev{}, Ptr<const T, Dev>(branch_dx.value), dx.value, count);
            else
              ops::copy(Dev{}, Ptr<const T, Dev>(branch_dx.value), dx.value, count);
          }
        }
        live = live || branch_live;
      };
      [&]<std::size_t... I>(std::index_sequence<I...>) {
        (branch(std::integral_constant<std::size_t, I>{}), ...);
      }
      (std::index_sequence_for<B...>{});
      return live;
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
    static constexpr std::size_t gradient_size = Module::children_gradient_size;
    static std::string describe() { return "Parallel"; }
    void forward(Ptr<const T, Dev> x, Ptr<T, Dev> y, index n, Ptr<T, Dev> keep,
                 Context<T, Dev> & cx) {
      this->forward_all([x, n](auto i) { return x + std::size_t(n) * pack_offset<decltype(i)::value, In>(); },
                        y, n, keep, cx);
    }
    void backward(Ptr<const T, Dev> x, Ptr<const T, Dev> y, Ptr<const T, Dev> dy, Ptr<T, Dev> dx,
                  index n, Ptr<T, Dev> keep, Context<T, Dev> & cx) {
      this->backward_all(
          [x, n](auto i) { return x + std::size_t(n) * pack_offset<decltype(i)::value, In>(); }, y,
          dy,
          [dx, n](auto i) -> Ptr<T, Dev> {
            return dx ? dx + std::size_t(n) * pack_offset<decltype(i)::value, In>() : nullptr;
          },
          n, keep, cx);
    }

    // Second order, where every branch has it: each branch on its own part. When some branch's
    // dL/dx is zero and another's is not, the zero part is written as zeros.
    static constexpr bool second_order = []<std::size_t... I>(std::index_sequence<I...>) {
      return (SecondOrder<bind_t<B, shape_at<I, In>, T, Dev, I>, T, Dev> && ...);
    }
    (std::index_sequence_for<B...>{});
    void tangent(Dual<Ptr<const T, Dev>> x, Dual<Ptr<T, Dev>> y, index n, Dual<Ptr<T, Dev>> keep,
                 Context<T, Dev> & cx) requires second_order {
      this->tangent_all(
          [x, n](auto i) {
            return Module::shifted(x, std::size_t(n) * pack_offset<decltype(i)::value, In>());
          },
          y, n, keep, cx);
    }
    bool tangent_backward(Dual<Ptr<const T, Dev>> x, Dual<Ptr<const T, Dev>> y,
                          Dual<Ptr<const T, Dev>> dy, Dual<Ptr<T, Dev>> dx, index n,
                          Dual<Ptr<T, Dev>> keep, Context<T, Dev> & cx) requires second_order {
      bool lives[sizeof...(B)];
      [&]<std::size_t... I>(std::index_sequence<I...>) {
        ((lives[I] =
              std::get<I>(this->branches)
                  .tangent_backward(
                      Module::shifted(x, std::size_t(n) * pack_offset<I, In>()),
                      Module::shifted(
                          y, std::size_t(n) * pack_offset<I, typename Module::output_shape>()),
                      Module::shifted(
                          dy, std::size_t(n) * pack_offset<I, typename Module::output_shape>()),
                      Module::shifted(dx, std::size_t(n) * pack_offset<I, In>()), n,
                      Module::shifted(keep, std::size_t(n) * Module::template kept_offset<I>()),
                      cx)),
         ...);
        if (!(lives[I] || ...) || !dx.value) return;
        ((lives[I] ? void()
                   : ops::fill(Dev{}, dx.value + std::size_t(n) * pack_offset<I, In>(),
                               std::size_t(n) * shape_at<I, In>::size, T(0))),
         ...);
      }
      (std::index_sequence_for<B...>{});
      return std::find(std::begin(lives), std::end(lives), true) != std::end(lives);
    }
  };
};

}  // namespace tessera
