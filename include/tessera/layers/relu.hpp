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
    void forward(const T* x, T* y, index n, T*, Context<T>&) {
      ops::map(Dev{}, x, y, std::size_t(n) * In::size, ops::fn::Relu<T>{});
    }
    void backward(const T* x, const T* y, const T* dy, T* dx, index n, T*, Context<T>&) {
      if (dx) ops::map_backward(Dev{}, x, y, dy, dx, std::size_t(n) * In::size, ops::fn::Relu<T>{});
    }
  };
};

}  // namespace tessera
