// ZeroPad2d<Left, Right, Top, Bottom>: zeros added around every channel of Shape<C, H, W>, giving
// Shape<C, Top + H + Bottom, Left + W + Right>; PyTorch's nn.ZeroPad2d((Left, Right, Top, Bottom)),
// in PyTorch's order. One number pads all four sides. No parameters.
//   ZeroPad2d<1>                      // nn.ZeroPad2d(1)
//   ZeroPad2d<1, 0, 1, 0>             // nn.ZeroPad2d((1, 0, 1, 0)): pix2pix's discriminator
#pragma once

#include <string>

#include "tessera/core/module.hpp"
#include "tessera/ops/pad/pad.hpp"

namespace tessera {

namespace detail {
// "ZeroPad2d((1, 0, 1, 0))", as PyTorch prints its pad layers.
inline std::string pad_text(std::string_view name, int left, int right, int top, int bottom) {
  return std::string(name) + "((" + std::to_string(left) + ", " + std::to_string(right) + ", " +
         std::to_string(top) + ", " + std::to_string(bottom) + "))";
}
}  // namespace detail

template <int Left, int Right = Left, int Top = Left, int Bottom = Left>
struct ZeroPad2d {
  static_assert(Left >= 0 && Right >= 0 && Top >= 0 && Bottom >= 0,
                "tessera: ZeroPad2d pads by non-negative amounts; use CenterCrop to crop");

  template <class In>
  static constexpr auto check() {
    if constexpr (!ShapeOfRank<In, 3>)
      return Rule<"ZeroPad2d needs a Shape<C, H, W> input">{};
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

    static std::string describe() { return detail::pad_text("ZeroPad2d", Left, Right, Top, Bottom); }
    void forward(Ptr<const T, Dev> x, Ptr<T, Dev> y, index n, Ptr<T, Dev>, Context<T, Dev>&) {
      ops::constant_pad2d_forward(Dev{}, geometry, x, y, n, T(0));
    }
    void backward(Ptr<const T, Dev>, Ptr<const T, Dev>, Ptr<const T, Dev> dy, Ptr<T, Dev> dx,
                  index n, Ptr<T, Dev>, Context<T, Dev>&) {
      if (dx) ops::constant_pad2d_backward(Dev{}, geometry, dy, dx, n);
    }
  };
};

}  // namespace tessera
