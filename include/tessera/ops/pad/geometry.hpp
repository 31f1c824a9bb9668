// The geometry of a 2-d pad or crop.
#pragma once

namespace tessera::ops {

// Output pixel (oy, ox) of each plane shows input pixel (oy - top, ox - left); top and left are
// negative for a crop. Right and bottom follow from the output size.
struct PadGeometry {
  int channels, in_h, in_w, out_h, out_w;
  int top, left;
};

}  // namespace tessera::ops
