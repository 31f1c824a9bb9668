// The geometry of a 2-d resampling and PyTorch's rules for the source of each output index
// (aten/src/ATen/native/UpSample.h, as of torch 1.13), written once for every backend.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace tessera::ops {

struct ResampleGeometry {
  int channels, in_h, in_w, out_h, out_w;
  // F.interpolate's scale_factor along each axis, or 0 where the size was given. PyTorch maps
  // output to input by 1 / scale_factor in the first case and by in / out in the second; for an
  // integer factor the two agree in float and in double (checked for factors up to 256 and inputs
  // up to 4096), but keeping the factor makes Upsample follow nn.Upsample by construction.
  double scale_h = 0, scale_w = 0;
};

// Source index of output index `o` for mode='nearest': floor(o * in / out), computed in float
// whatever the tensor's type, as PyTorch does (its legacy rule, OpenCV's INTER_NEAREST).
inline int nearest_source(int o, int in, int out, double scale_factor) {
  if (out == in) return o;
  if (out == 2 * in) return o >> 1;
  const float scale = scale_factor > 0 ? float(1.0 / scale_factor) : float(in) / float(out);
  return std::min(int(std::floor(float(o) * scale)), in - 1);
}

// The two source indices of output index `o` for mode='bilinear', align_corners=False, and their
// weights w0 + w1 = 1. The pixel centres line up: source = (o + 0.5) in / out - 0.5, clamped to 0
// on the left; the scale is rounded to T and the source computed in double, as PyTorch's CPU
// kernel does (its accumulation type), with the fused multiply-add its x86 build compiles that
// line to: the weights then agree with PyTorch's to the bit (checked against torch 1.13).
template <class T>
struct LinearSource {
  int i0, i1;
  T w0, w1;
};

template <class T>
LinearSource<T> linear_source(int o, int in, int out, double scale_factor) {
  if (out == in) return {o, o, T(1), T(0)};
  const T scale = scale_factor > 0 ? T(1.0 / scale_factor) : T(in) / T(out);
  const double source = std::max(std::fma(double(scale), double(o) + 0.5, -0.5), 0.0);
  const int i0 = std::min(int(source), in - 1);
  const int i1 = i0 < in - 1 ? i0 + 1 : i0;
  const T w1 = T(source - double(i0));
  return {i0, i1, T(1) - w1, w1};
}

}  // namespace tessera::ops
