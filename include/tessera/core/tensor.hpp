// Tensors whose per-sample shape is a compile-time Shape and whose batch is a runtime number.
// `Tensor` owns its elements; `View` borrows them (a model's outputs are views into its arena).
// Layout is PyTorch's: batch-major, then the Shape's extents in order (NCHW for images).
#pragma once

#include <algorithm>
#include <cstddef>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "tessera/core/shape.hpp"

namespace tessera {

template <SingleShape S, class T = float>
class View {
 public:
  using shape = S;
  using scalar = T;

  View() = default;
  View(T* data, index batch) : data_(data), batch_(batch) {}
  template <class U>
    requires std::is_same_v<const U, T>
  View(View<S, U> other) : data_(other.data()), batch_(other.batch()) {}

  T* data() const { return data_; }
  index batch() const { return batch_; }
  std::size_t size() const { return std::size_t(batch_) * S::size; }
  std::span<T> span() const { return {data_, size()}; }
  T& operator[](std::size_t i) const { return data_[i]; }

  // Element at (sample, i0, i1, ...): a convenience for tests and examples, not for inner loops.
  template <class... I>
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
  T* data_ = nullptr;
  index batch_ = 0;
};

template <SingleShape S, class T = float>
class Tensor {
 public:
  using shape = S;
  using scalar = T;

  Tensor() = default;
  explicit Tensor(index batch, T fill = T(0)) : batch_(batch), data_(std::size_t(batch) * S::size, fill) {
    if (batch < 0) throw std::invalid_argument("tessera::Tensor: negative batch size");
  }
  // Takes elements laid out batch-major; their count must be a whole number of samples.
  static Tensor from(std::vector<T> values) {
    if (values.size() % S::size != 0)
      throw std::invalid_argument("tessera::Tensor::from: " + std::to_string(values.size()) +
                                  " values are not a whole number of " + S::to_string() + " samples");
    Tensor t;
    t.batch_ = index(values.size() / S::size);
    t.data_ = std::move(values);
    return t;
  }

  T* data() { return data_.data(); }
  const T* data() const { return data_.data(); }
  index batch() const { return batch_; }
  std::size_t size() const { return data_.size(); }
  std::span<T> span() { return data_; }
  std::span<const T> span() const { return data_; }
  T& operator[](std::size_t i) { return data_[i]; }
  const T& operator[](std::size_t i) const { return data_[i]; }
  template <class... I>
  T& at(index sample, I... idx) { return view().at(sample, idx...); }
  template <class... I>
  const T& at(index sample, I... idx) const { return view().at(sample, idx...); }

  View<S, T> view() { return {data_.data(), batch_}; }
  View<S, const T> view() const { return {data_.data(), batch_}; }
  operator View<S, T>() { return view(); }
  operator View<S, const T>() const { return view(); }

 private:
  index batch_ = 0;
  std::vector<T> data_;
};

}  // namespace tessera
