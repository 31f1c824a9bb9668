// What every optimizer shares: its list of parameters, a step count per parameter, state buffers
// allocated once at construction (a step allocates nothing), zero_grad, and checkpointing that
// state as safetensors. Adam, SGD and RMSprop (one header each) add only their update rule, an op
// of ops/optim. Parameters and state live in device Dev's memory and only ops touch them; the step
// counts and hyperparameters stay on the host, and checkpoints cross over through ops::to_host and
// ops::from_host.
#pragma once

#include <cmath>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tessera/core/device.hpp"
#include "tessera/core/tensor_entry.hpp"
#include "tessera/io/file_error.hpp"
#include "tessera/io/safetensors.hpp"
#include "tessera/io/weights.hpp"
#include "tessera/ops/elementwise/elementwise.hpp"
#include "tessera/ops/optim/optim.hpp"

namespace tessera {

// An optimizer state file that does not fit the optimizer loading it. what() starts with the
// file's path, as WeightsError's does.
class OptimizerStateError : public io::FileError {
 public:
  using io::FileError::FileError;
};

// Several models' parameters as one list, for one optimizer: CycleGAN's G and F share one Adam.
//   ts::Adam<float> adam(ts::join_parameters(g.parameters(), f.parameters()), {.lr = 2e-4});
template <class T, class Dev, class... More>
  requires(std::same_as<More, std::vector<TensorEntry<T, Dev>*>> && ...)
std::vector<TensorEntry<T, Dev>*> join_parameters(std::vector<TensorEntry<T, Dev>*> first,
                                                  const More&... more) {
  (first.insert(first.end(), more.begin(), more.end()), ...);
  return first;
}

// The learning rate of an optimizer, as a schedule reaches it: every Optimizer<T, Dev> is one, so
// the schedulers (train/lr_scheduler.hpp) drive any optimizer without being templates themselves.
class LrControl {
 public:
  virtual double lr() const = 0;
  virtual void set_lr(double lr) = 0;

 protected:
  LrControl() = default;
  LrControl(const LrControl&) = default;
  LrControl& operator=(const LrControl&) = default;
  ~LrControl() = default;
};

template <class T, class Dev = Cpu>
class Optimizer : public LrControl {
 public:
  using Entry = TensorEntry<T, Dev>;

  virtual ~Optimizer() = default;
  // Two copies would update the same parameters from separate states: never what was meant.
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;
  Optimizer(Optimizer&&) = default;
  Optimizer& operator=(Optimizer&&) = default;

  // One update of every parameter whose requires_grad is set, from its gradient. A frozen
  // parameter is left alone and its step count and running averages pause, as PyTorch's do for a
  // parameter without a gradient.
  void step() {
    for (std::size_t i = 0; i < params_.size(); ++i) {
      if (!params_[i]->requires_grad) continue;
      ++steps_[i];
      update(i, steps_[i]);
    }
  }
  // Zeroes the gradients of this optimizer's parameters (and of no others: D's optimizer leaves
  // G's gradients alone).
  void zero_grad() {
    for (Entry* e : params_) ops::fill(Dev{}, e->grad, e->size(), T(0));
  }

  // For a learning-rate schedule (LrControl).
  double lr() const override = 0;
  void set_lr(double lr) override = 0;

  const std::vector<Entry*>& parameters() const { return params_; }
  // How many updates parameter i has had.
  std::int64_t step_count(std::size_t i) const { return steps_.at(i); }

  // The state as PyTorch's optimizer.state_dict() keeps it, flattened: "state.<i>.step" and
  // "state.<i>.<buffer>" ("exp_avg", "momentum_buffer", ...) for the i-th parameter of the list,
  // so keys stay unique when two models' lists are joined. The metadata names the optimizer and
  // each parameter ("parameter.<i>"), which load() checks. Hyperparameters are not saved: they
  // come from the code that constructs the optimizer.
  void save(const std::string& path) const {
    std::vector<io::TensorRecord> records;
    std::map<std::string, std::string> metadata{{"format", "tessera-optimizer"},
                                                {"optimizer", kind_}};
    for (std::size_t i = 0; i < params_.size(); ++i) {
      metadata["parameter." + std::to_string(i)] = params_[i]->name;
      io::TensorRecord step{
          key(i, "step"), io::Dtype::I64, {}, std::vector<std::byte>(sizeof(std::int64_t))};
      std::memcpy(step.data.data(), &steps_[i], sizeof(std::int64_t));
      records.push_back(std::move(step));
      for (std::size_t s = 0; s < slot_names_.size(); ++s) {
        records.push_back({key(i, slot_names_[s]), detail::dtype_of<T>(), params_[i]->dims,
                           detail::bytes_from_device<T, Dev>(state(s, i), params_[i]->size())});
      }
    }
    io::write_safetensors(path, records, metadata);
  }

