// Tanh: y = tanh(x), PyTorch's nn.Tanh. Any shape.
#pragma once

#include "tessera/core/module.hpp"
#include "tessera/layers/activation.hpp"

namespace tessera {

struct Tanh {
  template <class In>
  static constexpr auto check() {
    return one_tensor_check<"Tanh takes one tensor", In>();
  }
  template <class In, class T, class Dev>
  struct Module : Activation<Module<In, T, Dev>, In, T, Dev, 1> {
    static std::string describe() { return "Tanh()"; }
    static ops::fn::Tanh<T> fn() { return {}; }
  };
};

}  // namespace tessera
