// GlobalAvgPool2d: the mean of each channel, Shape<C, H, W> -> Shape<C>. In PyTorch that is
// nn.AdaptiveAvgPool2d(1) followed by nn.Flatten() (or x.mean((2, 3))); being one layer here, it
// takes one index in a Sequential where PyTorch's pair takes two. No parameters.
//   Sequential<Conv2d<512, 3, 1, 1>, ReLU, GlobalAvgPool2d, Linear<10>>
#pragma once

#include <string>

#include "tessera/core/module.hpp"
#include "tessera/ops/pool/pool.hpp"

namespace tessera {

struct GlobalAvgPool2d {
  template <class In>
  static constexpr auto check() {
    if constexpr (!ShapeOfRank<In, 3>)
      return Rule<"GlobalAvgPool2d needs a Shape<C, H, W> input">{};
    else
      return ShapeOk{};
  }

  template <class In, class T, class Dev>
  struct Module : LeafModule {
    static constexpr std::size_t plane = std::size_t(In::dims[1]) * std::size_t(In::dims[2]);
    using input_shape = In;
    using output_shape = Shape<In::dims[0]>;
    // One addition per element and one division per channel.
    static constexpr double flops = double(In::size) + In::dims[0];

    static std::string describe() { return "GlobalAvgPool2d(AdaptiveAvgPool2d(output_size=1) + Flatten)"; }
    void forward(Ptr<const T, Dev> x, Ptr<T, Dev> y, index n, Ptr<T, Dev>, Context<T, Dev>&) {
      ops::global_avg_pool2d_forward(Dev{}, x, y, n * In::dims[0], plane);
    }
    void backward(Ptr<const T, Dev>, Ptr<const T, Dev>, Ptr<const T, Dev> dy, Ptr<T, Dev> dx,
                  index n, Ptr<T, Dev>, Context<T, Dev>&) {
      if (dx) ops::global_avg_pool2d_backward(Dev{}, dy, dx, n * In::dims[0], plane);
    }
  };
};

}  // namespace tessera
