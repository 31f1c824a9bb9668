// CenterCrop<H, W>: the central H x W window of every channel of Shape<C, h, w>, giving
// Shape<C, H, W>; torchvision's transforms.CenterCrop((H, W)) on tensors, offsets included:
// top = int(round((h - H) / 2.0)) with Python's round half to even, so 7 -> 4 starts at 2 and
// 9 -> 4 also at 2. A crop larger than the input is a shape error (torchvision would pad).
// No parameters. The op is ops/pad's constant pad with negative amounts.
//   Sequential<CenterCrop<388, 388>>                 // a U-Net skip cut to the decoder's size
#pragma once

#include <string>

#include "tessera/core/module.hpp"
#include "tessera/ops/pad/pad.hpp"

namespace tessera {

namespace detail {
// int(round(excess / 2.0)) in Python: excess / 2 is whole or a half, and halves go to the even.
constexpr int center_crop_offset(int excess) {
  const int half = excess / 2;
  return excess % 2 == 0 || half % 2 == 0 ? half : half + 1;
}

// "CenterCrop(size=(388, 388))", as torchvision prints it.
inline std::string center_crop_text(int height, int width) {
  return "CenterCrop(size=(" + std::to_string(height) + ", " + std::to_string(width) + "))";
}
}  // namespace detail

// Named in shape errors: the size a crop asks for.
template <int H, int W>
struct crop_size {};

template <int H, int W>
struct CenterCrop {
  static_assert(H > 0 && W > 0, "tessera: CenterCrop needs a positive height and width");

  template <class In>
  static constexpr auto check() {
    if constexpr (!ShapeOfRank<In, 3>)
      return Rule<"CenterCrop needs a Shape<C, H, W> input">{};
    else if constexpr (H > In::dims[1] || W > In::dims[2])
      return Rule<"CenterCrop: the crop is larger than the input", crop_size<H, W>>{};
    else
      return ShapeOk{};
  }

  template <class In, class T, class Dev>
  struct Module : LeafModule {
    static constexpr int top = detail::center_crop_offset(In::dims[1] - H);
    static constexpr int left = detail::center_crop_offset(In::dims[2] - W);
    static constexpr ops::PadGeometry geometry{In::dims[0], In::dims[1], In::dims[2], H, W, -top, -left};
    using input_shape = In;
    using output_shape = Shape<In::dims[0], H, W>;
    static constexpr double flops = 0;

    static std::string describe() { return detail::center_crop_text(H, W); }
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
