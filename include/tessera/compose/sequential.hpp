// `Sequential<A, B, C>`: y = C(B(A(x))), PyTorch's nn.Sequential. The layer list stays flat; each
// layer's input shape is the previous one's output, computed and checked at compile time.
// Intermediate outputs are kept in the model's arena, at offsets fixed by the shapes.
#pragma once

#include <algorithm>
#include <string>
#include <tuple>
#include <utility>

#include "tessera/core/module.hpp"

namespace tessera {

namespace detail {
// Binds each layer to the previous one's output: Modules is a std::tuple of bound modules.
template <class T, class Dev, std::size_t Position, class In, class... Layers>
struct chain {
  using modules = std::tuple<>;
  using output = In;
};
template <class T, class Dev, std::size_t Position, class In, class L, class... Rest>
struct chain<T, Dev, Position, In, L, Rest...> {
  using head = bind_t<L, In, T, Dev, Position>;
  using tail = chain<T, Dev, Position + 1, typename head::output_shape, Rest...>;
  using modules = decltype(std::tuple_cat(std::declval<std::tuple<head>>(),
                                          std::declval<typename tail::modules>()));
  using output = typename tail::output;
};
}  // namespace detail

template <class... Layers>
struct Sequential {
  static_assert(sizeof...(Layers) > 0, "tessera: Sequential needs at least one layer");

  // Every layer's own rule is checked (with its position) while binding, below.
  template <class In>
  static constexpr ShapeOk check() {
    return {};
  }

  template <class In, class T, class Dev>
  struct Module {
    using chained = detail::chain<T, Dev, 0, In, Layers...>;
    using modules = typename chained::modules;
    using input_shape = In;
    using output_shape = typename chained::output;
    static constexpr std::size_t count = sizeof...(Layers);

    template <std::size_t I>
    using layer_t = std::tuple_element_t<I, modules>;

   private:
    template <class F>
    static constexpr auto sum(F f) {
      return [&]<std::size_t... I>(std::index_sequence<I...>) {
        return (decltype(f(std::integral_constant<std::size_t, 0>{})){} + ... +
                f(std::integral_constant<std::size_t, I>{}));
      }(std::make_index_sequence<count>{});
    }
    // Per-sample offset of the I-th intermediate output (outputs of layers 0..count-2), then of
    // the I-th layer's own kept memory after all intermediates.
    template <std::size_t I>
    static constexpr std::size_t intermediate_offset() {
      return [&]<std::size_t... J>(std::index_sequence<J...>) {
        return (std::size_t{0} + ... + layer_t<J>::output_shape::size);
      }(std::make_index_sequence<I>{});
    }
    static constexpr std::size_t intermediates_size = intermediate_offset<count - 1>();
    template <std::size_t I>
    static constexpr std::size_t kept_offset() {
      return intermediates_size + [&]<std::size_t... J>(std::index_sequence<J...>) {
        return (std::size_t{0} + ... + layer_t<J>::keep_size);
      }(std::make_index_sequence<I>{});
    }

   public:
    static constexpr std::size_t parameter_count =
        sum([](auto i) { return layer_t<i>::parameter_count; });
    static constexpr std::size_t buffer_count = sum([](auto i) { return layer_t<i>::buffer_count; });
    static constexpr double flops = sum([](auto i) { return double(layer_t<i>::flops); });
    static constexpr std::size_t keep_size = kept_offset<count>();
    static constexpr std::size_t scratch_size = [] {
      return [&]<std::size_t... I>(std::index_sequence<I...>) {
        return std::max({std::size_t{0}, layer_t<I>::scratch_size...});
      }(std::make_index_sequence<count>{});
    }();
    // Backward passes the gradient from layer to layer through two buffers, each as large as the
    // largest intermediate, in turn; the children's own needs come after them.
    static constexpr std::size_t largest_intermediate = [] {
      return [&]<std::size_t... I>(std::index_sequence<I...>) {
        return std::max({std::size_t{0}, (I + 1 < count ? layer_t<I>::output_shape::size : 0)...});
      }(std::make_index_sequence<count>{});
    }();
    static constexpr std::size_t gradient_size = 2 * largest_intermediate + [] {
      return [&]<std::size_t... I>(std::index_sequence<I...>) {
        return std::max({std::size_t{0}, layer_t<I>::gradient_size...});
      }(std::make_index_sequence<count>{});
    }();
    // Inference passes the activations through two buffers the same way; the layers share what
    // follows them.
    static constexpr std::size_t inference_size = 2 * largest_intermediate + [] {
      return [&]<std::size_t... I>(std::index_sequence<I...>) {
        return std::max({std::size_t{0}, inference_size_of<layer_t<I>>()...});
      }(std::make_index_sequence<count>{});
    }();

