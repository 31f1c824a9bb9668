// BatchNorm2d<Eps = 1e-5, Momentum = 0.1>: y = (x - mean) / sqrt(var + Eps) * weight + bias per
// channel, PyTorch's nn.BatchNorm2d(C, Eps, Momentum) on Shape<C, H, W>; C comes from the input
// shape. Training mode normalises with the batch's statistics over N x H x W and moves the running
// statistics toward them (running_var toward the unbiased variance); evaluation mode uses the
// running statistics. Parameters "weight" (C, ones) and "bias" (C, zeros); buffers
// "running_mean" (zeros), "running_var" (ones) and the counter "num_batches_tracked".
//   Sequential<Conv2d<64, 3, 1, 1, no_bias>, BatchNorm2d<>, ReLU>
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

#include "tessera/core/module.hpp"
#include "tessera/ops/batch_norm/batch_norm.hpp"

namespace tessera {

namespace detail {
// The module of BatchNorm1d and BatchNorm2d: C channels of Spatial values per sample.
template <FixedString Name, class In, int C, std::size_t Spatial, Decimal Eps, Decimal Momentum, class T,
          class Dev>
struct BatchNormModule : LeafModule {
  using input_shape = In;
  using output_shape = In;
  static constexpr std::size_t parameter_count = 2 * std::size_t(C);
  static constexpr std::size_t buffer_count = 2 * std::size_t(C);
  // Subtract, scale, weight, shift; training adds about as many again for the statistics.
  static constexpr double flops = 4.0 * double(In::size);
  // The normalised input x-hat, for backward.
  static constexpr std::size_t keep_size = In::size;

  Param<T, Dev> weight, bias;
  Mode mode;
  Ptr<T, Dev> running_mean = nullptr;
  Ptr<T, Dev> running_var = nullptr;
  std::int64_t num_batches_tracked = 0;
  // The mean and 1/sqrt(var + Eps) of each channel that the last forward used (batch statistics
  // in training, running ones in evaluation), for backward: device memory, not saved (the names
  // are those of PyTorch's native_batch_norm outputs).
  Ptr<T, Dev> mean{}, invstd{};
  // Whether those were the batch's statistics: backward follows the forward's mode even if the
  // model's mode changed in between.
  bool batch_statistics = false;

  static std::string describe() {
    return std::string(Name.view()) + "(" + std::to_string(C) + ", eps=" + number_text(Eps) +
           ", momentum=" + number_text(Momentum) + ", affine=True, track_running_stats=True)";
  }
  template <class V>
  void visit(V& v) {
    v.parameter("weight", weight, {C}, Init::ones());
    v.parameter("bias", bias, {C}, Init::zeros());
    v.buffer("running_mean", running_mean, {C}, Init::zeros());
    v.buffer("running_var", running_var, {C}, Init::ones());
    v.counter("num_batches_tracked", num_batches_tracked);
    v.state("save_mean", mean, {C});
    v.state("save_invstd", invstd, {C});
    v.mode(mode);
  }
  void forward(Ptr<const T, Dev> x, Ptr<T, Dev> y, index n, Ptr<T, Dev> keep, Context<T, Dev>&) {
    // The unbiased variance of a single value is undefined; PyTorch refuses the same.
    if (mode.training && std::size_t(n) * Spatial <= 1)
      throw std::invalid_argument("tessera: " + std::string(Name.view()) +
                                  " in training mode needs more than one value per channel; got a "
                                  "batch of 1 " + In::to_string());
    ops::batch_norm_forward(Dev{}, x, y, n, C, Spatial, weight.value, bias.value, running_mean,
                            running_var, keep, mean, invstd, mode.training, Eps, Momentum);
    if (mode.training) ++num_batches_tracked;
    batch_statistics = mode.training;
  }
  void backward(Ptr<const T, Dev>, Ptr<const T, Dev>, Ptr<const T, Dev> dy, Ptr<T, Dev> dx, index n,
                Ptr<T, Dev> keep, Context<T, Dev>& cx) {
    const bool params = cx.parameter_grads;
    ops::batch_norm_backward(Dev{}, dy, keep, dx, n, C, Spatial, weight.value, invstd,
                             params ? weight.grad : nullptr, params ? bias.grad : nullptr,
                             batch_statistics);
  }
};
}  // namespace detail

template <Decimal Eps = 1e-5, Decimal Momentum = 0.1>
struct BatchNorm2d {
  static_assert(Eps >= 0 && Momentum >= 0 && Momentum <= 1,
                "tessera: BatchNorm2d needs eps >= 0 and a momentum in [0, 1]");

  template <class In>
  static constexpr auto check() {
    if constexpr (!ShapeOfRank<In, 3>)
      return Rule<"BatchNorm2d needs a Shape<C, H, W> input; use BatchNorm1d for Shape<F> or Shape<C, L>">{};
    else
      return ShapeOk{};
  }

  template <class In, class T, class Dev>
  struct Module : detail::BatchNormModule<"BatchNorm2d", In, In::dims[0],
                                          std::size_t(In::dims[1]) * std::size_t(In::dims[2]), Eps,
                                          Momentum, T, Dev> {};
};

}  // namespace tessera
