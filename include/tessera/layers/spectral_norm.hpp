// SpectralNorm<Layer, Iterations = 1, Eps = 1e-12>: PyTorch's
// torch.nn.utils.spectral_norm(layer, n_power_iterations=Iterations, eps=Eps) on a Linear or a
// Conv2d (dim=0): the layer computes with weight_orig / sigma, sigma the largest singular value of
// weight_orig (out x in, or out x C K K) as the power iteration on u and v estimates it. Every
// forward in training mode (predict's too, as PyTorch's under no_grad) runs Iterations steps of it
// and keeps u and v; evaluation uses them as they are. Like PyTorch's hook it adds no name and
// prints as the layer: under the layer's path the state_dict holds "bias", "weight_orig" (the
// layer's initialisation), then the buffers "weight_u" (out) and "weight_v" (in, or C K K); the
// normalised weight is not saved.
//   Sequential<SpectralNorm<Conv2d<64, 4, 2, 1>>, LeakyReLU<0.1>, Flatten, SpectralNorm<Linear<1>>>
// u and v start as PyTorch's do, N(0, 1) draws normalised to length 1 (from the model's generator).
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include "tessera/core/module.hpp"
#include "tessera/layers/conv2d.hpp"
#include "tessera/layers/linear.hpp"
#include "tessera/ops/elementwise/elementwise.hpp"
#include "tessera/ops/spectral_norm/spectral_norm.hpp"

namespace tessera {

namespace detail {
// The layers whose weight spectral_norm normalises along dim 0 (PyTorch's default for all but the
// transposed convolutions).
template <class L>
inline constexpr bool spectral_normable = false;
template <int Out, Bias B>
inline constexpr bool spectral_normable<Linear<Out, B>> = true;
template <int Out, int Kernel, int Stride, int Padding, Bias B, int Dilation>
inline constexpr bool spectral_normable<Conv2d<Out, Kernel, Stride, Padding, B, Dilation>> = true;

// Passes a layer's parameters on to the model's visitor, all but its weight, whose dims and
// initialiser it keeps for SpectralNorm to declare as weight_orig after them: PyTorch's
// spectral_norm re-registers the weight after the layer's other parameters.
template <class V>
struct WeightAside {
  V& v;
  Dims dims{};
  Init init{};

  template <class P>
  void parameter(std::string_view name, P& p, Dims d, Init i) {
    if (name != "weight") return v.parameter(name, p, std::move(d), i);
    dims = std::move(d);
    init = i;
  }
};
}  // namespace detail

template <class Layer, int Iterations = 1, Decimal Eps = 1e-12>
struct SpectralNorm {
  static_assert(Iterations > 0, "tessera: SpectralNorm needs at least one power iteration");
  static_assert(Eps >= 0, "tessera: SpectralNorm needs eps >= 0");

  template <class In>
  static constexpr auto check() {
    if constexpr (!detail::spectral_normable<Layer>)
      return Rule<"SpectralNorm wraps a Linear or a Conv2d, whose weight it normalises along dim 0">{};
    else
      return Layer::template check<In>();
  }

  template <class In, class T, class Dev>
  struct Module {
    using Inner = typename Layer::template Module<In, T, Dev>;
    // The weight as a matrix: out by the rest; its elements are the layer's parameters less the bias.
    static constexpr int rows = Inner::output_shape::dims[0];
    static constexpr int cols = int(Inner::parameter_count / std::size_t(rows)) - int(Inner::has_bias);
    using input_shape = In;
    using output_shape = typename Inner::output_shape;
    static constexpr std::size_t parameter_count = Inner::parameter_count;
    static constexpr std::size_t buffer_count = std::size_t(rows) + std::size_t(cols);
    // Per sample; the power iteration is once per batch.
    static constexpr double flops = Inner::flops;
    static constexpr std::size_t keep_size = Inner::keep_size, scratch_size = Inner::scratch_size,
                                 gradient_size = Inner::gradient_size;

    // The layer's weight points at weight_orig / sigma and its weight gradient at dL/d(that), both
    // working memory of this module (the layer declares no weight of its own); backward turns that
    // gradient into weight_orig's.
    Inner layer;
    Param<T, Dev> weight_orig;
    Ptr<T, Dev> weight_u{}, weight_v{};
    Ptr<T, Dev> sigma{};  // of the last forward, for backward
    Mode mode;

    static std::string describe() { return Inner::describe(); }
    template <class V>
    void visit(V& v) {
      detail::WeightAside<V> aside{v};
      layer.visit(aside);
      v.parameter("weight_orig", weight_orig, aside.dims, aside.init);
      v.buffer("weight_u", weight_u, {rows}, Init::unit_normal(Eps));
      v.buffer("weight_v", weight_v, {cols}, Init::unit_normal(Eps));
      v.state("weight", layer.weight.value, aside.dims);
      v.state("weight_grad", layer.weight.grad, aside.dims);
      v.state("sigma", sigma, {1});
      v.mode(mode);
    }
    void forward(Ptr<const T, Dev> x, Ptr<T, Dev> y, index n, Ptr<T, Dev> keep, Context<T, Dev>& cx) {
      ops::spectral_norm_forward(Dev{}, weight_orig.value, weight_u, weight_v, layer.weight.value, sigma,
                                 rows, cols, Iterations, Eps, mode.training);
      layer.forward(x, y, n, keep, cx);
    }
    // With the u, v and sigma of the last forward, held constant as in PyTorch.
    void backward(Ptr<const T, Dev> x, Ptr<const T, Dev> y, Ptr<const T, Dev> dy, Ptr<T, Dev> dx,
                  index n, Ptr<T, Dev> keep, Context<T, Dev>& cx) {
      const std::size_t count = std::size_t(rows) * std::size_t(cols);
      // The layer adds its weight gradient, as every layer does; here it must start from zero.
      if (cx.parameter_grads) ops::fill(Dev{}, layer.weight.grad, count, T(0));
      layer.backward(x, y, dy, dx, n, keep, cx);
      if (cx.parameter_grads)
        ops::spectral_norm_backward(Dev{}, layer.weight.grad, layer.weight.value, weight_u, weight_v,
                                    sigma, weight_orig.grad, rows, cols);
    }
  };
};

}  // namespace tessera
