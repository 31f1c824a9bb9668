// ConvTranspose2d<Out, Kernel, Stride, Padding, OutputPadding, Bias, Dilation>: PyTorch's
// nn.ConvTranspose2d(in, Out, ...) on Shape<C, H, W>. Output extent
// (H - 1) S - 2 P + D (K - 1) + OutputPadding + 1. Parameters "weight" (C x Out x K x K) and
// "bias" (Out); PyTorch takes fan_in from weight.size(1), so U(-1/sqrt(Out K K), +...).
//   ConvTranspose2d<64, 4, 2, 1>   // doubles H and W
#pragma once

#include "tessera/core/module.hpp"
#include "tessera/ops/conv2d/conv2d.hpp"

namespace tessera {

template <int Out, int Kernel, int Stride = 1, int Padding = 0, int OutputPadding = 0,
          Bias B = with_bias, int Dilation = 1>
struct ConvTranspose2d {
  static_assert(Out > 0 && Kernel > 0 && Stride > 0 && Padding >= 0 && Dilation > 0,
                "tessera: ConvTranspose2d needs positive channels, kernel, stride and dilation, and padding >= 0");
  static_assert(OutputPadding >= 0 && (OutputPadding < Stride || OutputPadding < Dilation),
                "tessera: ConvTranspose2d's output padding must be smaller than its stride or dilation");

  template <class In>
  static constexpr auto check() {
    if constexpr (!ShapeOfRank<In, 3>)
      return Rule<"ConvTranspose2d needs a Shape<C, H, W> input">{};
    else if constexpr (ops::WindowGeometry::transposed_out(In::dims[1], Kernel, Stride, Padding, Dilation, OutputPadding) < 1 ||
                       ops::WindowGeometry::transposed_out(In::dims[2], Kernel, Stride, Padding, Dilation, OutputPadding) < 1)
      return Rule<"ConvTranspose2d: the padding leaves an empty output">{};
    else
      return ShapeOk{};
  }

  template <class In, class T, class Dev>
  struct Module : LeafModule {
    static constexpr ops::WindowGeometry geometry{
        In::dims[0], In::dims[1], In::dims[2], Out,
        ops::WindowGeometry::transposed_out(In::dims[1], Kernel, Stride, Padding, Dilation, OutputPadding),
        ops::WindowGeometry::transposed_out(In::dims[2], Kernel, Stride, Padding, Dilation, OutputPadding),
        Kernel, Stride, Padding, Dilation};
    static constexpr bool has_bias = B == with_bias;
    static constexpr int fan_in = Out * Kernel * Kernel;
    using input_shape = In;
    using output_shape = Shape<Out, geometry.out_h, geometry.out_w>;
    static constexpr std::size_t parameter_count =
        std::size_t(In::dims[0]) * Out * Kernel * Kernel + (has_bias ? Out : 0);
    static constexpr double flops = 2.0 * In::size * Out * Kernel * Kernel;
    static constexpr std::size_t scratch_size = ops::ConvPlan<Dev, T>::scratch(geometry, true);

    Param<T, Dev> weight, bias;
    ops::ConvPlan<Dev, T> plan;

    static std::string describe() {
      return detail::conv_text("ConvTranspose2d", In::dims[0], Out, Kernel, Stride, Padding,
                               OutputPadding, Dilation, has_bias);
    }
    template <class V>
    void visit(V& v) {
      v.parameter("weight", weight, {In::dims[0], Out, Kernel, Kernel}, Init::fan_in_uniform(fan_in));
      if constexpr (has_bias) v.parameter("bias", bias, {Out}, Init::fan_in_uniform(fan_in));
    }
    void forward(Ptr<const T, Dev> x, Ptr<T, Dev> y, index n, Ptr<T, Dev>, Context<T, Dev>& cx) {
      ops::conv_transpose2d_forward(Dev{}, plan, geometry, x, weight.value, has_bias ? bias.value : nullptr,
                                    y, n, cx.scratch);
    }
    void backward(Ptr<const T, Dev> x, Ptr<const T, Dev>, Ptr<const T, Dev> dy, Ptr<T, Dev> dx,
                  index n, Ptr<T, Dev>, Context<T, Dev>& cx) {
      const bool params = cx.parameter_grads;
      ops::conv_transpose2d_backward(Dev{}, plan, geometry, x, weight.value, dy, dx,
                                     params ? weight.grad : nullptr,
                                     params && has_bias ? bias.grad : nullptr, n, cx.scratch);
    }
    // Second order: y' = conv_transpose(x', W) (the bias does not move with x), so dx' is the
    // data gradient of dy', the weight's gradient gains that of (x', dy'), and dx is zero without
    // dy.
    void tangent(Dual<Ptr<const T, Dev>> x, Dual<Ptr<T, Dev>> y, index n, Dual<Ptr<T, Dev>>,
                 Context<T, Dev>& cx) {
      ops::conv_transpose2d_forward(Dev{}, plan, geometry, x.tangent, weight.value,
                                    Ptr<const T, Dev>{}, y.tangent, n, cx.scratch);
    }
    bool tangent_backward(Dual<Ptr<const T, Dev>> x, Dual<Ptr<const T, Dev>> y,
                          Dual<Ptr<const T, Dev>> dy, Dual<Ptr<T, Dev>> dx, index n,
                          Dual<Ptr<T, Dev>>, Context<T, Dev>& cx) {
      ops::conv_transpose2d_backward(Dev{}, plan, geometry, x.tangent, weight.value, dy.tangent,
                                     dx.tangent, cx.parameter_grads ? weight.grad : nullptr,
                                     Ptr<T, Dev>{}, n, cx.scratch);
      if (!dy.value) return false;
      backward(x.value, y.value, dy.value, dx.value, n, Ptr<T, Dev>{}, cx);
      return true;
    }
  };
};

}  // namespace tessera
