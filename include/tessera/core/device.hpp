// Device tags. Layers are written once and pass the tag to the ops they call; each op has one file
// per backend that overloads on the tag, so adding a backend never touches a layer.
#pragma once

namespace tessera {

// Host memory; Eigen (over OpenBLAS) and, where present, oneDNN.
struct Cpu {
  static constexpr const char* name = "cpu";
};

}  // namespace tessera
