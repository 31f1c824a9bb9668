// Resize<H, W, Mode>: every channel of Shape<C, h, w> resampled to Shape<C, H, W>, up or down;
// F.interpolate(x, size=(H, W), mode=..., align_corners=False), which is what torchvision's
// TF.resize did on tensors before 0.17 (no antialiasing). Bilinear by default, as torchvision.
// No parameters.
//   Sequential<Resize<64, 64>, Conv2d<32, 3, 1, 1>>
#pragma once

#include <string>

#include "tessera/core/module.hpp"
#include "tessera/layers/upsample.hpp"
#include "tessera/ops/upsample/upsample.hpp"

namespace tessera {

namespace detail {
// "Resize(size=(64, 64), interpolation=bilinear, max_size=None, antialias=False)", as
// torchvision's transforms.Resize prints itself.
inline std::string resize_text(int height, int width, UpsampleMode mode) {
  return "Resize(size=(" + std::to_string(height) + ", " + std::to_string(width) +
         "), interpolation=" + upsample_mode_text(mode) + ", max_size=None, antialias=False)";
}
}  // namespace detail

template <int H, int W, UpsampleMode Mode = UpsampleMode::bilinear>
struct Resize {
  static_assert(H > 0 && W > 0, "tessera: Resize needs a positive target height and width");

  template <class In>
  static constexpr auto check() {
    if constexpr (!ShapeOfRank<In, 3>)
      return Rule<"Resize needs a Shape<C, H, W> input">{};
    else
      return ShapeOk{};
  }

  template <class In, class T, class Dev>
  struct Module : LeafModule {
    // No scale factor: PyTorch then maps output to input by in / out along each axis.
    static constexpr ops::ResampleGeometry geometry{In::dims[0], In::dims[1], In::dims[2], H, W};
    using input_shape = In;
    using output_shape = Shape<In::dims[0], H, W>;
    static constexpr double flops = detail::resample_flops<Mode> * output_shape::size;

    static std::string describe() { return detail::resize_text(H, W, Mode); }
    void forward(Ptr<const T, Dev> x, Ptr<T, Dev> y, index n, Ptr<T, Dev>, Context<T, Dev>&) {
      detail::resample_forward<Mode, Dev>(geometry, x, y, n);
    }
    void backward(Ptr<const T, Dev>, Ptr<const T, Dev>, Ptr<const T, Dev> dy, Ptr<T, Dev> dx,
                  index n, Ptr<T, Dev>, Context<T, Dev>&) {
      if (dx) detail::resample_backward<Mode, Dev>(geometry, dy, dx, n);
    }
  };
};

}  // namespace tessera
