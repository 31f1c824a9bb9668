// ELU<Alpha>: y = x for x > 0, Alpha (exp(x) - 1) otherwise; PyTorch's nn.ELU(Alpha).
#pragma once

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
    static std::string describe() { return detail::text_with_number("ELU(alpha=", Alpha, ")"); }
    void forward(Ptr<const T, Dev> x, Ptr<T, Dev> y, index n, Ptr<T, Dev>, Context<T, Dev>&) {
      ops::map(Dev{}, x, y, std::size_t(n) * In::size, ops::fn::Elu<T>{T(Alpha)});
    }
    // dL/dx as PyTorch computes it (ops/elementwise/functions.hpp).
    void backward(Ptr<const T, Dev> x, Ptr<const T, Dev> y, Ptr<const T, Dev> dy, Ptr<T, Dev> dx,
                  index n, Ptr<T, Dev>, Context<T, Dev>&) {
      if (dx)
        ops::map_backward(Dev{}, x, y, dy, dx, std::size_t(n) * In::size, ops::fn::Elu<T>{T(Alpha)});
    }
  };
};

}  // namespace tessera
