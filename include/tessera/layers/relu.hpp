// ReLU: y = max(x, 0), PyTorch's nn.ReLU. Any shape.
#pragma once

#include "tessera/core/module.hpp"
#include "tessera/ops/elementwise/elementwise.hpp"

namespace tessera {

struct ReLU {
  template <class In>
  static constexpr auto check() {
    return one_tensor_check<"ReLU takes one tensor", In>();
  }
  template <class In, class T, class Dev>
  struct Module : ElementwiseModule<In, 1> {
    static std::string describe() { return "ReLU()"; }
    void forward(Ptr<const T, Dev> x, Ptr<T, Dev> y, index n, Ptr<T, Dev>, Context<T, Dev>&) {
      ops::map(Dev{}, x, y, std::size_t(n) * In::size, ops::fn::Relu<T>{});
    }
    void backward(Ptr<const T, Dev> x, Ptr<const T, Dev> y, Ptr<const T, Dev> dy, Ptr<T, Dev> dx,
                  index n, Ptr<T, Dev>, Context<T, Dev>&) {
      if (dx) ops::map_backward(Dev{}, x, y, dy, dx, std::size_t(n) * In::size, ops::fn::Relu<T>{});
    }
  };
};

}  // namespace tessera
