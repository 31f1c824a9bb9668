// Tensors whose per-sample shape is a compile-time Shape and whose batch is a runtime number.
// `Tensor` owns its elements; `View` borrows them (a model's outputs are views into its arena).
// Layout is PyTorch's: batch-major, then the Shape's extents in order (NCHW for images).
// Both live in device Dev's memory (core/device.hpp); element access from the host (operator[],
// at, span) is offered only for a device whose memory the host reaches (the CPU), and to_host /
// from_host copy across otherwise.
#pragma once

#include <algorithm>
#include <cstddef>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "tessera/core/device.hpp"
#include "tessera/core/shape.hpp"
#include "tessera/ops/elementwise/elementwise.hpp"

namespace tessera {

template <SingleShape S, class T = float, class Dev = Cpu>
class View {
 public:
  using shape = S;
  using scalar = T;
  using device = Dev;
  using pointer = Ptr<T, Dev>;

  View() = default;
  View(pointer data, index batch) : data_(data), batch_(batch) {}
  template <class U>
    requires std::is_same_v<const U, T>
  View(View<S, U, Dev> other) : data_(other.data()), batch_(other.batch()) {}

  pointer data() const { return data_; }
  index batch() const { return batch_; }
  std::size_t size() const { return std::size_t(batch_) * S::size; }
  std::span<T> span() const
    requires HostMemory<Dev>
  {
    return {data_, size()};
  }
  T& operator[](std::size_t i) const
    requires HostMemory<Dev>
  {
    return data_[i];
  }

  // Element at (sample, i0, i1, ...): a convenience for tests and examples, not for inner loops.
  template <class... I>
    requires HostMemory<Dev>
  T& at(index sample, I... idx) const {
    static_assert(sizeof...(I) == S::rank, "tessera: View::at takes one index per extent");
    std::size_t offset = std::size_t(sample);
    int k = 0;
    ((offset = offset * std::size_t(S::dims[k++]) + std::size_t(idx)), ...);
    return data_[offset];
  }
  // One sample, as a view of batch 1.
  View sample(index i) const { return View(data_ + std::size_t(i) * S::size, 1); }

 private:
  pointer data_{};
  index batch_ = 0;
};

template <SingleShape S, class T = float, class Dev = Cpu>
class Tensor {
 public:
  using shape = S;
  using scalar = T;
  using device = Dev;

  Tensor() = default;
  explicit Tensor(index batch, T fill = T(0)) : batch_(checked(batch)), data_(std::size_t(batch) * S::size) {
    ops::fill(Dev{}, data_.data(), data_.size(), fill);
  }
  // Takes elements laid out batch-major; their count must be a whole number of samples.
  static Tensor from(std::vector<T> values) {
    if (values.size() % S::size != 0)
      throw std::invalid_argument("tessera::Tensor::from: " + std::to_string(values.size()) +
                                  " values are not a whole number of " + S::to_string() + " samples");
    Tensor t;
    t.batch_ = index(values.size() / S::size);
    if constexpr (std::is_same_v<Buffer<T, Dev>, std::vector<T>>) {
      t.data_ = std::move(values);
    } else {
      t.data_ = Buffer<T, Dev>(values.size());
      ops::from_host(Dev{}, values.data(), t.data_.data(), values.size());
    }
    return t;
  }
  // The elements, copied to the host.
  std::vector<T> to_host() const {
    std::vector<T> out(size());
    ops::to_host(Dev{}, Ptr<const T, Dev>(data_.data()), out.data(), out.size());
    return out;
  }

  Ptr<T, Dev> data() { return data_.data(); }
  Ptr<const T, Dev> data() const { return data_.data(); }
  index batch() const { return batch_; }
  std::size_t size() const { return data_.size(); }
  std::span<T> span()
    requires HostMemory<Dev>
  {
    return data_;
  }
  std::span<const T> span() const
    requires HostMemory<Dev>
  {
    return data_;
  }
  T& operator[](std::size_t i)
    requires HostMemory<Dev>
  {
    return data_[i];
  }
  const T& operator[](std::size_t i) const
    requires HostMemory<Dev>
  {
    return data_[i];
  }
  template <class... I>
    requires HostMemory<Dev>
  T& at(index sample, I... idx) {
    return view().at(sample, idx...);
  }
  template <class... I>
    requires HostMemory<Dev>
  const T& at(index sample, I... idx) const {
    return view().at(sample, idx...);
  }

  View<S, T, Dev> view() { return {data_.data(), batch_}; }
  View<S, const T, Dev> view() const { return {data_.data(), batch_}; }
  operator View<S, T, Dev>() { return view(); }
  operator View<S, const T, Dev>() const { return view(); }

 private:
  static index checked(index batch) {
    if (batch < 0) throw std::invalid_argument("tessera::Tensor: negative batch size");
    return batch;
  }
  index batch_ = 0;
  Buffer<T, Dev> data_;
};

}  // namespace tessera
