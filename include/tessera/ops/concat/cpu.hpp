// Concatenation on the CPU: per-sample block copies.
#pragma once

#include <cstddef>
#include <cstring>

#include "tessera/core/parallel.hpp"
#include "tessera/core/device.hpp"
#include "tessera/core/shape.hpp"

namespace tessera::ops {

template <class T>
void concat_forward(Cpu, const T* const* inputs, const std::size_t* sizes, std::size_t count, T* y,
                    index n) {
  std::size_t total = 0;
  for (std::size_t i = 0; i < count; ++i) total += sizes[i];
TESSERA_OMP(parallel for schedule(static) if (std::size_t(n) * total > 32768))
  for (index s = 0; s < n; ++s) {
    T* dst = y + std::size_t(s) * total;
    for (std::size_t i = 0; i < count; ++i) {
      std::memcpy(dst, inputs[i] + std::size_t(s) * sizes[i], sizes[i] * sizeof(T));
      dst += sizes[i];
    }
  }
}

// The backward: each input's part of every output sample, copied back out (null parts skipped).
template <class T>
void concat_backward(Cpu, const T* dy, T* const* input_grads, const std::size_t* sizes, std::size_t count,
                     index n) {
  std::size_t total = 0;
  for (std::size_t i = 0; i < count; ++i) total += sizes[i];
TESSERA_OMP(parallel for schedule(static) if (std::size_t(n) * total > 32768))
  for (index s = 0; s < n; ++s) {
    const T* src = dy + std::size_t(s) * total;
    for (std::size_t i = 0; i < count; ++i) {
      if (input_grads[i]) std::memcpy(input_grads[i] + std::size_t(s) * sizes[i], src, sizes[i] * sizeof(T));
      src += sizes[i];
    }
  }
}

}  // namespace tessera::ops