    modules layers;

    template <std::size_t I>
    auto& layer() {
      return std::get<I>(layers);
    }

    static std::string describe() { return "Sequential"; }

    template <class V>
    void visit(V& v) {
      [&]<std::size_t... I>(std::index_sequence<I...>) {
        (v.child(child_segment<Layers>(I), std::get<I>(layers)), ...);
      }(std::make_index_sequence<count>{});
    }

    // Keeps every intermediate output for backward, unless cx.backward_follows is false.
    void forward(Ptr<const T, Dev> x, Ptr<T, Dev> y, index n, Ptr<T, Dev> keep,
                 Context<T, Dev>& cx) {
      if (cx.backward_follows) {
        [&]<std::size_t... I>(std::index_sequence<I...>) {
          (forward_layer<I>(x, y, n, keep, cx), ...);
        }(std::make_index_sequence<count>{});
      } else {
        Ptr<T, Dev> buffers[2] = {keep, keep + std::size_t(n) * largest_intermediate};
        Ptr<T, Dev> shared = keep + 2 * std::size_t(n) * largest_intermediate;
        [&]<std::size_t... I>(std::index_sequence<I...>) {
          (std::get<I>(layers).forward(I == 0 ? x : buffers[(I + 1) % 2], I == count - 1 ? y : buffers[I % 2],
                                       n, shared, cx),
           ...);
        }(std::make_index_sequence<count>{});
      }
    }

    // Layers in reverse; the first gets dx (or null when nobody needs the input's gradient).
    void backward(Ptr<const T, Dev> x, Ptr<const T, Dev> y, Ptr<const T, Dev> dy, Ptr<T, Dev> dx,
                  index n, Ptr<T, Dev> keep, Context<T, Dev>& cx) {
      Ptr<T, Dev> buffers[2] = {cx.gradients, cx.gradients + std::size_t(n) * largest_intermediate};
      Context<T, Dev> inner = after(cx, 2 * largest_intermediate, n);
      Ptr<const T, Dev> gradient = dy;
      [&]<std::size_t... R>(std::index_sequence<R...>) {
        ((backward_layer<count - 1 - R>(x, y, gradient, dx, buffers, n, keep, inner)), ...);
      }(std::make_index_sequence<count>{});
    }

    // Second order, where every layer has it: the tangents travel beside the values, the
    // intermediate tangents kept at the values' offsets in keep.tangent, and the tangents'
    // gradients pass through two more buffers, from cx.tangent_gradients. A value gradient that a
    // layer reports zero (piecewise-linear critics, from the top) is passed on as null.
    static constexpr bool second_order = [] {
      return []<std::size_t... I>(std::index_sequence<I...>) {
        return (SecondOrder<layer_t<I>, T, Dev> && ...);
      }(std::make_index_sequence<count>{});
    }();
    using children = modules;

    void tangent(Dual<Ptr<const T, Dev>> x, Dual<Ptr<T, Dev>> y, index n, Dual<Ptr<T, Dev>> keep,
                 Context<T, Dev>& cx)
      requires second_order
    {
      [&]<std::size_t... I>(std::index_sequence<I...>) {
        (std::get<I>(layers).tangent(
             Dual<Ptr<const T, Dev>>{input_of<I>(x.value, n, keep.value),
                                     input_of<I>(x.tangent, n, keep.tangent)},
             Dual<Ptr<T, Dev>>{output_of<I>(y.value, n, keep.value),
                               output_of<I>(y.tangent, n, keep.tangent)},
             n, Dual<Ptr<T, Dev>>{kept_by<I>(n, keep.value), kept_by<I>(n, keep.tangent)}, cx),
         ...);
      }(std::make_index_sequence<count>{});
    }
    bool tangent_backward(Dual<Ptr<const T, Dev>> x, Dual<Ptr<const T, Dev>> y,
                          Dual<Ptr<const T, Dev>> dy, Dual<Ptr<T, Dev>> dx, index n,
                          Dual<Ptr<T, Dev>> keep, Context<T, Dev>& cx)
      requires second_order
    {
      const std::size_t half = std::size_t(n) * largest_intermediate;
      const Dual<Ptr<T, Dev>> buffers[2] = {{cx.gradients, cx.tangent_gradients},
                                            {cx.gradients + half, cx.tangent_gradients + half}};
      Context<T, Dev> inner = after(cx, 2 * largest_intermediate, n);
      Dual<Ptr<const T, Dev>> gradient = dy;
      bool live = bool(dy.value);
      [&]<std::size_t... R>(std::index_sequence<R...>) {
        ((live = tangent_backward_layer<count - 1 - R>(x, y, gradient, dx, buffers, n, keep, inner)),
         ...);
      }(std::make_index_sequence<count>{});
      return live;
    }

