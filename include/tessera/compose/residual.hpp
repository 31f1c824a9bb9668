// `Residual<F>`: y = x + F(x), the ResNet/CycleGAN residual block. F must give back its input's
// shape. F's parameters sit directly under the Residual's name, so a PyTorch ResidualBlock with
// `self.block = nn.Sequential(...)` is `Residual<Named<"block", Sequential<...>>>`.
#pragma once

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
  };
};

}  // namespace tessera
