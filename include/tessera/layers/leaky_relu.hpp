// LeakyReLU<Slope>: y = x for x >= 0, Slope * x otherwise; PyTorch's nn.LeakyReLU(Slope).
//   LeakyReLU<0.2>
#pragma once

#include <string>

#include "tessera/core/module.hpp"
#include "tessera/layers/activation.hpp"

namespace tessera {

template <Decimal Slope = 0.01>
struct LeakyReLU {
  template <class In>
  static constexpr auto check() {
    return one_tensor_check<"LeakyReLU takes one tensor", In>();
  }
  template <class In, class T, class Dev>
  struct Module : Activation<Module<In, T, Dev>, In, T, Dev, 2> {
    static std::string describe() {
      return detail::text_with_number("LeakyReLU(negative_slope=", Slope, ")");
    }
    static ops::fn::LeakyRelu<T> fn() { return {T(Slope)}; }
  };
};

}  // namespace tessera
