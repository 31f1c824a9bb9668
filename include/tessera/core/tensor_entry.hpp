// One named tensor of a model as the outside world sees it: a parameter (with its gradient), a
// buffer (running statistics) or a counter (num_batches_tracked), under its PyTorch state_dict
// name. A model lists them in forward order; saving, loading and optimizers work on the list.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "tessera/core/module.hpp"

namespace tessera {

namespace detail {
// A state_dict key: "0.weight" from "0" and "weight"; an empty part adds nothing.
inline std::string join_name(const std::string& prefix, std::string_view segment) {
  if (segment.empty()) return prefix;
  if (prefix.empty()) return std::string(segment);
  return prefix + "." + std::string(segment);
}
}  // namespace detail

// value and grad point into device Dev's memory; values() and grads() exist where the host reaches it.
template <class T, class Dev = Cpu>
struct TensorEntry {
  enum class Kind { parameter, buffer, counter };
  std::string name;  // PyTorch state_dict key
  Kind kind;
  Dims dims;
  Ptr<T, Dev> value{};           // parameter or buffer
  Ptr<T, Dev> grad{};            // parameter only
  std::int64_t* count = nullptr; // counter only (num_batches_tracked)
  Init init;
  std::string layer;          // the owning layer's type as describe() names it: "Conv2d", "BatchNorm2d"
  bool requires_grad = true;  // parameter only; false: frozen, optimizers leave it alone

  std::size_t size() const {
    std::size_t s = 1;
    for (auto d : dims) s *= std::size_t(d);
    return s;
  }
  std::span<T> values() const
    requires HostMemory<Dev>
  {
    return {value, size()};
  }
  std::span<T> grads() const
    requires HostMemory<Dev>
  {
    return {grad, size()};
  }
};

}  // namespace tessera
