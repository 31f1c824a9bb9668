// ReflectionPad2d<Left, Right, Top, Bottom>: every channel of Shape<C, H, W> extended by its mirror
// image about the edge pixels (which are not repeated): rows 1 0 [0 1 2 3] 2 1 for a pad of 2.
// PyTorch's nn.ReflectionPad2d((Left, Right, Top, Bottom)), in PyTorch's order; one number pads
// all four sides. Each padding must be smaller than the extent it mirrors. No parameters.
//   Sequential<ReflectionPad2d<3>, Conv2d<64, 7>>     // CycleGAN's generator stem
#pragma once

#include <string>

#include "tessera/core/module.hpp"
#include "tessera/layers/zero_pad2d.hpp"
#include "tessera/ops/pad/pad.hpp"

namespace tessera {

// Named in shape errors: the paddings (left, right, top, bottom) of a pad layer.
template <int Left, int Right, int Top, int Bottom>
struct pad_sides {};

template <int Left, int Right = Left, int Top = Left, int Bottom = Left>
struct ReflectionPad2d {
  static_assert(Left >= 0 && Right >= 0 && Top >= 0 && Bottom >= 0,
                "tessera: ReflectionPad2d pads by non-negative amounts");

  template <class In>
  static constexpr auto check() {
    if constexpr (!ShapeOfRank<In, 3>)
      return Rule<"ReflectionPad2d needs a Shape<C, H, W> input">{};
    else if constexpr (Left >= In::dims[2] || Right >= In::dims[2] || Top >= In::dims[1] ||
                       Bottom >= In::dims[1])
      return Rule<
          "ReflectionPad2d: each padding must be smaller than the input extent it mirrors "
          "(left and right than the width, top and bottom than the height)",
          pad_sides<Left, Right, Top, Bottom>>{};
    else
      return ShapeOk{};
  }

  template <class In, class T, class Dev>
  struct Module : LeafModule {
    static constexpr int out_h = Top + In::dims[1] + Bottom, out_w = Left + In::dims[2] + Right;
    static constexpr ops::PadGeometry geometry{In::dims[0], In::dims[1], In::dims[2], out_h,
                                               out_w,       Top,         Left};
    using input_shape = In;
    using output_shape = Shape<In::dims[0], out_h, out_w>;
    static constexpr double flops = 0;

    static std::string describe() {
      return detail::pad_text("ReflectionPad2d", Left, Right, Top, Bottom);
    }
    void forward(Ptr<const T, Dev> x, Ptr<T, Dev> y, index n, Ptr<T, Dev>, Context<T, Dev>&) {
      ops::reflection_pad2d_forward(Dev{}, geometry, x, y, n);
    }
    void backward(Ptr<const T, Dev>, Ptr<const T, Dev>, Ptr<const T, Dev> dy, Ptr<T, Dev> dx,
                  index n, Ptr<T, Dev>, Context<T, Dev>&) {
      if (dx) ops::reflection_pad2d_backward(Dev{}, geometry, dy, dx, n);
    }
  };
};

}  // namespace tessera
