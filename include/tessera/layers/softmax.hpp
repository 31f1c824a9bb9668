// Softmax: y = exp(x) / sum exp(x) along the first per-sample extent (dim 1 counting the batch),
// PyTorch's nn.Softmax(dim=1): over the features of Shape<F>, over the channels at every pixel of
// Shape<C, H, W>. Computed stably, the maximum subtracted first. No parameters.
//   Sequential<Flatten, Linear<10>, Softmax>
#pragma once

#include <cstddef>
#include <string>

#include "tessera/core/module.hpp"
#include "tessera/ops/softmax/softmax.hpp"

namespace tessera {

// The rule of layers that normalise along the first per-sample extent.
template <FixedString Layer, class In>
constexpr auto first_extent_check() {
  // Two tests: In::rank is not even a name when In is a pack.
  if constexpr (!SingleShape<In>)
    return Rule<Layer>{};
  else if constexpr (In::rank == 0)
    return Rule<Layer>{};
  else
    return ShapeOk{};
}

struct Softmax {
  template <class In>
  static constexpr auto check() {
    return first_extent_check<"Softmax takes one tensor with at least one extent (dim 1)", In>();
  }
  // Per element: a comparison for the maximum, a subtraction, an exponential, a sum and a division.
  template <class In, class T, class Dev>
  struct Module : ElementwiseModule<In, 5> {
    static constexpr std::size_t extent = std::size_t(In::dims[0]);
    static constexpr std::size_t inner = In::size / extent;
    static std::string describe() { return "Softmax(dim=1)"; }
    void forward(Ptr<const T, Dev> x, Ptr<T, Dev> y, index n, Ptr<T, Dev>, Context<T, Dev>&) {
      ops::softmax_forward(Dev{}, x, y, n, extent, inner);
    }
    void backward(Ptr<const T, Dev>, Ptr<const T, Dev> y, Ptr<const T, Dev> dy, Ptr<T, Dev> dx,
                  index n, Ptr<T, Dev>, Context<T, Dev>&) {
      if (dx) ops::softmax_backward(Dev{}, y, dy, dx, n, extent, inner);
    }
  };
};

}  // namespace tessera
