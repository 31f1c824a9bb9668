// Concatenation on the CPU: per-sample block copies.
#pragma once

#include <array>
#include <cstddef>
#include <cstring>

#include "tessera/core/device.hpp"
#include "tessera/core/parallel.hpp"
#include "tessera/core/shape.hpp"

namespace tessera::ops {

template <class T, std::size_t N>
void concat_forward(Cpu, const std::array<const T*, N>& inputs,
                    const std::array<std::size_t, N>& sizes, T* y, index n) {
  std::size_t total = 0;
  for (std::size_t i = 0; i < N; ++i) total += sizes[i];
TESSERA_OMP(parallel for schedule(static) if (std::size_t(n) * total > 32768))
  for (index s = 0; s < n; ++s) {
    T* dst = y + std::size_t(s) * total;
    for (std::size_t i = 0; i < N; ++i) {
      std::memcpy(dst, inputs[i] + std::size_t(s) * sizes[i], sizes[i] * sizeof(T));
      dst += sizes[i];
    }
  }
}

// The backward: each input's part of every output sample, copied back out (null parts skipped).
template <class T, std::size_t N>
void concat_backward(Cpu, const T* dy, const std::array<T*, N>& input_grads,
                     const std::array<std::size_t, N>& sizes, index n) {
  std::size_t total = 0;
  for (std::size_t i = 0; i < N; ++i) total += sizes[i];
TESSERA_OMP(parallel for schedule(static) if (std::size_t(n) * total > 32768))
  for (index s = 0; s < n; ++s) {
    const T* src = dy + std::size_t(s) * total;
    for (std::size_t i = 0; i < N; ++i) {
      if (input_grads[i]) std::memcpy(input_grads[i] + std::size_t(s) * sizes[i], src, sizes[i] * sizeof(T));
      src += sizes[i];
    }
  }
}

}  // namespace tessera::ops
