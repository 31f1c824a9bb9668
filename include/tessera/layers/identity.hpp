// Identity: y = x, PyTorch's nn.Identity. The skip branch of a concatenation, or a placeholder.
#pragma once

#include <algorithm>

#include "tessera/core/module.hpp"
#include "tessera/ops/elementwise/elementwise.hpp"

namespace tessera {

struct Identity {
  template <class In>
  static constexpr ShapeOk check() {
    return {};
  }
  template <class In, class T, class Dev>
  struct Module : LeafModule {
    using input_shape = In;
    using output_shape = In;
    static constexpr double flops = 0;
    static std::string describe() { return "Identity()"; }
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

}  // namespace tessera
