// Dropout2d<P = 0.5>: in training, zeroes each whole channel plane of each sample with probability
// P and scales the rest by 1/(1 - P); in evaluation, y = x. PyTorch's nn.Dropout2d(P) on
// Shape<C, H, W>. The mask comes from the model's generator, so a seed fixes it; forward keeps it
// (per element, scaled, as T) for backward.
//   Sequential<Conv2d<64, 3, 1, 1>, ReLU, Dropout2d<0.2>>
#pragma once

#include <string>

#include "tessera/core/module.hpp"
#include "tessera/ops/dropout/dropout.hpp"

namespace tessera {

template <Decimal P = 0.5>
struct Dropout2d {
  static_assert(P >= 0 && P <= 1, "tessera: Dropout2d needs a probability P in [0, 1]");

  template <class In>
  static constexpr auto check() {
    if constexpr (!ShapeOfRank<In, 3>)
      return Rule<"Dropout2d needs a Shape<C, H, W> input; use Dropout for other shapes">{};
    else
      return ShapeOk{};
  }

  template <class In, class T, class Dev>
  struct Module : ElementwiseModule<In, 1> {
    // The mask y = x * mask, for backward.
    static constexpr std::size_t keep_size = In::size;

    Mode mode;

    static std::string describe() {
      return detail::text_with_number("Dropout2d(p=", P, ", inplace=False)");
    }
    template <class V>
    void visit(V& v) {
      v.mode(mode);
    }
    void forward(Ptr<const T, Dev> x, Ptr<T, Dev> y, index n, Ptr<T, Dev> keep,
                 Context<T, Dev>& cx) {
      ops::dropout_forward(Dev{}, x, y, keep, std::size_t(n) * In::size,
                           std::size_t(In::dims[1]) * std::size_t(In::dims[2]), P, mode.training,
                           cx.rng);
    }
    void backward(Ptr<const T, Dev>, Ptr<const T, Dev>, Ptr<const T, Dev> dy, Ptr<T, Dev> dx,
                  index n, Ptr<T, Dev> keep, Context<T, Dev>&) {
      if (dx) ops::dropout_backward(Dev{}, dy, keep, dx, std::size_t(n) * In::size);
    }
  };
};

}  // namespace tessera
