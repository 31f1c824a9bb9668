// Fuzzes Optimizer::load (via Adam<float>): io::read_safetensors, then the metadata checks
// (optimizer kind, parameter names and count), then each state tensor's name, dtype and shape,
// then the copies. Clean rejections: io::SafetensorsError (not safetensors) and
// tessera::OptimizerStateError (does not fit this optimizer). Anything else thrown, and any
// sanitizer report, is a failure; so is a rejected load that changed a step count (load is
// documented as all or nothing), and an accepted one with a negative step count. An accepted
// state is then used: one step(), as resuming training would.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_model.hpp"
#include "fuzz_support.hpp"
#include "tessera/train/adam.hpp"

namespace ts = tessera;
namespace fz = tessera::fuzz;

namespace {
constexpr const char* target = "fuzz_optimizer_state";

bool steps_all_zero(const ts::Adam<float>& adam) {
  for (std::size_t i = 0; i < adam.parameters().size(); ++i)
    if (adam.step_count(i) != 0) return false;
  return true;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const auto path = fz::scratch_file("optimizer.safetensors");
  static fz::FuzzModel model(1);
  static const fz::Snapshot initial(model);

  initial.restore(model);
  model.zero_grad();
  fz::write_input(path, data, size);
  // A fresh optimizer per input: its state starts at zero whatever the previous input loaded.
  ts::Adam<float> adam(model.parameters(), {.lr = 2e-4, .betas = {0.5, 0.999}});
  try {
    adam.load(path);
  } catch (const ts::io::SafetensorsError&) {
    if (!steps_all_zero(adam))
      fz::fail(target, "a rejected file (not safetensors) changed a step count");
    return 0;
  } catch (const ts::OptimizerStateError&) {
    if (!steps_all_zero(adam))
      fz::fail(target, "a rejected file (OptimizerStateError) changed a step count");
    return 0;
  } catch (const std::exception& e) {
    fz::unexpected_exception(target, e);
  } catch (...) {
    fz::unexpected_exception(target);
  }
  // Optimizer::load documents the step counts it accepts as non-negative (a negative one would
  // make Adam's bias correction divide by zero).
  for (std::size_t i = 0; i < adam.parameters().size(); ++i)
    if (adam.step_count(i) < 0)
      fz::fail(target, "accepted a negative step count for parameter " + std::to_string(i));
  try {
    adam.step();
  } catch (const std::exception& e) {
    fz::unexpected_exception(target, e);
  }
  return 0;
}
