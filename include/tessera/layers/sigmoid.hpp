// Sigmoid: y = 1 / (1 + exp(-x)), PyTorch's nn.Sigmoid. Any shape.
#pragma once

#include <cmath>

#include "tessera/core/module.hpp"
#include "tessera/ops/elementwise/elementwise.hpp"

namespace tessera {

struct Sigmoid {
  template <class In>
  static constexpr auto check() {
    return one_tensor_check<"Sigmoid takes one tensor", In>();
  }
  template <class In, class T, class Dev>
  struct Module : ElementwiseModule<In, 4> {
    static std::string describe() { return "Sigmoid()"; }
    void forward(const T* x, T* y, index n, T*, Context<T>&) {
      ops::map(Dev{}, x, y, std::size_t(n) * In::size, [](T v) { return T(1) / (T(1) + std::exp(-v)); });
    }
    // From y, as PyTorch's sigmoid_backward (same order of operations): no second exponential.
    void backward(const T* x, const T* y, const T* dy, T* dx, index n, T*, Context<T>&) {
      if (dx)
        ops::map_backward(Dev{}, x, y, dy, dx, std::size_t(n) * In::size,
                          [](T, T out, T g) { return g * (T(1) - out) * out; });
    }
  };
};

}  // namespace tessera