  // The largest step count load() accepts. Adam raises its betas to the power of the step count
  // as a double, where every integer up to 2^53 is exact, and counting on from 2^53 cannot reach
  // int64's 2^63 in any run: at a million steps a second, 2^53 steps alone take 285 years.
  static constexpr std::int64_t max_step_count = std::int64_t(1) << 53;

  // All or nothing: the file must hold this kind of optimizer's state for the same parameters
  // (names and shapes, in the same order) with the same buffers, every step count in
  // [0, max_step_count] and every buffer finite (and >= 0 where the optimizer keeps squares), or
  // OptimizerStateError names the file and the tensor at fault and nothing changes. A damaged
  // state file must not reach step(): a negative count makes Adam divide by zero, and a NaN in a
  // buffer spreads to every weight it touches.
  void load(const std::string& path) {
    const io::SafetensorsFile file = io::read_safetensors(path);
    auto fail = [&](const std::string& problem) { throw OptimizerStateError(path, problem); };
    const auto kind = file.metadata.find("optimizer");
    if (kind == file.metadata.end())
      fail("not an optimizer state file (its metadata names no optimizer)");
    if (kind->second != kind_)
      fail("holds " + kind->second + " state, but this optimizer is " + kind_);

    std::size_t saved_parameters = 0;
    for (const auto& [k, v] : file.metadata) saved_parameters += k.starts_with("parameter.");
    if (saved_parameters != params_.size())
      fail("holds state for " + std::to_string(saved_parameters) +
           " parameters, but this optimizer has " + std::to_string(params_.size()));
    std::set<std::string> expected;
    for (std::size_t i = 0; i < params_.size(); ++i) {
      const Entry& p = *params_[i];
      const auto name = file.metadata.find("parameter." + std::to_string(i));
      if (name == file.metadata.end())
        fail("the metadata does not name parameter " + std::to_string(i));
      if (name->second != p.name)
        fail("parameter " + std::to_string(i) + " is '" + name->second + "' in the file but '" +
             p.name +
             "' in this optimizer (saved for another model, or with the parameters in another "
             "order?)");
      check_record(file, path, key(i, "step"), p, Dims{}, true);
      expected.insert(key(i, "step"));
      check_step(file, path, i);
      for (const std::string& slot : slot_names_) {
        check_record(file, path, key(i, slot), p, p.dims, false);
        expected.insert(key(i, slot));
        check_values(file, path, i, slot);
      }
    }
    for (const auto& [name, record] : file.tensors)
      if (!expected.contains(name))
        fail("unexpected tensor '" + name +
             "': this optimizer keeps no such state (saved with other options?)");

    std::vector<T> staging;
    for (std::size_t i = 0; i < params_.size(); ++i) {
      std::memcpy(&steps_[i], file.tensors.at(key(i, "step")).data.data(), sizeof(std::int64_t));
      for (std::size_t s = 0; s < slot_names_.size(); ++s)
        detail::record_to_device<T, Dev>(file.tensors.at(key(i, slot_names_[s])), state(s, i),
                                 params_[i]->size(), staging);
    }
  }

 protected:
  // `kind` names the optimizer in saved state; `slot_names` are its per-parameter buffers (each as
  // large as the parameters together), allocated here, zeroed.
  Optimizer(std::string kind, std::vector<Entry*> params, std::vector<std::string> slot_names)
      : kind_(std::move(kind)), params_(std::move(params)), slot_names_(std::move(slot_names)) {
    if (params_.empty())
      throw std::invalid_argument("tessera::" + kind_ +
                                  ": the parameter list is empty (is every parameter frozen?)");
    std::set<const Entry*> seen;
    std::size_t total = 0;
    for (const Entry* e : params_) {
      if (e == nullptr)
        throw std::invalid_argument("tessera::" + kind_ + ": a null entry in the parameter list");
      if (e->kind != Entry::Kind::parameter || e->value == nullptr || e->grad == nullptr)
        throw std::invalid_argument("tessera::" + kind_ + ": '" + e->name +
                                    "' is not a trainable parameter (a buffer or counter?)");
      if (!seen.insert(e).second)
        throw std::invalid_argument("tessera::" + kind_ + ": parameter '" + e->name +
                                    "' appears twice in the list (the same model joined twice?)");
      offsets_.push_back(total);
      total += e->size();
    }
    steps_.assign(params_.size(), 0);
    slots_.reserve(slot_names_.size());
    for (std::size_t s = 0; s < slot_names_.size(); ++s) {
      slots_.emplace_back(total);
      ops::fill(Dev{}, slots_.back().data(), total, T(0));
    }
  }

  // Updates parameter i for the step-th time (1 for its first update).
  virtual void update(std::size_t i, std::int64_t step) = 0;

  // Whether buffer `slot` holds a running average of squares, which load() requires to be >= 0
  // (its square root is taken).
  virtual bool holds_squares(std::string_view /*slot*/) const { return false; }

