// InstanceNorm2d<Affine = false, Eps = 1e-5>: y = (x - mean) / sqrt(var + Eps) over each sample's
// channel plane, PyTorch's nn.InstanceNorm2d(C, Eps, affine=Affine) (no running statistics, as
// PyTorch's default). With Affine, parameters "weight" (C, ones) and "bias" (C, zeros) scale and
// shift each channel. Needs H W > 1.
//   Sequential<Conv2d<64, 3, 1, 1>, InstanceNorm2d<true>, ReLU>
#pragma once

#include <string>

#include "tessera/core/module.hpp"
#include "tessera/ops/instance_norm/instance_norm.hpp"

namespace tessera {

namespace detail {
// "InstanceNorm2d(64, eps=1e-05, momentum=0.1, affine=False, track_running_stats=False)", as
// PyTorch prints it.
inline std::string instance_norm2d_text(int channels, double eps, bool affine) {
  return "InstanceNorm2d(" + std::to_string(channels) + ", eps=" + number_text(eps) +
         ", momentum=0.1, affine=" + (affine ? "True" : "False") + ", track_running_stats=False)";
}
}  // namespace detail

template <bool Affine = false, Decimal Eps = 1e-5>
struct InstanceNorm2d {
  static_assert(Eps >= 0, "tessera: InstanceNorm2d needs eps >= 0");

  template <class In>
  static constexpr auto check() {
    if constexpr (!ShapeOfRank<In, 3>)
      return Rule<"InstanceNorm2d needs a Shape<C, H, W> input">{};
    else if constexpr (In::dims[1] * In::dims[2] == 1)
      return Rule<"InstanceNorm2d needs more than one spatial element per channel (H x W > 1)">{};
    else
      return ShapeOk{};
  }

  template <class In, class T, class Dev>
  struct Module : LeafModule {
    static constexpr int C = In::dims[0];
    using input_shape = In;
    using output_shape = In;
    static constexpr std::size_t parameter_count = Affine ? 2 * std::size_t(C) : 0;
    // Mean, squared deviations, normalise (2), and with Affine the scale and shift.
    static constexpr double flops = (Affine ? 7.0 : 5.0) * double(In::size);
    // For backward: x-hat for all n samples (n x In::size), then 1/sqrt(var + Eps) of every
    // (sample, channel) plane (n x C).
    static constexpr std::size_t keep_size = In::size + std::size_t(C);

    Param<T, Dev> weight, bias;

    static std::string describe() { return detail::instance_norm2d_text(C, Eps, Affine); }
    template <class V>
    void visit(V& v) {
      if constexpr (Affine) {
        v.parameter("weight", weight, {C}, Init::ones());
        v.parameter("bias", bias, {C}, Init::zeros());
      }
    }
    void forward(Ptr<const T, Dev> x, Ptr<T, Dev> y, index n, Ptr<T, Dev> keep, Context<T, Dev>&) {
      ops::instance_norm_forward(Dev{}, x, y, keep, keep + std::size_t(n) * In::size, n, C,
                                 std::size_t(In::dims[1]) * std::size_t(In::dims[2]),
                                 Affine ? weight.value : nullptr, Affine ? bias.value : nullptr, Eps);
    }
    void backward(Ptr<const T, Dev>, Ptr<const T, Dev>, Ptr<const T, Dev> dy, Ptr<T, Dev> dx,
                  index n, Ptr<T, Dev> keep, Context<T, Dev>& cx) {
      const bool params = Affine && cx.parameter_grads;
      ops::instance_norm_backward(Dev{}, dy, keep, keep + std::size_t(n) * In::size, dx, n, C,
                                  std::size_t(In::dims[1]) * std::size_t(In::dims[2]),
                                  Affine ? weight.value : nullptr, params ? weight.grad : nullptr,
                                  params ? bias.grad : nullptr);
    }
    // Second order: the tangent of xhat goes where forward keeps xhat, in keep.tangent; the
    // derivative of y' in x (the normalisation's curvature) makes dL/dx nonzero even without dy.
    void tangent(Dual<Ptr<const T, Dev>> x, Dual<Ptr<T, Dev>> y, index n, Dual<Ptr<T, Dev>> keep,
                 Context<T, Dev>&) {
      ops::instance_norm_tangent(Dev{}, x.tangent, Ptr<const T, Dev>(keep.value),
                                 Ptr<const T, Dev>(keep.value + std::size_t(n) * In::size), keep.tangent,
                                 y.tangent, n, C, plane, Affine ? weight.value : nullptr);
    }
    bool tangent_backward(Dual<Ptr<const T, Dev>> x, Dual<Ptr<const T, Dev>>,
                          Dual<Ptr<const T, Dev>> dy, Dual<Ptr<T, Dev>> dx, index n,
                          Dual<Ptr<T, Dev>> keep, Context<T, Dev>& cx) {
      const bool params = Affine && cx.parameter_grads;
      ops::instance_norm_tangent_backward(
          Dev{}, x.tangent, Ptr<const T, Dev>(keep.value),
          Ptr<const T, Dev>(keep.value + std::size_t(n) * In::size), Ptr<const T, Dev>(keep.tangent),
          dy.value, dy.tangent, dx.value, dx.tangent, n, C, plane, Affine ? weight.value : nullptr,
          params ? weight.grad : nullptr, params ? bias.grad : nullptr);
      return true;
    }
    static constexpr std::size_t plane = std::size_t(In::dims[1]) * std::size_t(In::dims[2]);
  };
};

}  // namespace tessera
