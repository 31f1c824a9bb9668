// Upsample<Scale, Mode>: every channel of Shape<C, H, W> enlarged to Shape<C, Scale H, Scale W>,
// PyTorch's nn.Upsample(scale_factor=Scale, mode=...). `nearest` repeats each pixel; `bilinear`
// interpolates with align_corners=False (pixel centres line up; sources left of the first centre
// clamp to it). No parameters.
//   Sequential<Upsample<2>, Conv2d<64, 3, 1, 1>>          // the resize-convolution of a decoder
#pragma once

#include <string>

#include "tessera/core/module.hpp"
#include "tessera/ops/upsample/upsample.hpp"

namespace tessera {

enum class UpsampleMode { nearest, bilinear };

namespace detail {
inline std::string upsample_mode_text(UpsampleMode mode) {
  return mode == UpsampleMode::nearest ? "nearest" : "bilinear";
}

// "Upsample(scale_factor=2.0, mode='nearest')", as PyTorch prints it.
inline std::string upsample_text(int scale, UpsampleMode mode) {
  return "Upsample(scale_factor=" + std::to_string(scale) + ".0, mode='" + upsample_mode_text(mode) +
         "')";
}

// Resamples with the op of the mode; the geometry carries the sizes and any scale factor.
template <UpsampleMode Mode, class Dev, class X, class Y>
void resample_forward(const ops::ResampleGeometry& g, X x, Y y, index n) {
  if constexpr (Mode == UpsampleMode::nearest)
    ops::upsample_nearest2d_forward(Dev{}, g, x, y, n);
  else
    ops::upsample_bilinear2d_forward(Dev{}, g, x, y, n);
}

template <UpsampleMode Mode, class Dev, class X, class Y>
void resample_backward(const ops::ResampleGeometry& g, X dy, Y dx, index n) {
  if constexpr (Mode == UpsampleMode::nearest)
    ops::upsample_nearest2d_backward(Dev{}, g, dy, dx, n);
  else
    ops::upsample_bilinear2d_backward(Dev{}, g, dy, dx, n);
}

// Forward FLOPs per output element: none to copy a pixel; two products and a sum for each of the
// three interpolations of bilinear.
template <UpsampleMode Mode>
inline constexpr double resample_flops = Mode == UpsampleMode::nearest ? 0 : 9;
}  // namespace detail

template <int Scale, UpsampleMode Mode = UpsampleMode::nearest>
struct Upsample {
  static_assert(Scale > 0, "tessera: Upsample needs a positive integer scale factor");

  template <class In>
  static constexpr auto check() {
    if constexpr (!ShapeOfRank<In, 3>)
      return Rule<"Upsample needs a Shape<C, H, W> input">{};
    else
      return ShapeOk{};
  }

  template <class In, class T, class Dev>
  struct Module : LeafModule {
    static constexpr int out_h = Scale * In::dims[1], out_w = Scale * In::dims[2];
    // With the scale factor, as nn.Upsample passes it on.
    static constexpr ops::ResampleGeometry geometry{In::dims[0], In::dims[1],   In::dims[2],  out_h,
                                                    out_w,       double(Scale), double(Scale)};
    using input_shape = In;
    using output_shape = Shape<In::dims[0], out_h, out_w>;
    static constexpr double flops = detail::resample_flops<Mode> * output_shape::size;

    // As PyTorch 2 prints it (1.13 leaves the quotes out of the mode).
    static std::string describe() { return detail::upsample_text(Scale, Mode); }
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
