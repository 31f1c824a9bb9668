// `Residual<F>`: y = x + F(x), the ResNet/CycleGAN residual block. F must give back its input's
// shape. F's parameters sit directly under the Residual's name, so a PyTorch ResidualBlock with
// `self.block = nn.Sequential(...)` is `Residual<Named<"block", Sequential<...>>>`.
#pragma once

#include <tuple>

#include "tessera/core/module.hpp"
#include "tessera/ops/elementwise/elementwise.hpp"

namespace tessera {

template <class F>
struct Residual {
  template <class In>
  static constexpr auto check() {
    using inner = shape_after_t<F, In>;
    if constexpr (broken_v<inner>)
      return BrokenInside<inner>{};
    else if constexpr (std::is_same_v<inner, In>)
      return ShapeOk{};
    else
      return Rule<"Residual: the block must give back the shape of its input, to be added to it",
                  expected<In>, inner>{};
  }

  template <class In, class T, class Dev>
  struct Module {
    using block_type = bind_t<F, In, T, Dev>;
    using input_shape = In;
    using output_shape = In;
    static constexpr std::size_t parameter_count = block_type::parameter_count;
    static constexpr std::size_t buffer_count = block_type::buffer_count;
    static constexpr double flops = block_type::flops + In::size;
    // The block's output is kept: its own backward may need it.
    static constexpr std::size_t keep_size = In::size + block_type::keep_size;
    static constexpr std::size_t inference_size = In::size + inference_size_of<block_type>();
    static constexpr std::size_t scratch_size = block_type::scratch_size;
    static constexpr std::size_t gradient_size = block_type::gradient_size;

    block_type block;

    static std::string describe() { return "Residual"; }
    template <class V>
    void visit(V& v) {
      v.child(segment_of<F>::name, block);  // unnamed: inline
    }
    void forward(Ptr<const T, Dev> x, Ptr<T, Dev> y, index n, Ptr<T, Dev> keep,
                 Context<T, Dev>& cx) {
      Ptr<T, Dev> fx = keep;
      block.forward(x, fx, n, keep + std::size_t(n) * In::size, cx);
      ops::add(Dev{}, x, fx, y, std::size_t(n) * In::size);
    }
    // dL/dx = dy + the block's backward of dy.
    void backward(Ptr<const T, Dev> x, Ptr<const T, Dev>, Ptr<const T, Dev> dy, Ptr<T, Dev> dx,
                  index n, Ptr<T, Dev> keep, Context<T, Dev>& cx) {
      block.backward(x, keep, dy, dx, n, keep + std::size_t(n) * In::size, cx);
      if (dx) ops::accumulate(Dev{}, dy, dx, std::size_t(n) * In::size);
    }

    // Second order, where the block has it: y' = x' + F'(x) x', the block's output tangent kept at
    // the value's place in keep.tangent; both gradients take the skip.
    using children = std::tuple<block_type>;
    void tangent(Dual<Ptr<const T, Dev>> x, Dual<Ptr<T, Dev>> y, index n, Dual<Ptr<T, Dev>> keep,
                 Context<T, Dev>& cx)
      requires SecondOrder<block_type, T, Dev>
    {
      block.tangent(x, keep, n, inner(keep, n), cx);
      ops::add(Dev{}, x.tangent, Ptr<const T, Dev>(keep.tangent), y.tangent, std::size_t(n) * In::size);
    }
    bool tangent_backward(Dual<Ptr<const T, Dev>> x, Dual<Ptr<const T, Dev>>,
                          Dual<Ptr<const T, Dev>> dy, Dual<Ptr<T, Dev>> dx, index n,
                          Dual<Ptr<T, Dev>> keep, Context<T, Dev>& cx)
      requires SecondOrder<block_type, T, Dev>
    {
      const std::size_t count = std::size_t(n) * In::size;
      const Dual<Ptr<const T, Dev>> fx{keep.value, keep.tangent};
      const bool live = block.tangent_backward(x, fx, dy, dx, n, inner(keep, n), cx);
      if (dx.tangent) ops::accumulate(Dev{}, dy.tangent, dx.tangent, count);
      if (!dy.value) return live;
      if (dx.value) {
        if (live)
          ops::accumulate(Dev{}, dy.value, dx.value, count);
        else
          ops::copy(Dev{}, dy.value, dx.value, count);
      }
      return true;
    }

   private:
    static Dual<Ptr<T, Dev>> inner(Dual<Ptr<T, Dev>> keep, index n) {
      return {keep.value + std::size_t(n) * In::size, keep.tangent + std::size_t(n) * In::size};
    }
  };
};

}  // namespace tessera