    template <std::size_t I>
    Ptr<const T, Dev> input_of(Ptr<const T, Dev> x, index n, Ptr<T, Dev> keep) const {
      if constexpr (I == 0)
        return x;
      else
        return keep + std::size_t(n) * intermediate_offset<I - 1>();
    }
    template <std::size_t I>
    Ptr<T, Dev> output_of(Ptr<T, Dev> y, index n, Ptr<T, Dev> keep) const {
      if constexpr (I == count - 1)
        return y;
      else
        return keep + std::size_t(n) * intermediate_offset<I>();
    }
    template <std::size_t I>
    Ptr<T, Dev> kept_by(index n, Ptr<T, Dev> keep) const {
      return keep + std::size_t(n) * kept_offset<I>();
    }

   private:
    template <std::size_t I>
    bool tangent_backward_layer(Dual<Ptr<const T, Dev>> x, Dual<Ptr<const T, Dev>> y,
                                Dual<Ptr<const T, Dev>>& gradient, Dual<Ptr<T, Dev>> dx,
                                const Dual<Ptr<T, Dev>>* buffers, index n, Dual<Ptr<T, Dev>> keep,
                                Context<T, Dev>& cx) {
      const Dual<Ptr<T, Dev>> out = I == 0 ? dx : buffers[I % 2];
      const Dual<Ptr<const T, Dev>> layer_x{input_of<I>(x.value, n, keep.value),
                                            input_of<I>(x.tangent, n, keep.tangent)};
      const Dual<Ptr<const T, Dev>> layer_y{
          I == count - 1 ? y.value : keep.value + std::size_t(n) * intermediate_offset<I>(),
          I == count - 1 ? y.tangent : keep.tangent + std::size_t(n) * intermediate_offset<I>()};
      const bool live = std::get<I>(layers).tangent_backward(
          layer_x, layer_y, gradient, out, n,
          Dual<Ptr<T, Dev>>{kept_by<I>(n, keep.value), kept_by<I>(n, keep.tangent)}, cx);
      gradient = {live ? Ptr<const T, Dev>(out.value) : Ptr<const T, Dev>{}, out.tangent};
      return live;
    }
    template <std::size_t I>
    void backward_layer(Ptr<const T, Dev> x, Ptr<const T, Dev> y, Ptr<const T, Dev>& gradient,
                        Ptr<T, Dev> dx, Ptr<T, Dev> const* buffers, index n, Ptr<T, Dev> keep,
                        Context<T, Dev>& cx) {
      Ptr<T, Dev> out = I == 0 ? dx : buffers[I % 2];
      Ptr<const T, Dev> layer_y =
          I == count - 1 ? y : keep + std::size_t(n) * intermediate_offset<I>();
      std::get<I>(layers).backward(input_of<I>(x, n, keep), layer_y, gradient, out, n, kept_by<I>(n, keep),
                                   cx);
      gradient = out;
    }
    template <std::size_t I>
    void forward_layer(Ptr<const T, Dev> x, Ptr<T, Dev> y, index n, Ptr<T, Dev> keep,
                       Context<T, Dev>& cx) {
      std::get<I>(layers).forward(input_of<I>(x, n, keep), output_of<I>(y, n, keep), n,
                                  kept_by<I>(n, keep), cx);
    }
  };
};

}  // namespace tessera

namespace tessera {

namespace detail {
template <class... Seqs>
struct join;
template <class... A>
struct join<Sequential<A...>> {
  using type = Sequential<A...>;
};
template <class... A, class... B, class... Rest>
struct join<Sequential<A...>, Sequential<B...>, Rest...> : join<Sequential<A..., B...>, Rest...> {};

template <class L, class Indices>
struct repeat;
template <class L, std::size_t... I>
struct repeat<L, std::index_sequence<I...>> {
  template <std::size_t>
  using same = L;
  using type = Sequential<same<I>...>;
};
}  // namespace detail

// One flat Sequential of the layers of several, so that indices run on as in a PyTorch list
// built with `model += [...]`:  Join<Sequential<A, B>, Repeat<3, C>, Sequential<D>>  is
// Sequential<A, B, C, C, C, D>.
template <class... Seqs>
using Join = typename detail::join<Seqs...>::type;

// Sequential<L, L, ..., L>, N times.
template <std::size_t N, class L>
using Repeat = typename detail::repeat<L, std::make_index_sequence<N>>::type;

}  // namespace tessera
