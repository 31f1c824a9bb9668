// The geometry of a 2-d pad or crop.
#pragma once

namespace tessera::ops {

// Output pixel (oy, ox) of each plane shows input pixel (oy - top, ox - left); top and left are
// negative for a crop. Right and bottom follow from the output size.
struct PadGeometry {
  int channels, in_h, in_w, out_h, out_w;
  int top, left;
};

// The pad that maps g's output back onto g's input, showing the same pixels: a crop for a pad, a
// pad for a crop. A constant pad's backward is the constant pad (with zeros) of this geometry.
constexpr PadGeometry reversed(const PadGeometry& g) {
  return {g.channels, g.out_h, g.out_w, g.in_h, g.in_w, -g.top, -g.left};
}

}  // namespace tessera::ops
