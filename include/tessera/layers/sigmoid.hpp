// Sigmoid: y = 1 / (1 + exp(-x)), PyTorch's nn.Sigmoid. Any shape.
#pragma once

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
    void forward(Ptr<const T, Dev> x, Ptr<T, Dev> y, index n, Ptr<T, Dev>, Context<T, Dev>&) {
      ops::map(Dev{}, x, y, std::size_t(n) * In::size, ops::fn::Sigmoid<T>{});
    }
    // dL/dx as PyTorch computes it (ops/elementwise/functions.hpp).
    void backward(Ptr<const T, Dev> x, Ptr<const T, Dev> y, Ptr<const T, Dev> dy, Ptr<T, Dev> dx,
                  index n, Ptr<T, Dev>, Context<T, Dev>&) {
      if (dx)
        ops::map_backward(Dev{}, x, y, dy, dx, std::size_t(n) * In::size, ops::fn::Sigmoid<T>{});
    }
  };
};

}  // namespace tessera
