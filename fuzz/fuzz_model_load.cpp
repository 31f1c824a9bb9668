// Fuzzes Model::load (io::read_safetensors, then load_weights' checks against the model's names,
// shapes and dtypes, then the F32/F64/I64 copies) on a model with Conv2d, BatchNorm2d and Linear.
// Clean rejections: io::SafetensorsError (the file is not safetensors) and tessera::WeightsError
// (it does not fit the model). Anything else thrown, and any sanitizer report, is a failure; so
// is a rejected load that changed the model (load is documented as all or nothing). An accepted
// file is then run through predict() in eval mode, the use a loaded model is put to.
#include <cstddef>
#include <cstdint>

#include "fuzz_model.hpp"
#include "fuzz_support.hpp"
#include "tessera/io/weights.hpp"

namespace ts = tessera;
namespace fz = tessera::fuzz;

namespace {
constexpr const char* target = "fuzz_model_load";
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const auto path = fz::scratch_file("model.safetensors");
  static fz::FuzzModel model(1);
  static const fz::Snapshot initial(model);
  static ts::Tensor<fz::FuzzInput> x(1, 0.5f);

  initial.restore(model);
  fz::write_input(path, data, size);
  try {
    model.load(path);
  } catch (const ts::io::SafetensorsError&) {
    if (!initial.same_as(model))
      fz::fail(target, "a rejected file (not safetensors) changed the model");
    return 0;
  } catch (const ts::WeightsError&) {
    if (!initial.same_as(model))
      fz::fail(target, "a rejected file (WeightsError) changed the model");
    return 0;
  } catch (const std::exception& e) {
    fz::unexpected_exception(target, e);
  } catch (...) {
    fz::unexpected_exception(target);
  }
  try {
    model.eval();
    const auto y = model.predict(x);
    volatile float sink = y.data()[0];
    (void)sink;
  } catch (const std::exception& e) {
    fz::unexpected_exception(target, e);
  }
  return 0;
}
