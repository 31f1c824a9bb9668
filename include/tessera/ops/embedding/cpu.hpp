// Table lookup on the CPU: every index is checked first (an exception cannot leave an OpenMP
// loop), then the rows are copied, split over the cores when there are many.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>

#include "tessera/core/parallel.hpp"
#include "tessera/core/device.hpp"

namespace tessera::ops {

namespace cpu {
// "12", "2.5", "1e+30", "nan": an index as the user would write it, shortest in its own type.
template <class T>
std::string index_text(T v) {
  if (std::isfinite(v) && v == std::trunc(v) && std::fabs(v) < T(1e15)) return std::to_string((long long)v);
  char buf[32];
  for (int precision = 1; precision < 18; ++precision) {
    std::snprintf(buf, sizeof buf, "%.*g", precision, double(v));
    if (T(std::strtod(buf, nullptr)) == v) break;
  }
  return buf;
}
}  // namespace cpu

template <class T>
void embedding_forward(Cpu, const T* indices, const T* weight, T* y, std::size_t count, int num_embeddings,
                       int dim) {
  for (std::size_t i = 0; i < count; ++i) {
    const T v = indices[i];
    // Written so that NaN fails too.
    if (!(v >= T(0) && double(v) < double(num_embeddings) && v == std::floor(v)))
      throw std::out_of_range("tessera: Embedding: index " + cpu::index_text(v) +
                              " is out of range; indices are whole numbers in [0, " +
                              std::to_string(num_embeddings) + ")");
  }
  const std::size_t row = std::size_t(dim);
TESSERA_OMP(parallel for schedule(static) if (count * row > 32768))
  for (std::size_t i = 0; i < count; ++i) {
    const T* src = weight + std::size_t(indices[i]) * row;
    std::copy(src, src + row, y + i * row);
  }
}

// Serial: the same index may come many times (a batch of one class), and its row would be added to
// from several threads at once.
template <class T>
void embedding_backward(Cpu, const T* indices, const T* dy, T* weight_grad, std::size_t count,
                        int dim) {
  const std::size_t row = std::size_t(dim);
  for (std::size_t i = 0; i < count; ++i) {
    T* dst = weight_grad + std::size_t(indices[i]) * row;
    const T* grad = dy + i * row;
    for (std::size_t j = 0; j < row; ++j) dst[j] += grad[j];
  }
}

}  // namespace tessera::ops
