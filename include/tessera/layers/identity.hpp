// Identity: y = x, PyTorch's nn.Identity. The skip branch of a concatenation, or a placeholder.
#pragma once

#include <algorithm>

#include "tessera/core/module.hpp"

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
    void forward(const T* x, T* y, index n, T*, Context<T>&) {
      std::copy(x, x + std::size_t(n) * In::size, y);
    }
    void backward(const T*, const T*, const T* dy, T* dx, index n, T*, Context<T>&) {
      if (dx) std::copy(dy, dy + std::size_t(n) * In::size, dx);
    }
  };
};

}  // namespace tessera
