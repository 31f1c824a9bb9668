// AvgPool2d<Kernel, Stride = Kernel, Padding = 0>: the mean of each Kernel x Kernel window of every
// channel, PyTorch's nn.AvgPool2d(Kernel, Stride, Padding) (floor mode, count_include_pad=True:
// padded zeros count in the mean). Shape<C, H, W> -> Shape<C, (H + 2P - K) / S + 1, ...>.
//   Sequential<Conv2d<64, 3, 1, 1>, ReLU, AvgPool2d<2>>
#pragma once

#include <string>

#include "tessera/core/module.hpp"
#include "tessera/ops/pool/pool.hpp"

namespace tessera {

namespace detail {
// "AvgPool2d(kernel_size=2, stride=2, padding=0)", as PyTorch prints it.
inline std::string avg_pool2d_text(int kernel, int stride, int padding) {
  return "AvgPool2d(kernel_size=" + std::to_string(kernel) + ", stride=" + std::to_string(stride) +
         ", padding=" + std::to_string(padding) + ")";
}
}  // namespace detail

template <int Kernel, int Stride = Kernel, int Padding = 0>
struct AvgPool2d {
  static_assert(Kernel > 0 && Stride > 0 && Padding >= 0,
                "tessera: AvgPool2d needs a positive kernel and stride, and padding >= 0");

  template <class In>
  static constexpr auto check() {
    if constexpr (!ShapeOfRank<In, 3>)
      return Rule<"AvgPool2d needs a Shape<C, H, W> input">{};
    else if constexpr (2 * Padding > Kernel)
      return Rule<"AvgPool2d: the padding must be at most half the kernel size">{};
    else if constexpr (Kernel > In::dims[1] + 2 * Padding || Kernel > In::dims[2] + 2 * Padding)
      return Rule<"AvgPool2d: the kernel is larger than the input plus twice the padding">{};
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
    // One addition per window element and one division.
    static constexpr double flops = double(Kernel * Kernel + 1) * output_shape::size;

    static std::string describe() { return detail::avg_pool2d_text(Kernel, Stride, Padding); }
    void forward(Ptr<const T, Dev> x, Ptr<T, Dev> y, index n, Ptr<T, Dev>, Context<T, Dev>&) {
      ops::avg_pool2d_forward(Dev{}, geometry, x, y, n);
    }
    void backward(Ptr<const T, Dev>, Ptr<const T, Dev>, Ptr<const T, Dev> dy, Ptr<T, Dev> dx,
                  index n, Ptr<T, Dev>, Context<T, Dev>&) {
      if (dx) ops::avg_pool2d_backward(Dev{}, geometry, dy, dx, n);
    }
    // Second order: pooling is linear, so the tangent pools x' and both gradients pass back as
    // dy's does.
    void tangent(Dual<Ptr<const T, Dev>> x, Dual<Ptr<T, Dev>> y, index n, Dual<Ptr<T, Dev>>,
                 Context<T, Dev>&) {
      ops::avg_pool2d_forward(Dev{}, geometry, x.tangent, y.tangent, n);
    }
    bool tangent_backward(Dual<Ptr<const T, Dev>>, Dual<Ptr<const T, Dev>>,
                          Dual<Ptr<const T, Dev>> dy, Dual<Ptr<T, Dev>> dx, index n,
                          Dual<Ptr<T, Dev>>, Context<T, Dev>&) {
      if (dx.tangent) ops::avg_pool2d_backward(Dev{}, geometry, dy.tangent, dx.tangent, n);
      if (dy.value && dx.value) ops::avg_pool2d_backward(Dev{}, geometry, dy.value, dx.value, n);
      return bool(dy.value);
    }
  };
};

}  // namespace tessera
