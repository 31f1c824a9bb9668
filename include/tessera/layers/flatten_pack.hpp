// FlattenPack: a pack that holds packs becomes one flat pack, Shapes<Shapes<A, B>, C> ->
// Shapes<A, B, C>. Nested packs arise where a branch of Parallel or Branches itself gives several
// tensors (a VAE encoder's (mu, logvar) beside the noise eps). The memory layout is the same (each
// tensor batch-major, one after the other), so this only renames the shape; it copies because the
// arena keeps every layer's output. No parameters.
//   Sequential<Inline<Parallel<Encoder, Identity>>, FlattenPack, Reparameterize, ...>
#pragma once

#include <algorithm>
#include <string>

#include "tessera/core/module.hpp"
#include "tessera/ops/elementwise/elementwise.hpp"

namespace tessera {

namespace detail {
template <class... Packs>
struct concat_packs {
  using type = Shapes<>;
};
template <class... A>
struct concat_packs<Shapes<A...>> {
  using type = Shapes<A...>;
};
template <class... A, class... B, class... Rest>
struct concat_packs<Shapes<A...>, Shapes<B...>, Rest...> : concat_packs<Shapes<A..., B...>, Rest...> {};

// A single shape is the pack of itself; a pack is the concatenation of its members' flat packs.
template <class S>
struct flat_pack {
  using type = Shapes<S>;
};
template <class... S>
struct flat_pack<Shapes<S...>> {
  using type = typename concat_packs<typename flat_pack<S>::type...>::type;
};
}  // namespace detail

// The flat pack of every tensor in a (possibly nested) pack, in order.
template <ShapePack P>
using flat_pack_t = typename detail::flat_pack<P>::type;

struct FlattenPack {
  template <class In>
  static constexpr auto check() {
    if constexpr (!ShapePack<In>)
      return Rule<"FlattenPack takes a pack Shapes<...>; its input is one tensor">{};
    else
      return ShapeOk{};
  }

  template <class In, class T, class Dev>
  struct Module : LeafModule {
    using input_shape = In;
    using output_shape = flat_pack_t<In>;
    static constexpr double flops = 0;

    static std::string describe() { return "FlattenPack"; }
    void forward(Ptr<const T, Dev> x, Ptr<T, Dev> y, index n, Ptr<T, Dev>, Context<T, Dev>&) {
      ops::copy(Dev{}, x, y, std::size_t(n) * In::size);
    }
    void backward(Ptr<const T, Dev>, Ptr<const T, Dev>, Ptr<const T, Dev> dy, Ptr<T, Dev> dx,
                  index n, Ptr<T, Dev>, Context<T, Dev>&) {
      if (dx) ops::copy(Dev{}, dy, dx, std::size_t(n) * In::size);
    }
  };
};

}  // namespace tessera
