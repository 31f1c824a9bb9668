// BatchNorm1d<Eps = 1e-5, Momentum = 0.1>: y = (x - mean) / sqrt(var + Eps) * weight + bias per
// feature, PyTorch's nn.BatchNorm1d(C, Eps, Momentum) on Shape<C> (statistics over the batch) or
// Shape<C, L> (over the batch and L). Same training/evaluation behaviour, parameters, buffers and
// names as BatchNorm2d.
//   Sequential<Linear<256, no_bias>, BatchNorm1d<>, ReLU>
#pragma once

#include "tessera/layers/batch_norm2d.hpp"

namespace tessera {

template <Decimal Eps = 1e-5, Decimal Momentum = 0.1>
struct BatchNorm1d {
  static_assert(Eps >= 0 && Momentum >= 0 && Momentum <= 1,
                "tessera: BatchNorm1d needs eps >= 0 and a momentum in [0, 1]");

  template <class In>
  static constexpr auto check() {
    if constexpr (!ShapeOfRank<In, 1> && !ShapeOfRank<In, 2>)
      return Rule<"BatchNorm1d needs a Shape<F> or Shape<C, L> input; use BatchNorm2d for Shape<C, H, W>">{};
    else
      return ShapeOk{};
  }

  template <class In, class T, class Dev>
  struct Module : detail::BatchNormModule<"BatchNorm1d", In, In::dims[0],
                                          In::rank == 2 ? std::size_t(In::dims[In::rank - 1]) : 1,
                                          Eps, Momentum, T, Dev> {};
};

}  // namespace tessera
