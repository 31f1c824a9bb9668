// ReLU: y = max(x, 0), PyTorch's nn.ReLU. Any shape.
#pragma once

#include "tessera/core/module.hpp"
#include "tessera/layers/activation.hpp"

namespace tessera {

struct ReLU {
  template <class In>
  static constexpr auto check() {
    return one_tensor_check<"ReLU takes one tensor", In>();
  }
  template <class In, class T, class Dev>
  struct Module : Activation<Module<In, T, Dev>, In, T, Dev, 1> {
    static std::string describe() { return "ReLU()"; }
    static ops::fn::Relu<T> fn() { return {}; }
  };
};

}  // namespace tessera
