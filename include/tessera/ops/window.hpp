// The geometry of a window sliding over an image: a 2-d convolution, a transposed convolution or a
// pooling; everything about one such layer that the shapes fix.
#pragma once

namespace tessera::ops {

// Channels, extents and the window (kernel, stride, padding, dilation); pooling has in = out channels.
struct WindowGeometry {
  int in_channels, in_h, in_w;
  int out_channels, out_h, out_w;
  int kernel, stride, padding, dilation;

  // Output extent of a convolution along one axis (PyTorch's formula).
  static constexpr int conv_out(int in, int k, int s, int p, int d) {
    return (in + 2 * p - d * (k - 1) - 1) / s + 1;
  }
  // Output extent of a transposed convolution along one axis.
  static constexpr int transposed_out(int in, int k, int s, int p, int d, int output_padding) {
    return (in - 1) * s - 2 * p + d * (k - 1) + output_padding + 1;
  }
  // The same window seen from the output: in and out exchanged. A convolution's data gradient is
  // the transposed convolution of this geometry and a transposed convolution's is the convolution,
  // with the same weights.
  constexpr WindowGeometry swapped() const {
    return {out_channels, out_h, out_w, in_channels, in_h, in_w, kernel, stride, padding, dilation};
  }
};

}  // namespace tessera::ops
