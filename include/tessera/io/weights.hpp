// Saving and loading a model's named tensors as safetensors, the format PyTorch users exchange
// weights in. Loading is strict by default: a missing or unexpected key, a wrong shape or dtype is
// an error naming the file and the tensor, and nothing is changed unless the whole file fits.
// LoadOptions relax this as PyTorch's load_state_dict(strict=False) does, and select one model's
// keys under a prefix in a file that holds several (save_models writes such a file). The values
// cross between the device and the host with ops::to_host and ops::from_host.
#pragma once

#include <cstring>
#include <initializer_list>
#include <set>
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

// How load reads a file. `prefix` selects the keys "<prefix>.<name>" (a file written by
// save_models, or by PyTorch from {"G." + k: v for k, v in G.state_dict().items()} and the like);
// keys outside it are ignored. `strict = false` is PyTorch's load_state_dict(strict=False): keys
// missing on either side are reported instead of thrown; a shape or dtype that differs still throws.
struct LoadOptions {
  std::string prefix = {};
  bool strict = true;
};

// What a non-strict load left out, as PyTorch's load_state_dict returns it, by full file key
// (prefix included): missing_keys in the model's order, unexpected_keys sorted by name (a
// safetensors file's order carries no meaning). Both are empty after a strict load.
struct LoadResult {
  std::vector<std::string> missing_keys, unexpected_keys;
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

// Device memory and a record's bytes, both ways, for weights and optimizer state. A record's bytes
// are their own allocation, aligned for any scalar, so the values cross straight between device
// and bytes; only a record in the other precision (F32 into double, F64 into float) goes through
// `staging` to be converted.
template <class T, class Dev>
std::vector<std::byte> bytes_from_device(Ptr<const T, Dev> x, std::size_t count) {
  std::vector<std::byte> bytes(count * sizeof(T));
  ops::to_host(Dev{}, x, reinterpret_cast<T*>(bytes.data()), count);
  return bytes;
}
template <class T, class Dev>
void record_to_device(const io::TensorRecord& r, Ptr<T, Dev> y, std::size_t count,
                      std::vector<T>& staging) {
  const T* host = reinterpret_cast<const T*>(r.data.data());
  if (r.dtype != dtype_of<T>()) {
    staging.resize(count);
    if (r.dtype == io::Dtype::F32)
      copy_converted<float>(r.data, staging.data(), count);
    else
      copy_converted<double>(r.data, staging.data(), count);
    host = staging.data();
  }
  ops::from_host(Dev{}, host, y, count);
}

// The records save_weights writes, each key under `prefix` ("" for none).
template <class T, class Dev>
std::vector<io::TensorRecord> weight_records(const std::vector<TensorEntry<T, Dev>>& entries,
                                             const std::string& prefix) {
  std::vector<io::TensorRecord> records;
  records.reserve(entries.size());
  for (const auto& e : entries) {
    io::TensorRecord r{join_name(prefix, e.name), dtype_of<T>(), e.dims, {}};
    if (e.kind == TensorEntry<T, Dev>::Kind::counter) {
      r.dtype = io::Dtype::I64;
      r.data.resize(sizeof(std::int64_t));
      std::memcpy(r.data.data(), e.count, sizeof(std::int64_t));
    } else {
      r.data = bytes_from_device<T, Dev>(e.value, e.size());
    }
    records.push_back(std::move(r));
  }
  return records;
}
}  // namespace detail

template <class T, class Dev>
void save_weights(const std::vector<TensorEntry<T, Dev>>& entries, const std::string& path) {
  io::write_safetensors(path, detail::weight_records(entries, ""), {{"format", "pt"}});
}

// One model's tensors under a key prefix, for save_models. The values are copied to the host
// here, so the file is written in one go afterwards.
struct PrefixedWeights {
  template <class M>
  PrefixedWeights(const std::string& prefix, const M& model)
      : records(detail::weight_records(model.tensors(), prefix)) {}
  std::vector<io::TensorRecord> records;
};

