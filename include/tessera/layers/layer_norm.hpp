// LayerNorm<LastDims = all_dims, Eps = 1e-5, Affine = true>: y = (x - mean) / sqrt(var + Eps) *
// weight + bias, with the mean and biased variance taken over the last LastDims extents of each
// sample: PyTorch's nn.LayerNorm(normalized_shape, Eps, elementwise_affine=Affine),
// normalized_shape being those extents. LayerNorm<> normalises each sample as a whole
// (nn.LayerNorm([C, H, W]) on Shape<C, H, W>, nn.LayerNorm(F) on Shape<F>); LayerNorm<1> on
// Shape<C, H, W> is nn.LayerNorm(W). There are no running statistics and no sample's output depends
// on another's, which is why WGAN-GP critics use it instead of BatchNorm: the gradient penalty of
// each sample is well defined. With Affine, parameters "weight" (ones) and "bias" (zeros), shaped
// like normalized_shape.
//   Sequential<Conv2d<128, 4, 2, 1>, LayerNorm<>, LeakyReLU<0.2>>
#pragma once

#include <string>

#include "tessera/core/module.hpp"
#include "tessera/ops/layer_norm/layer_norm.hpp"

namespace tessera {

// LayerNorm<all_dims>: normalise over every extent of the per-sample shape, whatever its rank.
inline constexpr int all_dims = -1;

// The LastDims of a LayerNorm whose rule broke, as its error shows it.
template <int LastDims>
struct layer_norm_dims {};

template <int LastDims = all_dims, Decimal Eps = 1e-5, bool Affine = true>
struct LayerNorm {
  static_assert(Eps >= 0, "tessera: LayerNorm needs eps >= 0");

  template <class In>
  static constexpr auto check() {
    if constexpr (!SingleShape<In>)
      return Rule<"LayerNorm normalises one tensor, not a pack Shapes<...>">{};
    else if constexpr (In::rank == 0)
      return Rule<"LayerNorm needs an input with at least one extent to normalise over">{};
    else if constexpr (LastDims != all_dims && (LastDims < 1 || LastDims > In::rank))
      return Rule<
          "LayerNorm<K> normalises the last K extents: K must be from 1 to the rank of the input",
          layer_norm_dims<LastDims>>{};
    else
      return ShapeOk{};
  }

  template <class In, class T, class Dev>
  struct Module : LeafModule {
    // How many trailing extents are normalised together, their element count (one group), and
    // the number of groups in a sample.
    static constexpr int K = LastDims == all_dims ? In::rank : LastDims;
    static constexpr std::size_t group_size = [] {
      std::size_t s = 1;
      for (int d = In::rank - K; d < In::rank; ++d) s *= std::size_t(In::dims[d]);
      return s;
    }();
    static constexpr std::size_t groups = In::size / group_size;

    using input_shape = In;
    using output_shape = In;
    static constexpr std::size_t parameter_count = Affine ? 2 * group_size : 0;
    // Mean, squared deviations, normalise (2), and with Affine the scale and shift.
    static constexpr double flops = (Affine ? 7.0 : 5.0) * double(In::size);
    // For backward: the mean and then 1/sqrt(var + Eps) of every group (n x groups each), as
    // PyTorch's native_layer_norm saves them. Backward recomputes x-hat from x rather than keeping
    // a copy of the input: two values per group instead of one per element.
    static constexpr std::size_t keep_size = 2 * groups;

    Param<T, Dev> weight, bias;

    // "LayerNorm((64, 8, 8), eps=1e-05, elementwise_affine=True)", normalized_shape a Python
    // tuple as PyTorch prints it: "(10,)" for one extent.
    static std::string describe() {
      std::string shape;
      for (int d = In::rank - K; d < In::rank; ++d)
        shape += (shape.empty() ? "" : ", ") + std::to_string(In::dims[d]);
      return "LayerNorm((" + shape + (K == 1 ? ",)" : ")") + ", eps=" + number_text(Eps) +
             ", elementwise_affine=" + (Affine ? "True" : "False") + ")";
    }
    template <class V>
    void visit(V& v) {
      if constexpr (Affine) {
        const Dims normalized_shape(In::dims.end() - K, In::dims.end());
        v.parameter("weight", weight, normalized_shape, Init::ones());
        v.parameter("bias", bias, normalized_shape, Init::zeros());
      }
    }
    void forward(Ptr<const T, Dev> x, Ptr<T, Dev> y, index n, Ptr<T, Dev> keep, Context<T, Dev>&) {
      const index count = n * index(groups);
      ops::layer_norm_forward(Dev{}, x, y, keep, keep + std::size_t(count), count, group_size,
                              Affine ? weight.value : nullptr, Affine ? bias.value : nullptr, Eps);
    }
    void backward(Ptr<const T, Dev> x, Ptr<const T, Dev>, Ptr<const T, Dev> dy, Ptr<T, Dev> dx,
                  index n, Ptr<T, Dev> keep, Context<T, Dev>& cx) {
      const bool params = Affine && cx.parameter_grads;
      const index count = n * index(groups);
      ops::layer_norm_backward(Dev{}, x, dy, keep, keep + std::size_t(count), dx, count, group_size,
                               Affine ? weight.value : nullptr, params ? weight.grad : nullptr,
                               params ? bias.grad : nullptr);
    }
    // Second order: keep.tangent holds each group's mean(x') and mean(x-hat x') for
    // tangent_backward; the normalisation's curvature makes dL/dx nonzero even without dy.
    void tangent(Dual<Ptr<const T, Dev>> x, Dual<Ptr<T, Dev>> y, index n, Dual<Ptr<T, Dev>> keep,
                 Context<T, Dev>&) {
      const index count = n * index(groups);
      ops::layer_norm_tangent(Dev{}, x.value, x.tangent, Ptr<const T, Dev>(keep.value),
                              Ptr<const T, Dev>(keep.value + std::size_t(count)), y.tangent,
                              keep.tangent, keep.tangent + std::size_t(count), count, group_size,
                              Affine ? weight.value : nullptr);
    }
    bool tangent_backward(Dual<Ptr<const T, Dev>> x, Dual<Ptr<const T, Dev>>,
                          Dual<Ptr<const T, Dev>> dy, Dual<Ptr<T, Dev>> dx, index n,
                          Dual<Ptr<T, Dev>> keep, Context<T, Dev>& cx) {
      const bool params = Affine && cx.parameter_grads;
      const index count = n * index(groups);
      const Ptr<const T, Dev> k(keep.value), kt(keep.tangent);
      ops::layer_norm_tangent_backward(
          Dev{}, x.value, x.tangent, k, k + std::size_t(count), kt, kt + std::size_t(count),
          dy.value, dy.tangent, dx.value, dx.tangent, count, group_size,
          Affine ? weight.value : nullptr, params ? weight.grad : nullptr,
          params ? bias.grad : nullptr);
      return true;
    }
  };
};

}  // namespace tessera
