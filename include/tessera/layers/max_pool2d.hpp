// MaxPool2d<Kernel, Stride = Kernel, Padding = 0>: the largest value of each Kernel x Kernel window
// of every channel, PyTorch's nn.MaxPool2d(Kernel, Stride, Padding) (floor mode; padding never
// wins). Shape<C, H, W> -> Shape<C, (H + 2P - K) / S + 1, (W + 2P - K) / S + 1>. No parameters;
// forward keeps the argmax of each output in the arena for backward.
//   Sequential<Conv2d<64, 3, 1, 1>, ReLU, MaxPool2d<2>>
#pragma once

#include <cstdint>
#include <limits>
#include <string>

#include "tessera/core/module.hpp"
#include "tessera/ops/pool/pool.hpp"

namespace tessera {

namespace detail {
// "MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)", as PyTorch prints
// it.
inline std::string max_pool2d_text(int kernel, int stride, int padding) {
  return "MaxPool2d(kernel_size=" + std::to_string(kernel) + ", stride=" + std::to_string(stride) +
         ", padding=" + std::to_string(padding) + ", dilation=1, ceil_mode=False)";
}
}  // namespace detail

template <int Kernel, int Stride = Kernel, int Padding = 0>
struct MaxPool2d {
  static_assert(Kernel > 0 && Stride > 0 && Padding >= 0,
                "tessera: MaxPool2d needs a positive kernel and stride, and padding >= 0");

  template <class In>
  static constexpr auto check() {
    if constexpr (!ShapeOfRank<In, 3>)
      return Rule<"MaxPool2d needs a Shape<C, H, W> input">{};
    else if constexpr (2 * Padding > Kernel)
      return Rule<"MaxPool2d: the padding must be at most half the kernel size">{};
    else if constexpr (Kernel > In::dims[1] + 2 * Padding || Kernel > In::dims[2] + 2 * Padding)
      return Rule<"MaxPool2d: the kernel is larger than the input plus twice the padding">{};
    else
      return ShapeOk{};
  }

  template <class In, class T, class Dev>
  struct Module : LeafModule {
    static constexpr ops::WindowGeometry geometry{
        In::dims[0], In::dims[1], In::dims[2], In::dims[0],
        ops::WindowGeometry::conv_out(In::dims[1], Kernel, Stride, Padding, 1),
        ops::WindowGeometry::conv_out(In::dims[2], Kernel, Stride, Padding, 1),
        Kernel, Stride, Padding, 1};
    using input_shape = In;
    using output_shape = Shape<In::dims[0], geometry.out_h, geometry.out_w>;
    // One comparison per window element.
    static constexpr double flops = double(Kernel * Kernel) * output_shape::size;
    // The argmax of every output, as T.
    static constexpr std::size_t keep_size = output_shape::size;
    static_assert(std::uint64_t(In::dims[1]) * std::uint64_t(In::dims[2]) <=
                      (std::uint64_t{1} << std::numeric_limits<T>::digits),
                  "tessera: MaxPool2d keeps argmax indices as the scalar type; this input plane has "
                  "more elements than it represents exactly");

    static std::string describe() { return detail::max_pool2d_text(Kernel, Stride, Padding); }
    void forward(Ptr<const T, Dev> x, Ptr<T, Dev> y, index n, Ptr<T, Dev> keep, Context<T, Dev>&) {
      ops::max_pool2d_forward(Dev{}, geometry, x, y, keep, n);
    }
    void backward(Ptr<const T, Dev>, Ptr<const T, Dev>, Ptr<const T, Dev> dy, Ptr<T, Dev> dx,
                  index n, Ptr<T, Dev> keep, Context<T, Dev>&) {
      if (dx) ops::max_pool2d_backward(Dev{}, geometry, dy, keep, dx, n);
    }
  };
};

}  // namespace tessera
