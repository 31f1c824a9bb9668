// Saving and loading a model's named tensors as safetensors, the format PyTorch users exchange
// weights in. Loading is strict: a missing or unexpected key, a wrong shape or dtype is an error
// naming the file and the tensor, and nothing is changed unless the whole file fits. The values
// cross between the device and the host with ops::to_host and ops::from_host.
#pragma once

#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "tessera/core/tensor_entry.hpp"
#include "tessera/io/file_error.hpp"
#include "tessera/io/safetensors.hpp"
#include "tessera/ops/elementwise/elementwise.hpp"

namespace tessera {

// A weights file that does not fit the model. what() starts with the file's path.
class WeightsError : public io::FileError {
 public:
  using io::FileError::FileError;
};

namespace detail {
template <class T>
constexpr io::Dtype dtype_of() {
  if constexpr (std::is_same_v<T, double>)
    return io::Dtype::F64;
  else
    return io::Dtype::F32;
}

inline std::string dims_text(const Dims& dims) {
  std::string s = "[";
  for (std::size_t i = 0; i < dims.size(); ++i) s += (i ? ", " : "") + std::to_string(dims[i]);
  return s + "]";
}

template <class Scalar, class T>
void copy_converted(const std::vector<std::byte>& bytes, T* out, std::size_t count) {
  for (std::size_t i = 0; i < count; ++i) {
    Scalar v;
    std::memcpy(&v, bytes.data() + i * sizeof(Scalar), sizeof(Scalar));
    out[i] = T(v);
  }
}
}  // namespace detail

template <class T, class Dev>
void save_weights(const std::vector<TensorEntry<T, Dev>>& entries, const std::string& path) {
  std::vector<io::TensorRecord> records;
  records.reserve(entries.size());
  for (const auto& e : entries) {
    io::TensorRecord r{e.name, detail::dtype_of<T>(), e.dims, {}};
    if (e.kind == TensorEntry<T, Dev>::Kind::counter) {
      r.dtype = io::Dtype::I64;
      r.data.resize(sizeof(std::int64_t));
      std::memcpy(r.data.data(), e.count, sizeof(std::int64_t));
    } else {
      std::vector<T> values(e.size());
      ops::to_host(Dev{}, Ptr<const T, Dev>(e.value), values.data(), values.size());
      r.data.resize(e.size() * sizeof(T));
      std::memcpy(r.data.data(), values.data(), r.data.size());
    }
    records.push_back(std::move(r));
  }
  io::write_safetensors(path, records, {{"format", "pt"}});
}

template <class T, class Dev>
void load_weights(const std::vector<TensorEntry<T, Dev>>& entries, const std::string& path) {
  using Entry = TensorEntry<T, Dev>;
  const io::SafetensorsFile file = io::read_safetensors(path);

  // Check everything first.
  std::vector<std::string> missing;
  for (const auto& e : entries) {
    auto it = file.tensors.find(e.name);
    if (it == file.tensors.end()) {
      missing.push_back(e.name);
      continue;
    }
    const io::TensorRecord& r = it->second;
    if (r.shape != e.dims)
      throw WeightsError(path, "tensor '" + e.name + "' has shape " + detail::dims_text(r.shape) +
                                   " but the model expects " + detail::dims_text(e.dims));
    const bool counter = e.kind == Entry::Kind::counter;
    const bool dtype_fits = counter ? r.dtype == io::Dtype::I64
                                    : (r.dtype == io::Dtype::F32 || r.dtype == io::Dtype::F64);
    if (!dtype_fits)
      throw WeightsError(path, "tensor '" + e.name + "' has dtype " +
                                   std::string(io::dtype_name(r.dtype)) + " but the model expects " +
                                   (counter ? "I64" : "F32 or F64"));
  }
  if (!missing.empty()) {
    std::string list;
    for (std::size_t i = 0; i < missing.size() && i < 8; ++i) list += (i ? ", '" : "'") + missing[i] + "'";
    if (missing.size() > 8) list += " and " + std::to_string(missing.size() - 8) + " more";
    throw WeightsError(path, "missing key" + std::string(missing.size() > 1 ? "s " : " ") + list +
                                 " (the file has " + std::to_string(file.tensors.size()) + " tensors)");
  }
  if (file.tensors.size() != entries.size()) {
    for (const auto& [name, record] : file.tensors) {
      bool known = false;
      for (const auto& e : entries) known = known || e.name == name;
      if (!known)
        throw WeightsError(path, "unexpected key '" + name + "': the model has no tensor of that name");
    }
  }

  // Then copy, converting F32 <-> F64 where the file's precision differs from the model's.
  std::vector<T> values;
  for (const auto& e : entries) {
    const io::TensorRecord& r = file.tensors.at(e.name);
    if (e.kind == Entry::Kind::counter) {
      std::memcpy(e.count, r.data.data(), sizeof(std::int64_t));
      continue;
    }
    values.resize(e.size());
    if (r.dtype == io::Dtype::F32)
      detail::copy_converted<float>(r.data, values.data(), values.size());
    else
      detail::copy_converted<double>(r.data, values.data(), values.size());
    ops::from_host(Dev{}, values.data(), e.value, values.size());
  }
}

}  // namespace tessera
