// Sigmoid: y = 1 / (1 + exp(-x)), PyTorch's nn.Sigmoid. Any shape.
#pragma once

#include "tessera/core/module.hpp"
#include "tessera/layers/activation.hpp"

namespace tessera {

struct Sigmoid {
  template <class In>
  static constexpr auto check() {
    return one_tensor_check<"Sigmoid takes one tensor", In>();
  }
  template <class In, class T, class Dev>
  struct Module : Activation<Module<In, T, Dev>, In, T, Dev, 4> {
    static std::string describe() { return "Sigmoid()"; }
    static ops::fn::Sigmoid<T> fn() { return {}; }
  };
};

}  // namespace tessera
