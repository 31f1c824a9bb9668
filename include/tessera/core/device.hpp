// Device tags. Layers are written once and pass the tag to the ops they call; each op has one file
// per backend that overloads on the tag, so adding a backend never touches a layer.
//
// A device names how its memory is reached from the host:
//   pointer<T>     what points into its memory: arithmetic (+, -, comparisons), conversion to
//                  pointer<const T>, and a null value; dereferencing it is up to the device's ops
//   buffer<T>      what owns n elements of it: buffer<T>(n), data() -> pointer<T>, size()
//   host_memory    whether the host may read and write that memory directly (element access on
//                  tensors and views is offered only then)
// Data crosses between host and device only through ops::to_host and ops::from_host.
#pragma once

#include <vector>

namespace tessera {

// Host memory; OpenBLAS (or Eigen) and, where present, oneDNN.
struct Cpu {
  static constexpr const char* name = "cpu";
  static constexpr bool host_memory = true;
  template <class T>
  using pointer = T*;
  template <class T>
  using buffer = std::vector<T>;
};

// Device Dev's memory holding T's: `Ptr<const float, Cpu>` is `const float*`.
template <class T, class Dev>
using Ptr = typename Dev::template pointer<T>;

// n elements of T in device Dev's memory, owned.
template <class T, class Dev>
using Buffer = typename Dev::template buffer<T>;

// Whether the host can touch Dev's memory directly.
template <class Dev>
concept HostMemory = Dev::host_memory;

}  // namespace tessera
