// ELU<Alpha>: y = x for x > 0, Alpha (exp(x) - 1) otherwise; PyTorch's nn.ELU(Alpha).
#pragma once

#include <string>

#include "tessera/core/module.hpp"
#include "tessera/layers/activation.hpp"

namespace tessera {

template <Decimal Alpha = 1.0>
struct ELU {
  template <class In>
  static constexpr auto check() {
    return one_tensor_check<"ELU takes one tensor", In>();
  }
  template <class In, class T, class Dev>
  struct Module : Activation<Module<In, T, Dev>, In, T, Dev, 3> {
    static std::string describe() { return detail::text_with_number("ELU(alpha=", Alpha, ")"); }
    static ops::fn::Elu<T> fn() { return {T(Alpha)}; }
  };
};

}  // namespace tessera
