// Flatten: Shape<C, H, W> -> Shape<C H W>, PyTorch's nn.Flatten() (start_dim 1).
// Reshape<Shape<...>>: the same elements under another per-sample shape, as x.view(n, ...) does;
// the element counts must agree. Both copy (the arena keeps every layer's output).
//   Sequential<Linear<128 * 16 * 16>, Reshape<Shape<128, 16, 16>>, BatchNorm2d<>>
#pragma once

#include <algorithm>

#include "tessera/core/module.hpp"
#include "tessera/ops/elementwise/elementwise.hpp"

namespace tessera {

namespace detail {
// "Reshape<128, 16, 16>".
inline std::string reshape_text(const int* dims, int rank) {
  return "Reshape" + shape_text(dims, rank).substr(5);
}
}  // namespace detail

template <SingleShape Target>
struct Reshape {
  template <class In>
  static constexpr auto check() {
    if constexpr (!SingleShape<In>)
      return Rule<"Reshape takes one tensor">{};
    else if constexpr (In::size != Target::size)
      return Rule<"Reshape: the target shape holds a different number of elements", expected<Target>>{};
    else
      return ShapeOk{};
  }
  template <class In, class T, class Dev>
  struct Module : LeafModule {
    using input_shape = In;
    using output_shape = Target;
    static constexpr double flops = 0;
    static std::string describe() { return detail::reshape_text(Target::dims.data(), Target::rank); }
    void forward(Ptr<const T, Dev> x, Ptr<T, Dev> y, index n, Ptr<T, Dev>, Context<T, Dev>&) {
      ops::copy(Dev{}, x, y, std::size_t(n) * In::size);
    }
    void backward(Ptr<const T, Dev>, Ptr<const T, Dev>, Ptr<const T, Dev> dy, Ptr<T, Dev> dx,
                  index n, Ptr<T, Dev>, Context<T, Dev>&) {
      if (dx) ops::copy(Dev{}, dy, dx, std::size_t(n) * In::size);
    }
    // Second order: the tangent and both gradients pass through as the values do.
    void tangent(Dual<Ptr<const T, Dev>> x, Dual<Ptr<T, Dev>> y, index n, Dual<Ptr<T, Dev>>,
                 Context<T, Dev>&) {
      ops::copy(Dev{}, x.tangent, y.tangent, std::size_t(n) * In::size);
    }
    bool tangent_backward(Dual<Ptr<const T, Dev>>, Dual<Ptr<const T, Dev>>,
                          Dual<Ptr<const T, Dev>> dy, Dual<Ptr<T, Dev>> dx, index n,
                          Dual<Ptr<T, Dev>>, Context<T, Dev>&) {
      if (dx.tangent) ops::copy(Dev{}, dy.tangent, dx.tangent, std::size_t(n) * In::size);
      if (dy.value && dx.value) ops::copy(Dev{}, dy.value, dx.value, std::size_t(n) * In::size);
      return bool(dy.value);
    }
  };
};

struct Flatten {
  template <class In>
  static constexpr auto check() {
    return one_tensor_check<"Flatten takes one tensor", In>();
  }
  template <class In, class T, class Dev>
  struct Module : Reshape<Shape<In::size>>::template Module<In, T, Dev> {
    static std::string describe() { return "Flatten(start_dim=1, end_dim=-1)"; }
  };
};

}  // namespace tessera
