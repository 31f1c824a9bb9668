// What the activation layers share: y = f(x) element by element for a functor of
// ops/elementwise/functions.hpp, its backward, and its second order from f' and f''. A layer's
// Module derives from Activation<Module, In, T, Dev, flops per element> and names its functor:
//   static ops::fn::LeakyRelu<T> fn() { return {T(Slope)}; }
#pragma once

#include <cstddef>

#include "tessera/core/module.hpp"
#include "tessera/ops/elementwise/elementwise.hpp"

namespace tessera {

template <class Layer, class In, class T, class Dev, int FlopsPerElement>
struct Activation : ElementwiseModule<In, FlopsPerElement> {
  void forward(Ptr<const T, Dev> x, Ptr<T, Dev> y, index n, Ptr<T, Dev>, Context<T, Dev>&) {
    ops::map(Dev{}, x, y, count(n), Layer::fn());
  }
  // dL/dx as PyTorch computes it (ops/elementwise/functions.hpp).
  void backward(Ptr<const T, Dev> x, Ptr<const T, Dev> y, Ptr<const T, Dev> dy, Ptr<T, Dev> dx,
                index n, Ptr<T, Dev>, Context<T, Dev>&) {
    if (dx) ops::map_backward(Dev{}, x, y, dy, dx, count(n), Layer::fn());
  }
  // y' = f'(x) x', which is backward's map with x' in the place of dy.
  void tangent(Dual<Ptr<const T, Dev>> x, Dual<Ptr<T, Dev>> y, index n, Dual<Ptr<T, Dev>>,
               Context<T, Dev>&) {
    ops::map_backward(Dev{}, x.value, Ptr<const T, Dev>(y.value), x.tangent, y.tangent, count(n),
                      Layer::fn());
  }
  // dx' = f'(x) dy'; dx = f'(x) dy + f''(x) x' dy', zero for a piecewise-linear f without dy.
  bool tangent_backward(Dual<Ptr<const T, Dev>> x, Dual<Ptr<const T, Dev>> y,
                        Dual<Ptr<const T, Dev>> dy, Dual<Ptr<T, Dev>> dx, index n,
                        Dual<Ptr<T, Dev>>, Context<T, Dev>&) {
    const auto f = Layer::fn();
    if (dx.tangent) ops::map_backward(Dev{}, x.value, y.value, dy.tangent, dx.tangent, count(n), f);
    if (f.piecewise_linear && !dy.value) return false;
    if (dx.value) {
      if (f.piecewise_linear)
        ops::map_backward(Dev{}, x.value, y.value, dy.value, dx.value, count(n), f);
      else
        ops::map_double_backward(Dev{}, x.value, y.value, x.tangent, dy.value, dy.tangent,
                                 dx.value, count(n), f);
    }
    return true;
  }

 private:
  static std::size_t count(index n) { return std::size_t(n) * In::size; }
};

}  // namespace tessera
