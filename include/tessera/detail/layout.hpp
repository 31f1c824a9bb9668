// What a Model learns from one walk over its modules (module.visit): each parameter's and buffer's
// place in the model's blocks and its state_dict name (Layout), every module's path with the
// train/eval flags it governs (ModeTable), and the runtime scalars (ScalarTable).
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tessera/core/module.hpp"
#include "tessera/core/tensor_entry.hpp"

namespace tessera::detail {

// "'a', 'b', ..." for an error message: the first dozen of the paths a lookup could have named.
template <class Entries>
std::string known_paths(const Entries& entries) {
  std::string text;
  for (std::size_t i = 0; i < entries.size() && i < 12; ++i) text += (i ? ", '" : "'") + entries[i].path + "'";
  if (entries.size() > 12) text += ", ...";
  return text;
}

// The train/eval flag of every module, by path (PyTorch's module.training), and the Mode of each
// layer that reads one. Setting a path sets its whole subtree, as module.train(on) does.
class ModeTable {
 public:
  void add_module(std::string path) { modules_.push_back({std::move(path), true}); }
  void add_layer(std::string path, Mode& mode) { layers_.push_back({std::move(path), &mode}); }

  // `caller` names the Model method in the error for an unknown path.
  void set(bool on, std::string_view path, const char* caller) {
    find(path, caller);
    for (auto& m : modules_)
      if (under(m.path, path)) m.training = on;
    for (auto& l : layers_)
      if (under(l.path, path)) l.mode->training = on;
  }
  bool training(std::string_view path, const char* caller) const { return find(path, caller).training; }

 private:
  struct ModuleFlag {
    std::string path;
    bool training;
  };
  struct LayerMode {
    std::string path;
    Mode* mode;
  };
  // Whether `path` is `root` or lies below it ("0.3" below "0", not below "0.30"'s sibling "0.3x").
  static bool under(std::string_view path, std::string_view root) {
    return root.empty() || path == root ||
           (path.size() > root.size() && path.starts_with(root) && path[root.size()] == '.');
  }
  const ModuleFlag& find(std::string_view path, const char* caller) const {
    for (const auto& m : modules_)
      if (m.path == path) return m;
    throw std::invalid_argument(std::string("tessera::Model::") + caller + ": no submodule named '" +
                                std::string(path) + "'; the model's are " + known_paths(modules_) +
                                " (state_dict paths; '' is the whole model)");
  }
  std::vector<ModuleFlag> modules_;
  std::vector<LayerMode> layers_;
};

// The runtime scalars of a model's layers by path ("2.alpha"): values the training loop sets
// between steps (ProGAN's fade-in alpha), read by the layers in forward and backward.
class ScalarTable {
 public:
  void add(std::string path, double& value) { scalars_.push_back({std::move(path), &value}); }
  double& at(std::string_view path, const char* caller) const {
    for (const auto& s : scalars_)
      if (s.path == path) return *s.value;
    throw std::invalid_argument(std::string("tessera::Model::") + caller + ": no runtime scalar named '" +
                                std::string(path) + "'; " +
                                (scalars_.empty() ? std::string("the model has none")
                                                  : "the model's are " + known_paths(scalars_)));
  }

 private:
  struct Entry {
    std::string path;
    double* value;
  };
  std::vector<Entry> scalars_;
};

// "Conv2d" from "Conv2d(3, 64, ...)": a module's type as its description names it.
inline std::string layer_type(const std::string& description) {
  return description.substr(0, description.find('('));
}

// Gives each parameter, buffer and state its place in the model's blocks, in forward order, and
// records the module paths and modes.
template <class T, class Dev>
struct Layout {
  using Entry = TensorEntry<T, Dev>;
  Ptr<T, Dev> next_value;
  Ptr<T, Dev> next_grad;
  Ptr<T, Dev> next_buffer;
  Ptr<T, Dev> next_state;
  std::vector<Entry>& entries;
  ModeTable& modes;
  ScalarTable& scalars;
  std::string prefix;
  std::string layer;
  // What each child being visited changed and leave restores: the prefix's length before (a child
  // only appends to it) and the enclosing layer's type. Empty between visits.
  struct Outer {
    std::size_t prefix_size;
    std::string layer;
  };
  std::vector<Outer> outer = {};

  static std::size_t count(const Dims& dims) {
    std::size_t s = 1;
    for (auto d : dims) s *= std::size_t(d);
    return s;
  }
  void parameter(std::string_view name, Param<T, Dev>& p, Dims dims, Init init) {
    p.value = next_value;
    p.grad = next_grad;
    const std::size_t s = count(dims);
    next_value += s;
    next_grad += s;
    entries.push_back({join_name(prefix, name), Entry::Kind::parameter, std::move(dims), p.value,
                       p.grad, nullptr, init, layer});
  }
  void buffer(std::string_view name, Ptr<T, Dev>& b, Dims dims, Init init) {
    b = next_buffer;
    next_buffer += count(dims);
    entries.push_back({join_name(prefix, name), Entry::Kind::buffer, std::move(dims), b, nullptr,
                       nullptr, init, layer});
  }
  // Working memory that outlives a call but is not saved: no entry.
  void state(std::string_view, Ptr<T, Dev>& s, Dims dims) {
    s = next_state;
    next_state += count(dims);
  }
  void counter(std::string_view name, std::int64_t& c) {
    entries.push_back({join_name(prefix, name), Entry::Kind::counter, Dims{}, nullptr, nullptr, &c,
                       Init::zeros(), layer});
  }
  void mode(Mode& m) { modes.add_layer(prefix, m); }
  void scalar(std::string_view name, double& value) { scalars.add(join_name(prefix, name), value); }
  // Only the call to visit depends on the module; the rest is enter and leave, compiled once
  // rather than once per module type (docs/performance.md, "Compile time").
  template <class M>
  void child(std::string_view segment, M& m) {
    enter(segment, M::describe());
    m.visit(*this);
    leave();
  }

 private:
  void enter(std::string_view segment, const std::string& description) {
    outer.push_back({prefix.size(), std::move(layer)});
    prefix = join_name(prefix, segment);
    layer = layer_type(description);
    if (!segment.empty()) modes.add_module(prefix);
  }
  void leave() {
    prefix.resize(outer.back().prefix_size);
    layer = std::move(outer.back().layer);
    outer.pop_back();
  }
};

}  // namespace tessera::detail
