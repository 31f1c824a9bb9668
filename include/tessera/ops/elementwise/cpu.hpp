// Elementwise maps on the CPU: a plain loop the compiler vectorises, split over both cores when
// the tensor is large enough to pay for the threads.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstring>

#include "tessera/core/parallel.hpp"
#include "tessera/core/device.hpp"

namespace tessera::ops {

// f is each thread's own copy (firstprivate): a functor with state (LeakyReLU's slope) must not be
// read through a pointer that the stores to y could alias, or the loop is not vectorised.
template <class T, class F>
void map(Cpu, const T* x, T* y, std::size_t count, F f) {
TESSERA_OMP(parallel for schedule(static) firstprivate(f) if (count > 32768))
  for (std::size_t i = 0; i < count; ++i) y[i] = f(x[i]);
}

// dx[i] = f.backward(x[i], y[i], dy[i]): the backward of a map, given its input, output and output
// gradient.
template <class T, class F>
void map_backward(Cpu, const T* x, const T* y, const T* dy, T* dx, std::size_t count, F f) {
TESSERA_OMP(parallel for schedule(static) firstprivate(f) if (count > 32768))
  for (std::size_t i = 0; i < count; ++i) dx[i] = f.backward(x[i], y[i], dy[i]);
}

// dx[i] = f.backward(x[i], y[i], dy[i]) + f.second(x[i], y[i]) * xt[i] * dyt[i], where a null dy
// counts as zero: the input gradient of a map's second order (the map's tangent is
// f.backward(x, y, xt), whose derivative in x brings in f'').
template <class T, class F>
void map_double_backward(Cpu, const T* x, const T* y, const T* xt, const T* dy, const T* dyt, T* dx,
                         std::size_t count, F f) {
  if (dy) {
TESSERA_OMP(parallel for schedule(static) firstprivate(f) if (count > 32768))
    for (std::size_t i = 0; i < count; ++i)
      dx[i] = f.backward(x[i], y[i], dy[i]) + f.second(x[i], y[i]) * xt[i] * dyt[i];
  } else {
TESSERA_OMP(parallel for schedule(static) firstprivate(f) if (count > 32768))
    for (std::size_t i = 0; i < count; ++i) dx[i] = f.second(x[i], y[i]) * xt[i] * dyt[i];
  }
}

// y = x.
template <class T>
void copy(Cpu, const T* x, T* y, std::size_t count) {
  if (count) std::memcpy(y, x, count * sizeof(T));
}

// The host's copy of device memory and back: on the CPU, the same memory.
template <class T>
void to_host(Cpu, const T* x, T* host, std::size_t count) {
  if (count) std::memcpy(host, x, count * sizeof(T));
}
template <class T>
void from_host(Cpu, const T* host, T* y, std::size_t count) {
  if (count) std::memcpy(y, host, count * sizeof(T));
}

// y = value.
template <class T>
void fill(Cpu, T* y, std::size_t count, T value) {
  std::fill(y, y + count, value);
}

// y += a.
template <class T>
void accumulate(Cpu, const T* a, T* y, std::size_t count) {
TESSERA_OMP(parallel for schedule(static) if (count > 32768))
  for (std::size_t i = 0; i < count; ++i) y[i] += a[i];
}

// y = alpha a + beta b.
template <class T>
void blend(Cpu, T alpha, const T* a, T beta, const T* b, T* y, std::size_t count) {
TESSERA_OMP(parallel for schedule(static) if (count > 32768))
  for (std::size_t i = 0; i < count; ++i) y[i] = alpha * a[i] + beta * b[i];
}

// y = alpha x.
template <class T>
void scale(Cpu, T alpha, const T* x, T* y, std::size_t count) {
TESSERA_OMP(parallel for schedule(static) if (count > 32768))
  for (std::size_t i = 0; i < count; ++i) y[i] = alpha * x[i];
}

// y = min(max(y, low), high), in place. Written with comparisons that are false for NaN, so a NaN
// element stays NaN (torch.clamp_'s rule) and an element inside [low, high] keeps its bits.
template <class T>
void clamp(Cpu, T* y, std::size_t count, T low, T high) {
TESSERA_OMP(parallel for schedule(static) if (count > 32768))
  for (std::size_t i = 0; i < count; ++i) y[i] = y[i] < low ? low : high < y[i] ? high : y[i];
}

// y = a + b.
template <class T>
void add(Cpu, const T* a, const T* b, T* y, std::size_t count) {
TESSERA_OMP(parallel for schedule(static) if (count > 32768))
  for (std::size_t i = 0; i < count; ++i) y[i] = a[i] + b[i];
}

}  // namespace tessera::ops
