// LogSoftmax: y = x - log(sum exp(x)) along the first per-sample extent (dim 1 counting the
// batch), PyTorch's nn.LogSoftmax(dim=1); computed as (x - max) - log(sum exp(x - max)), so it
// stays finite where the softmax itself would round to zero. No parameters.
//   Sequential<Flatten, Linear<10>, LogSoftmax>      // then NLL loss, as PyTorch's MNIST example
#pragma once

#include <cstddef>
#include <string>

#include "tessera/core/module.hpp"
#include "tessera/layers/softmax.hpp"
#include "tessera/ops/softmax/softmax.hpp"

namespace tessera {

struct LogSoftmax {
  template <class In>
  static constexpr auto check() {
    return first_extent_check<"LogSoftmax takes one tensor with at least one extent (dim 1)", In>();
  }
  // Per element: a comparison, two subtractions, an exponential and a sum.
  template <class In, class T, class Dev>
  struct Module : ElementwiseModule<In, 5> {
    static constexpr std::size_t extent = std::size_t(In::dims[0]);
    static constexpr std::size_t inner = In::size / extent;
    static std::string describe() { return "LogSoftmax(dim=1)"; }
    void forward(Ptr<const T, Dev> x, Ptr<T, Dev> y, index n, Ptr<T, Dev>, Context<T, Dev>&) {
      ops::log_softmax_forward(Dev{}, x, y, n, extent, inner);
    }
    void backward(Ptr<const T, Dev>, Ptr<const T, Dev> y, Ptr<const T, Dev> dy, Ptr<T, Dev> dx,
                  index n, Ptr<T, Dev>, Context<T, Dev>&) {
      if (dx) ops::log_softmax_backward(Dev{}, y, dy, dx, n, extent, inner);
    }
  };
};

}  // namespace tessera
