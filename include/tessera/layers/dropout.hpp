// Dropout<P = 0.5>: in training, zeroes each element with probability P and scales the rest by
// 1/(1 - P); in evaluation, y = x. PyTorch's nn.Dropout(P). Any shape. The mask comes from the
// model's generator, so a seed fixes it; forward keeps it (scaled, as T) for backward.
//   Sequential<Linear<512>, ReLU, Dropout<0.3>, Linear<10>>
#pragma once

#include <string>

#include "tessera/core/module.hpp"
#include "tessera/ops/dropout/dropout.hpp"

namespace tessera {

template <Decimal P = 0.5>
struct Dropout {
  static_assert(P >= 0 && P <= 1, "tessera: Dropout needs a probability P in [0, 1]");

  template <class In>
  static constexpr auto check() {
    return one_tensor_check<"Dropout takes one tensor", In>();
  }

  template <class In, class T, class Dev>
  struct Module : ElementwiseModule<In, 1> {
    // The mask y = x * mask, for backward.
    static constexpr std::size_t keep_size = In::size;

    Mode mode;

    static std::string describe() { return detail::text_with_number("Dropout(p=", P, ", inplace=False)"); }
    template <class V>
    void visit(V& v) {
      v.mode(mode);
    }
    void forward(Ptr<const T, Dev> x, Ptr<T, Dev> y, index n, Ptr<T, Dev> keep,
                 Context<T, Dev>& cx) {
      ops::dropout_forward(Dev{}, x, y, keep, std::size_t(n) * In::size, 1, P, mode.training, cx.rng);
    }
    void backward(Ptr<const T, Dev>, Ptr<const T, Dev>, Ptr<const T, Dev> dy, Ptr<T, Dev> dx,
                  index n, Ptr<T, Dev> keep, Context<T, Dev>&) {
      if (dx) ops::dropout_backward(Dev{}, dy, keep, dx, std::size_t(n) * In::size);
    }
  };
};

}  // namespace tessera
