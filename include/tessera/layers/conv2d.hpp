// Conv2d<Out, Kernel, Stride, Padding, Bias, Dilation>: PyTorch's nn.Conv2d(in, Out, Kernel,
// Stride, Padding, Dilation, bias) on Shape<C, H, W>; C comes from the input shape. Parameters
// "weight" (Out x C x K x K) and "bias" (Out), U(-1/sqrt(C K K), 1/sqrt(C K K)).
//   Sequential<Conv2d<64, 3, 1, 1>, BatchNorm2d<>, ReLU>
#pragma once

#include "tessera/core/module.hpp"
#include "tessera/ops/conv2d/conv2d.hpp"

namespace tessera {

// Named in shape errors: the kernel, dilation and padding of a convolution.
template <int Kernel, int Dilation, int Padding>
struct conv_window {};

template <int Out, int Kernel, int Stride = 1, int Padding = 0, Bias B = with_bias, int Dilation = 1>
struct Conv2d {
  static_assert(Out > 0 && Kernel > 0 && Stride > 0 && Padding >= 0 && Dilation > 0,
                "tessera: Conv2d needs positive channels, kernel, stride and dilation, and padding >= 0");

  template <class In>
  static constexpr auto check() {
    if constexpr (!ShapeOfRank<In, 3>)
      return Rule<"Conv2d needs a Shape<C, H, W> input">{};
    else if constexpr (Dilation * (Kernel - 1) + 1 > In::dims[1] + 2 * Padding ||
                       Dilation * (Kernel - 1) + 1 > In::dims[2] + 2 * Padding)
      return Rule<"Conv2d: the kernel (dilated) is larger than the input plus twice the padding",
                  conv_window<Kernel, Dilation, Padding>>{};
    else
      return ShapeOk{};
  }

  template <class In, class T, class Dev>
  struct Module : LeafModule {
    static constexpr ops::WindowGeometry geometry{
        In::dims[0], In::dims[1], In::dims[2], Out,
        ops::WindowGeometry::conv_out(In::dims[1], Kernel, Stride, Padding, Dilation),
        ops::WindowGeometry::conv_out(In::dims[2], Kernel, Stride, Padding, Dilation),
        Kernel, Stride, Padding, Dilation};
    static constexpr bool has_bias = B == with_bias;
    static constexpr int fan_in = In::dims[0] * Kernel * Kernel;
    using input_shape = In;
    using output_shape = Shape<Out, geometry.out_h, geometry.out_w>;
    static constexpr std::size_t parameter_count = std::size_t(Out) * fan_in + (has_bias ? Out : 0);
    static constexpr double flops = 2.0 * fan_in * output_shape::size;
    static constexpr std::size_t scratch_size = ops::ConvPlan<Dev, T>::scratch(geometry, false);

    Param<T, Dev> weight, bias;
    ops::ConvPlan<Dev, T> plan;

    static std::string describe() {
      return detail::conv_text("Conv2d", In::dims[0], Out, Kernel, Stride, Padding, 0, Dilation,
                               has_bias);
    }
    template <class V>
    void visit(V& v) {
      v.parameter("weight", weight, {Out, In::dims[0], Kernel, Kernel}, Init::fan_in_uniform(fan_in));
      if constexpr (has_bias) v.parameter("bias", bias, {Out}, Init::fan_in_uniform(fan_in));
    }
    void forward(Ptr<const T, Dev> x, Ptr<T, Dev> y, index n, Ptr<T, Dev>, Context<T, Dev>& cx) {
      ops::conv2d_forward(Dev{}, plan, geometry, x, weight.value, has_bias ? bias.value : nullptr, y, n,
                          cx.scratch);
    }
    void backward(Ptr<const T, Dev> x, Ptr<const T, Dev>, Ptr<const T, Dev> dy, Ptr<T, Dev> dx,
                  index n, Ptr<T, Dev>, Context<T, Dev>& cx) {
      const bool params = cx.parameter_grads;
      ops::conv2d_backward(Dev{}, plan, geometry, x, weight.value, dy, dx,
                           params ? weight.grad : nullptr, params && has_bias ? bias.grad : nullptr,
                           n, cx.scratch);
    }
    // Second order: y' = conv(x', W) (the bias does not move with x), so dx' is conv's data
    // gradient of dy', the weight's gradient gains that of (x', dy'), and dx is zero without dy.
    void tangent(Dual<Ptr<const T, Dev>> x, Dual<Ptr<T, Dev>> y, index n, Dual<Ptr<T, Dev>>,
                 Context<T, Dev>& cx) {
      ops::conv2d_forward(Dev{}, plan, geometry, x.tangent, weight.value, Ptr<const T, Dev>{},
                          y.tangent, n, cx.scratch);
    }
    bool tangent_backward(Dual<Ptr<const T, Dev>> x, Dual<Ptr<const T, Dev>> y,
                          Dual<Ptr<const T, Dev>> dy, Dual<Ptr<T, Dev>> dx, index n,
                          Dual<Ptr<T, Dev>>, Context<T, Dev>& cx) {
      ops::conv2d_backward(Dev{}, plan, geometry, x.tangent, weight.value, dy.tangent, dx.tangent,
                           cx.parameter_grads ? weight.grad : nullptr, Ptr<T, Dev>{}, n, cx.scratch);
      if (!dy.value) return false;
      backward(x.value, y.value, dy.value, dx.value, n, Ptr<T, Dev>{}, cx);
      return true;
    }
  };
};

}  // namespace tessera