// Several models in one safetensors file, each under its prefix, as a PyTorch user saves
// {**{"G." + k: v for k, v in G.state_dict().items()}, **{"D." + k: ...}}:
//   ts::save_models("gan.safetensors", {{"G", g}, {"D", d}});
// Read back with model.load(path, {.prefix = "G"}). One write (atomic, as write_safetensors is),
// so there is never a file with some of the models; two models under one prefix are an error.
inline void save_models(const std::string& path, std::initializer_list<PrefixedWeights> models) {
  std::vector<io::TensorRecord> records;
  for (const PrefixedWeights& m : models) records.insert(records.end(), m.records.begin(), m.records.end());
  io::write_safetensors(path, records, {{"format", "pt"}});
}

template <class T, class Dev>
LoadResult load_weights(const std::vector<TensorEntry<T, Dev>>& entries, const std::string& path,
                        const LoadOptions& options = {}) {
  using Entry = TensorEntry<T, Dev>;
  const io::SafetensorsFile file = io::read_safetensors(path);
  const std::string under = options.prefix.empty() ? "" : options.prefix + ".";
  auto key_of = [&](const Entry& e) { return under + e.name; };

  // Check everything first. A key both sides have must fit, strict or not (as in PyTorch).
  LoadResult result;
  std::vector<const io::TensorRecord*> found(entries.size(), nullptr);
  std::set<std::string> keys;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const Entry& e = entries[i];
    const std::string key = key_of(e);
    keys.insert(key);
    auto it = file.tensors.find(key);
    if (it == file.tensors.end()) {
      result.missing_keys.push_back(key);
      continue;
    }
    const io::TensorRecord& r = it->second;
    if (r.shape != e.dims)
      throw WeightsError(path, "tensor '" + key + "' has shape " + detail::dims_text(r.shape) +
                                   " but the model expects " + detail::dims_text(e.dims));
    const bool counter = e.kind == Entry::Kind::counter;
    const bool dtype_fits = counter ? r.dtype == io::Dtype::I64
                                    : (r.dtype == io::Dtype::F32 || r.dtype == io::Dtype::F64);
    if (!dtype_fits)
      throw WeightsError(path, "tensor '" + key + "' has dtype " +
                                   std::string(io::dtype_name(r.dtype)) + " but the model expects " +
                                   (counter ? "I64" : "F32 or F64"));
    found[i] = &r;
  }
  std::size_t considered = 0;  // the file's tensors under the prefix
  for (const auto& [name, record] : file.tensors) {
    if (!name.starts_with(under)) continue;
    ++considered;
    if (!keys.contains(name)) result.unexpected_keys.push_back(name);
  }
  if (options.strict && !result.missing_keys.empty()) {
    const auto& missing = result.missing_keys;
    std::string list;
    for (std::size_t i = 0; i < missing.size() && i < 8; ++i) list += (i ? ", '" : "'") + missing[i] + "'";
    if (missing.size() > 8) list += " and " + std::to_string(missing.size() - 8) + " more";
    throw WeightsError(path, "missing key" + std::string(missing.size() > 1 ? "s " : " ") + list +
                                 " (the file has " + std::to_string(considered) + " tensors" +
                                 (under.empty() ? "" : " under '" + under + "'") + ")");
  }
  if (options.strict && !result.unexpected_keys.empty())
    throw WeightsError(path, "unexpected key '" + result.unexpected_keys.front() +
                                 "': the model has no tensor of that name");

  // Then copy, converting F32 <-> F64 where the file's precision differs from the model's.
  std::vector<T> staging;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const Entry& e = entries[i];
    if (!found[i]) continue;
    if (e.kind == Entry::Kind::counter)
      std::memcpy(e.count, found[i]->data.data(), sizeof(std::int64_t));
    else
      detail::record_to_device<T, Dev>(*found[i], e.value, e.size(), staging);
  }
  return result;
}

}  // namespace tessera
