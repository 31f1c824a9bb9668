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
// "BatchNorm2d(64, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)", as PyTorch
// prints it.
inline std::string batch_norm_text(std::string_view name, int channels, double eps, double momentum) {
  return std::string(name) + "(" + std::to_string(channels) + ", eps=" + number_text(eps) +
         ", momentum=" + number_text(momentum) + ", affine=True, track_running_stats=True)";
}

[[noreturn]] inline void throw_batch_of_one(std::string_view name, const std::string& shape) {
  throw std::invalid_argument("tessera: " + std::string(name) +
                              " in training mode needs more than one value per channel; got a "
                              "batch of 1 " + shape);
}

// What a BatchNorm module holds, and the visit that declares it, apart from the shape: compiled
// once per scalar type and visitor, not once for each BatchNorm of a model.
template <class T, class Dev>
struct BatchNormState : LeafModule {
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

  template <class V>
  void visit_channels(V& v, std::int64_t channels) {
    v.parameter("weight", weight, {channels}, Init::ones());
    v.parameter("bias", bias, {channels}, Init::zeros());
    v.buffer("running_mean", running_mean, {channels}, Init::zeros());
    v.buffer("running_var", running_var, {channels}, Init::ones());
    v.counter("num_batches_tracked", num_batches_tracked);
    v.state("save_mean", mean, {channels});
    v.state("save_invstd", invstd, {channels});
    v.mode(mode);
  }
};

// The module of BatchNorm1d and BatchNorm2d: C channels of Spatial values per sample.
template <FixedString Name, class In, int C, std::size_t Spatial, Decimal Eps, Decimal Momentum, class T,
          class Dev>
struct BatchNormModule : BatchNormState<T, Dev> {
  using input_shape = In;
  using output_shape = In;
  static constexpr std::size_t parameter_count = 2 * std::size_t(C);
  static constexpr std::size_t buffer_count = 2 * std::size_t(C);
  // Subtract, scale, weight, shift; training adds about as many again for the statistics.
  static constexpr double flops = 4.0 * double(In::size);
  // The normalised input x-hat, for backward.
  static constexpr std::size_t keep_size = In::size;

  static std::string describe() { return batch_norm_text(Name.view(), C, Eps, Momentum); }
  template <class V>
  void visit(V& v) {
    this->visit_channels(v, C);
  }
  void forward(Ptr<const T, Dev> x, Ptr<T, Dev> y, index n, Ptr<T, Dev> keep, Context<T, Dev>&) {
    const bool training = this->mode.training;
    // The unbiased variance of a single value is undefined; PyTorch refuses the same.
    if (training && std::size_t(n) * Spatial <= 1) throw_batch_of_one(Name.view(), In::to_string());
    ops::batch_norm_forward(Dev{}, x, y, n, C, Spatial, this->weight.value, this->bias.value,
                            this->running_mean, this->running_var, keep, this->mean, this->invstd,
                            training, Eps, Momentum);
    if (training) ++this->num_batches_tracked;
    this->batch_statistics = training;
  }
  void backward(Ptr<const T, Dev>, Ptr<const T, Dev>, Ptr<const T, Dev> dy, Ptr<T, Dev> dx, index n,
                Ptr<T, Dev> keep, Context<T, Dev>& cx) {
    const bool params = cx.parameter_grads;
    ops::batch_norm_backward(Dev{}, dy, keep, dx, n, C, Spatial, this->weight.value, this->invstd,
                             params ? this->weight.grad : nullptr, params ? this->bias.grad : nullptr,
                             this->batch_statistics);
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