  Entry& parameter(std::size_t i) const { return *params_[i]; }
  // Buffer `slot` (an index into slot_names) of parameter i: as many elements as the parameter.
  Ptr<T, Dev> state(std::size_t slot, std::size_t i) { return slots_[slot].data() + offsets_[i]; }
  Ptr<const T, Dev> state(std::size_t slot, std::size_t i) const {
    return slots_[slot].data() + offsets_[i];
  }

  static void check_hyperparameter(const char* optimizer, const char* name, double value,
                                   bool valid) {
    if (!valid)
      throw std::invalid_argument(std::string("tessera::") + optimizer + ": invalid " + name + " " +
                                  std::to_string(value));
  }

 private:
  static std::string key(std::size_t i, std::string_view buffer) {
    return "state." + std::to_string(i) + "." + std::string(buffer);
  }

  // A step count is one I64; a buffer is F32 or F64 (converted to T, as weights are) shaped like
  // its parameter.
  static void check_record(const io::SafetensorsFile& file, const std::string& path,
                           const std::string& name, const Entry& p, const Dims& dims,
                           bool is_step) {
    const auto it = file.tensors.find(name);
    if (it == file.tensors.end())
      throw OptimizerStateError(
          path, "missing tensor '" + name + "' (state of parameter '" + p.name + "')");
    const io::TensorRecord& r = it->second;
    const bool dtype_fits = is_step ? r.dtype == io::Dtype::I64
                                    : (r.dtype == io::Dtype::F32 || r.dtype == io::Dtype::F64);
    if (!dtype_fits)
      throw OptimizerStateError(path, "tensor '" + name + "' has dtype " +
                                          std::string(io::dtype_name(r.dtype)) + " but should be " +
                                          (is_step ? "I64" : "F32 or F64"));
    if (r.shape != dims)
      throw OptimizerStateError(path, "tensor '" + name + "' has shape " +
                                          detail::dims_text(r.shape) + " but should have " +
                                          detail::dims_text(dims) + " (parameter '" + p.name +
                                          "' has shape " + detail::dims_text(p.dims) + ")");
  }

  // Parameter i's step count in the file (checked by check_record to be one I64).
  void check_step(const io::SafetensorsFile& file, const std::string& path,
                  std::size_t i) const {
    const std::string name = key(i, "step");
    std::int64_t step = 0;
    std::memcpy(&step, file.tensors.at(name).data.data(), sizeof step);
    if (step < 0 || step > max_step_count)
      throw OptimizerStateError(path, "tensor '" + name + "' (state of parameter '" +
                                          params_[i]->name + "') holds the step count " +
                                          std::to_string(step) +
                                          ", outside [0, 2^53] (a damaged or hand-edited file?)");
  }

  // Every element of parameter i's buffer `slot` in the file, as T: finite, and >= 0 for squares.
  void check_values(const io::SafetensorsFile& file, const std::string& path,
                    std::size_t i, const std::string& slot) const {
    const std::string name = key(i, slot);
    const io::TensorRecord& r = file.tensors.at(name);
    const bool squares = holds_squares(slot);
    for (std::size_t j = 0; j < params_[i]->size(); ++j) {
      const T v = r.dtype == io::Dtype::F32 ? T(stored<float>(r, j)) : T(stored<double>(r, j));
      const bool finite = std::isfinite(v);
      if (finite && !(squares && v < 0)) continue;
      throw OptimizerStateError(
          path,
          "tensor '" + name + "' (state of parameter '" + params_[i]->name + "') holds " +
              value_text(v) + " at element " + std::to_string(j) + ", but " + slot +
              (finite ? " is a running average of squares and must be >= 0" : " must be finite") +
              " (a damaged file, or state saved after training diverged?)");
    }
  }
  // The shortest text that reads back as v ("0.1", not float's 0.100000001490116).
  static std::string value_text(T v) {
    char text[32];
    for (int precision = 1; precision <= 17; ++precision) {
      std::snprintf(text, sizeof text, "%.*g", precision, double(v));
      if (T(std::strtod(text, nullptr)) == v) break;
    }
    return text;
  }
  // Element j of a record, as stored (little-endian, as copy_converted reads it too).
  template <class Scalar>
  static Scalar stored(const io::TensorRecord& r, std::size_t j) {
    Scalar v;
    std::memcpy(&v, r.data.data() + j * sizeof(Scalar), sizeof(Scalar));
    return v;
  }

  std::string kind_;
  std::vector<Entry*> params_;
  std::vector<std::string> slot_names_;
  std::vector<std::size_t> offsets_;   // of each parameter in every slot
  std::vector<std::int64_t> steps_;    // updates per parameter
  std::vector<Buffer<T, Dev>> slots_;  // one per slot name, every parameter's state end to end
};

}  // namespace tessera
