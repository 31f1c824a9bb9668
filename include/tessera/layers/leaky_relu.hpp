// LeakyReLU<Slope>: y = x for x >= 0, Slope * x otherwise; PyTorch's nn.LeakyReLU(Slope).
//   LeakyReLU<0.2>
#pragma once

#include <string>

#include "tessera/core/module.hpp"
#include "tessera/ops/elementwise/elementwise.hpp"

namespace tessera {

template <Decimal Slope = 0.01>
struct LeakyReLU {
  template <class In>
  static constexpr auto check() {
    return one_tensor_check<"LeakyReLU takes one tensor", In>();
  }
  template <class In, class T, class Dev>
  struct Module : ElementwiseModule<In, 2> {
    static std::string describe() {
      return detail::text_with_number("LeakyReLU(negative_slope=", Slope, ")");
    }
    void forward(Ptr<const T, Dev> x, Ptr<T, Dev> y, index n, Ptr<T, Dev>, Context<T, Dev>&) {
      ops::map(Dev{}, x, y, std::size_t(n) * In::size, ops::fn::LeakyRelu<T>{T(Slope)});
    }
    // dL/dx as PyTorch computes it (ops/elementwise/functions.hpp).
    void backward(Ptr<const T, Dev> x, Ptr<const T, Dev> y, Ptr<const T, Dev> dy, Ptr<T, Dev> dx,
                  index n, Ptr<T, Dev>, Context<T, Dev>&) {
      if (dx)
        ops::map_backward(Dev{}, x, y, dy, dx, std::size_t(n) * In::size, ops::fn::LeakyRelu<T>{T(Slope)});
    }
  };
};

}  // namespace tessera
