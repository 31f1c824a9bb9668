// ELU<Alpha>: y = x for x > 0, Alpha (exp(x) - 1) otherwise; PyTorch's nn.ELU(Alpha).
#pragma once

#include <cmath>
#include <string>

#include "tessera/core/module.hpp"
#include "tessera/ops/elementwise/elementwise.hpp"

namespace tessera {

template <Decimal Alpha = 1.0>
struct ELU {
  template <class In>
  static constexpr auto check() {
    return one_tensor_check<"ELU takes one tensor", In>();
  }
  template <class In, class T, class Dev>
  struct Module : ElementwiseModule<In, 3> {
    static std::string describe() { return "ELU(alpha=" + number_text(Alpha) + ")"; }
    void forward(const T* x, T* y, index n, T*, Context<T>&) {
      ops::map(Dev{}, x, y, std::size_t(n) * In::size,
               [](T v) { return v > T(0) ? v : T(Alpha) * (std::exp(v) - T(1)); });
    }
    // From x, as PyTorch's elu_backward for a non-inplace ELU: y + Alpha would give Alpha exp(x)
    // without the exponential, but loses its digits where exp(x) is small next to Alpha.
    void backward(const T* x, const T* y, const T* dy, T* dx, index n, T*, Context<T>&) {
      if (dx)
        ops::map_backward(Dev{}, x, y, dy, dx, std::size_t(n) * In::size,
                          [](T in, T, T g) { return in > T(0) ? g : g * T(Alpha) * std::exp(in); });
    }
  };
};

}  // namespace tessera
