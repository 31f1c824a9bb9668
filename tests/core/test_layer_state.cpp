// Persistent per-layer state that is neither a parameter nor an activation (a spectral norm's u
// and v, an EMA, a step counter): a layer declares it with v.buffer and v.counter, the model
// holds it in its buffer block, and the weights file keeps it under its state_dict name.
#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <tessera/tessera.hpp>

#include "../support/temp_dir.hpp"

namespace {

namespace ts = tessera;

// A test layer: y = x, and in training an exponential moving average of each feature's batch mean
// ("ema", F values, starting at 0) with `updates` counting the steps -- the shape of BatchNorm's
// running_mean without the normalisation. (Host loops: a test layer, not a library one.)
struct EmaTracker {
  template <class In>
  static constexpr auto check() {
    return ts::one_tensor_check<"EmaTracker takes one tensor", In>();
  }
  template <class In, class T, class Dev>
  struct Module : ts::ElementwiseModule<In, 0> {
    static constexpr std::size_t buffer_count = In::size;
    T* ema = nullptr;
    std::int64_t updates = 0;
    ts::Mode mode;

    static std::string describe() { return "EmaTracker()"; }
    template <class V>
    void visit(V& v) {
      v.buffer("ema", ema, {int(In::size)}, ts::Init::zeros());
      v.counter("updates", updates);
      v.mode(mode);
    }
    void forward(const T* x, T* y, ts::index n, T*, ts::Context<T>&) {
      for (std::size_t i = 0; i < std::size_t(n) * In::size; ++i) y[i] = x[i];
      if (!mode.training) return;
      for (std::size_t f = 0; f < In::size; ++f) {
        T mean = 0;
        for (ts::index s = 0; s < n; ++s) mean += x[std::size_t(s) * In::size + f];
        ema[f] = T(0.9) * ema[f] + T(0.1) * (mean / T(n));
      }
      ++updates;
    }
    void backward(const T*, const T*, const T* dy, T* dx, ts::index n, T*, ts::Context<T>&) {
      if (dx)
        for (std::size_t i = 0; i < std::size_t(n) * In::size; ++i) dx[i] = dy[i];
    }
  };
};

using Net = ts::Sequential<ts::Linear<2>, ts::Named<"tracker", EmaTracker>>;

std::vector<float> values_of(const ts::Model<Net, ts::Shape<3>>& model, const std::string& name) {
  for (const auto& e : model.tensors())
    if (e.name == name) return {e.value, e.value + e.size()};
  FAIL("no tensor " << name);
  return {};
}

}  // namespace

TEST_CASE("layer state: buffers and counters update, save, load and move under their names", "[core][state]") {
  static_assert(ts::Model<Net, ts::Shape<3>>::buffer_count == 2);
  ts::Model<Net, ts::Shape<3>> model(5);
  ts::Tensor<ts::Shape<3>> x(4);
  for (std::size_t i = 0; i < x.size(); ++i) x.data()[i] = float(i);

  // Three training steps: ema = (1 - 0.9^3) * the mean of y, which is the same every step.
  std::vector<float> mean(2, 0.0f);
  for (int step = 0; step < 3; ++step) {
    const auto y = model.forward(x);
    if (step == 0)
      for (ts::index s = 0; s < 4; ++s)
        for (int f = 0; f < 2; ++f) mean[std::size_t(f)] += y.at(s, f) / 4;
  }
  const auto ema = values_of(model, "tracker.ema");
  for (int f = 0; f < 2; ++f) CHECK(ema[std::size_t(f)] == Approx((1 - 0.729) * mean[std::size_t(f)]));

  // Evaluation leaves the state alone.
  model.eval("tracker");
  model.forward(x);
  CHECK(values_of(model, "tracker.ema") == ema);

  ts::testing::TempDir dir;
  const std::string path = (dir.path() / "state.safetensors").string();
  model.save(path);
  ts::Model<Net, ts::Shape<3>> other(99);
  other.load(path);
  CHECK(values_of(other, "tracker.ema") == ema);
  std::int64_t updates = -1;
  for (const auto& e : other.tensors())
    if (e.name == "tracker.updates") updates = *e.count;
  CHECK(updates == 3);

  // A moved model keeps its state and still updates it.
  ts::Model<Net, ts::Shape<3>> moved(std::move(other));
  moved.train();
  moved.forward(x);
  CHECK(values_of(moved, "tracker.ema") != ema);
  for (const auto& e : moved.tensors())
    if (e.name == "tracker.updates") CHECK(*e.count == 4);
}
