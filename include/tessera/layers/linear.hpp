// Linear<Out>: y = x W^T + b on flat inputs, PyTorch's nn.Linear(in, Out); `in` comes from the
// input shape. Parameters "weight" (Out x in) and "bias" (Out), U(-1/sqrt(in), 1/sqrt(in)).
//   Sequential<Flatten, Linear<256>, ReLU, Linear<10>>
#pragma once

#include "tessera/core/module.hpp"
#include "tessera/ops/linear/linear.hpp"

namespace tessera {

namespace detail {
// "Linear(in_features=784, out_features=256, bias=True)", as PyTorch prints it.
inline std::string linear_text(int in, int out, bool bias) {
  return "Linear(in_features=" + std::to_string(in) + ", out_features=" + std::to_string(out) +
         ", bias=" + (bias ? "True" : "False") + ")";
}
}  // namespace detail

template <int Out, Bias B = with_bias>
struct Linear {
  static_assert(Out > 0, "tessera: Linear needs a positive number of output features");

  template <class In>
  static constexpr auto check() {
    if constexpr (!SingleShape<In>)
      return Rule<"Linear takes one tensor">{};
    else if constexpr (In::rank != 1)
      return Rule<"Linear needs a flat input Shape<F>; put Flatten before it", expected<Shape<In::size>>>{};
    else
      return ShapeOk{};
  }

  template <class In, class T, class Dev>
  struct Module : LeafModule {
    static constexpr int in = In::dims[0];
    static constexpr bool has_bias = B == with_bias;
    using input_shape = In;
    using output_shape = Shape<Out>;
    static constexpr std::size_t parameter_count = std::size_t(Out) * in + (has_bias ? Out : 0);
    static constexpr double flops = 2.0 * in * Out;

    Param<T, Dev> weight, bias;

    static std::string describe() { return detail::linear_text(in, Out, has_bias); }
    template <class V>
    void visit(V& v) {
      v.parameter("weight", weight, {Out, in}, Init::fan_in_uniform(in));
      if constexpr (has_bias) v.parameter("bias", bias, {Out}, Init::fan_in_uniform(in));
    }
    void forward(Ptr<const T, Dev> x, Ptr<T, Dev> y, index n, Ptr<T, Dev>, Context<T, Dev>&) {
      ops::linear_forward(Dev{}, x, weight.value, has_bias ? bias.value : nullptr, y, n, in, Out);
    }
    void backward(Ptr<const T, Dev> x, Ptr<const T, Dev>, Ptr<const T, Dev> dy, Ptr<T, Dev> dx,
                  index n, Ptr<T, Dev>, Context<T, Dev>& cx) {
      const bool params = cx.parameter_grads;
      ops::linear_backward(Dev{}, x, weight.value, dy, dx, params ? weight.grad : nullptr,
                           params && has_bias ? bias.grad : nullptr, n, in, Out);
    }
    // Second order: y' = x' W^T (the bias does not move with x), so dx' = dy' W, the weight's
    // gradient gains dy'^T x', and dx = dy W is zero without dy.
    void tangent(Dual<Ptr<const T, Dev>> x, Dual<Ptr<T, Dev>> y, index n, Dual<Ptr<T, Dev>>,
                 Context<T, Dev>&) {
      ops::linear_forward(Dev{}, x.tangent, weight.value, Ptr<const T, Dev>{}, y.tangent, n, in, Out);
    }
    bool tangent_backward(Dual<Ptr<const T, Dev>> x, Dual<Ptr<const T, Dev>> y,
                          Dual<Ptr<const T, Dev>> dy, Dual<Ptr<T, Dev>> dx, index n,
                          Dual<Ptr<T, Dev>>, Context<T, Dev>& cx) {
      const bool params = cx.parameter_grads;
      ops::linear_backward(Dev{}, x.tangent, weight.value, dy.tangent, dx.tangent,
                           params ? weight.grad : nullptr, Ptr<T, Dev>{}, n, in, Out);
      if (!dy.value) return false;
      backward(x.value, y.value, dy.value, dx.value, n, Ptr<T, Dev>{}, cx);
      return true;
    }
  };
};

}  // namespace tessera
