// A model's named tensors (Model::tensors(), state_dict order) by name, for tests.
#pragma once

#include <catch2/catch.hpp>
#include <string>
#include <vector>

namespace tessera::testing {

// The entry of the tensor named `name`; fails the test when the model has none.
template <class M>
const auto& entry_named(const M& model, const std::string& name) {
  for (const auto& e : model.tensors())
    if (e.name == name) return e;
  FAIL("no tensor named " << name);
  return model.tensors().front();
}

// Every tensor's name, in order.
template <class M>
std::vector<std::string> names_of(const M& model) {
  std::vector<std::string> names;
  for (const auto& e : model.tensors()) names.push_back(e.name);
  return names;
}

}  // namespace tessera::testing
