// Adam, SGD and RMSprop against PyTorch: each fixture (tests/fixtures/make_training_fixtures.py)
// holds three parameters, six steps of gradients and PyTorch's parameters after each step, for one
// option set; some steps leave a parameter without a gradient, which tessera expresses as
// requires_grad == false. Then checkpointing (save after three steps, load into a fresh optimizer,
// finish), the errors a state file can cause, optimizers over real models (frozen D, CycleGAN's
// G and F joined), and that a step allocates nothing.
#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <limits>
#include <memory>
#include <new>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "../support/fixtures.hpp"
#include "tessera/compose/sequential.hpp"
#include "tessera/layers/linear.hpp"
#include "tessera/layers/relu.hpp"
#include "tessera/model.hpp"
#include "tessera/train/adam.hpp"
#include "tessera/train/loss.hpp"
#include "tessera/train/rmsprop.hpp"
#include "tessera/train/sgd.hpp"

// Counts every allocation through operator new, to check that a step makes none.
namespace {
std::atomic<std::size_t> allocations{0};
}
// GCC cannot see that these news and deletes pair up through malloc and free.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void* operator new(std::size_t size) {
  ++allocations;
  if (void* p = std::malloc(size ? size : 1)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t size) {
  return operator new(size);
}
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  ++allocations;
  return std::malloc(size ? size : 1);
}
void* operator new[](std::size_t size, const std::nothrow_t& tag) noexcept {
  return operator new(size, tag);
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete[](void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}
void operator delete[](void* p, std::size_t) noexcept {
  std::free(p);
}
void operator delete(void* p, const std::nothrow_t&) noexcept {
  std::free(p);
}
void operator delete[](void* p, const std::nothrow_t&) noexcept {
  std::free(p);
}
#pragma GCC diagnostic pop

namespace ts = tessera;
using ts::testing::check_close;
using ts::testing::fixture_integers;
using ts::testing::fixture_scalar;
using ts::testing::fixture_values;

namespace {

constexpr int fixture_steps = 6, fixture_parameters = 3;

// Double must agree with PyTorch to 1e-6 (it does to ~1e-15); float's rounding over six steps
// stays within a few units in its last place.
template <class T>
constexpr double tolerance = std::is_same_v<T, float> ? 1e-6 : 1e-12;

// Parameters outside any model: values and gradients in plain vectors, listed as a model lists
// them. The entries point into the vectors, so those are only ever assigned element by element.
template <class T>
struct LooseParameters {
  std::vector<std::vector<T>> values, grads;
  std::vector<ts::TensorEntry<T>> entries;

  LooseParameters(const std::vector<ts::Dims>& shapes, const std::vector<std::string>& names) {
    for (const auto& dims : shapes) {
      std::size_t size = 1;
      for (auto d : dims) size *= std::size_t(d);
      values.emplace_back(size, T(0));
      grads.emplace_back(size, T(0));
    }
    for (std::size_t j = 0; j < shapes.size(); ++j)
      entries.push_back({names[j], ts::TensorEntry<T>::Kind::parameter, shapes[j], values[j].data(),
                         grads[j].data(), nullptr, ts::Init::zeros(), "Linear"});
  }
  LooseParameters(const LooseParameters&) = delete;

  static void set(std::vector<T>& into, const std::vector<T>& from) {
    REQUIRE(into.size() == from.size());
    std::copy(from.begin(), from.end(), into.begin());
  }
  std::vector<ts::TensorEntry<T>*> list() {
    std::vector<ts::TensorEntry<T>*> out;
    for (auto& e : entries) out.push_back(&e);
    return out;
  }
};

const std::vector<std::string> fixture_names{"0.weight", "0.bias", "1.weight"};

template <class T>
std::vector<ts::Dims> fixture_shapes(const ts::io::SafetensorsFile& file) {
  std::vector<ts::Dims> shapes;
  for (int j = 0; j < fixture_parameters; ++j)
    shapes.push_back(ts::testing::fixture_record(file, "initial." + std::to_string(j)).shape);
  return shapes;
}

template <class T>
void set_initial_values(const ts::io::SafetensorsFile& file, LooseParameters<T>& p) {
  for (int j = 0; j < fixture_parameters; ++j)
    p.set(p.values[j], fixture_values<T>(file, "initial." + std::to_string(j)));
}

// The optimizer the fixture's case name and "option.*" tensors describe.
template <class T>
std::unique_ptr<ts::Optimizer<T>> make_optimizer(const std::string& case_name,
                                                 const ts::io::SafetensorsFile& file,
                                                 std::vector<ts::TensorEntry<T>*> parameters) {
  auto option = [&](const char* name) {
    return fixture_scalar(file, std::string("option.") + name);
  };
  if (case_name.starts_with("optim_adam"))
    return std::make_unique<ts::Adam<T>>(
        parameters, ts::AdamOptions{.lr = option("lr"),
                                    .betas = {option("beta1"), option("beta2")},
                                    .eps = option("eps"),
                                    .weight_decay = option("weight_decay")});
  if (case_name.starts_with("optim_sgd"))
    return std::make_unique<ts::SGD<T>>(parameters,
                                        ts::SGDOptions{.lr = option("lr"),
                                                       .momentum = option("momentum"),
                                                       .dampening = option("dampening"),
                                                       .nesterov = option("nesterov") != 0,
                                                       .weight_decay = option("weight_decay")});
  REQUIRE(case_name.starts_with("optim_rmsprop"));
  return std::make_unique<ts::RMSprop<T>>(
      parameters, ts::RMSpropOptions{.lr = option("lr"),
                                     .alpha = option("alpha"),
                                     .eps = option("eps"),
                                     .momentum = option("momentum"),
                                     .centered = option("centered") != 0,
                                     .weight_decay = option("weight_decay")});
}

// Steps [first, last) of the fixture: gradients in, frozen flags set, step, compare with PyTorch.
template <class T>
void run_steps(const ts::io::SafetensorsFile& file, LooseParameters<T>& p,
               ts::Optimizer<T>& optimizer, int first, int last) {
  for (int k = first; k < last; ++k) {
    const std::vector<std::int64_t> frozen = fixture_integers(file, "frozen." + std::to_string(k));
    for (int j = 0; j < fixture_parameters; ++j) {
      const std::string at = std::to_string(k) + "." + std::to_string(j);
      p.set(p.grads[j], fixture_values<T>(file, "grad." + at));
      p.entries[j].requires_grad = frozen[j] == 0;
    }
    optimizer.step();
    for (int j = 0; j < fixture_parameters; ++j) {
      const std::string at = std::to_string(k) + "." + std::to_string(j);
      check_close("step " + std::to_string(k) + ", parameter " + std::to_string(j),
                  p.values[j].data(), fixture_values<double>(file, "after." + at), tolerance<T>,
                  tolerance<T>);
    }
  }
}

const char* const optimizer_cases[] = {"optim_adam_default",
                                       "optim_adam_gan",
                                       "optim_adam_weight_decay",
                                       "optim_sgd_plain",
                                       "optim_sgd_momentum",
                                       "optim_sgd_dampening_weight_decay",
                                       "optim_sgd_nesterov",
                                       "optim_rmsprop_default",
                                       "optim_rmsprop_momentum_weight_decay",
                                       "optim_rmsprop_centered",
                                       "optim_rmsprop_centered_momentum"};

std::filesystem::path temporary_file(const std::string& name) {
  return std::filesystem::temp_directory_path() /
         ("tessera_test_optimizers_" + name + ".safetensors");
}

}  // namespace

TEMPLATE_TEST_CASE("Optimizers reproduce PyTorch's updates step by step", "[train][optimizer]",
                   float, double) {
  using T = TestType;
  for (const std::string case_name : optimizer_cases) {
    INFO("case " << case_name << " (" << (std::is_same_v<T, float> ? "float" : "double") << ")");
    const auto file = ts::testing::training_fixture(case_name);
    LooseParameters<T> p(fixture_shapes<T>(file), fixture_names);
    set_initial_values(file, p);
    auto optimizer = make_optimizer<T>(case_name, file, p.list());
    run_steps(file, p, *optimizer, 0, fixture_steps);
  }
}

TEMPLATE_TEST_CASE(
    "Optimizer state saved mid-run and loaded into a fresh optimizer finishes the run as PyTorch",
    "[train][optimizer]", float, double) {
  using T = TestType;
  for (const std::string case_name : optimizer_cases) {
    INFO("case " << case_name);
    const auto file = ts::testing::training_fixture(case_name);
    LooseParameters<T> p(fixture_shapes<T>(file), fixture_names);
    set_initial_values(file, p);
    const auto path = temporary_file(case_name);
    {
      auto first = make_optimizer<T>(case_name, file, p.list());
      run_steps(file, p, *first, 0, 3);
      first->save(path);
    }
    auto resumed = make_optimizer<T>(case_name, file, p.list());
    resumed->load(path);
    std::filesystem::remove(path);
    run_steps(file, p, *resumed, 3, fixture_steps);
  }
}

TEST_CASE("The state file names its parameters and keeps PyTorch's buffer names",
          "[train][optimizer]") {
  LooseParameters<float> p({{2, 3}, {2}}, {"0.weight", "0.bias"});
  ts::SGD<float> sgd(p.list(), {.lr = 0.1, .momentum = 0.9});
  std::fill(p.grads[0].begin(), p.grads[0].end(), 1.0f);
  p.entries[1].requires_grad = false;
  sgd.step();
  const auto path = temporary_file("names");
  sgd.save(path);
  const auto file = ts::io::read_safetensors(path);
  std::filesystem::remove(path);
  CHECK(file.metadata.at("optimizer") == "SGD");
  CHECK(file.metadata.at("parameter.0") == "0.weight");
  CHECK(file.metadata.at("parameter.1") == "0.bias");
  CHECK(file.tensors.size() == 4);
  CHECK(file.tensors.at("state.0.momentum_buffer").shape == ts::Dims{2, 3});
  CHECK(fixture_integers(file, "state.0.step") == std::vector<std::int64_t>{1});
  CHECK(fixture_integers(file, "state.1.step") == std::vector<std::int64_t>{0});
  CHECK(sgd.step_count(0) == 1);
  CHECK(sgd.step_count(1) == 0);
}

TEST_CASE(
    "Loading state that does not fit throws OptimizerStateError naming the file and the tensor",
    "[train][optimizer]") {
  LooseParameters<float> p({{2, 3}, {2}}, {"0.weight", "0.bias"});
  const auto path = temporary_file("errors");
  ts::Adam<float>(p.list()).save(path);
  const std::string file = path.string();

  SECTION("another optimizer's state") {
    ts::SGD<float> sgd(p.list(), {.lr = 0.1, .momentum = 0.9});
    CHECK_THROWS_AS(sgd.load(path), ts::OptimizerStateError);
    CHECK_THROWS_WITH(sgd.load(path), Catch::StartsWith(file) &&
                                          Catch::Contains("holds Adam state") &&
                                          Catch::Contains("this optimizer is SGD"));
  }
  SECTION("a parameter of another name") {
    LooseParameters<float> q({{2, 3}, {2}}, {"0.weight", "1.bias"});
    ts::Adam<float> adam(q.list());
    CHECK_THROWS_WITH(adam.load(path), Catch::StartsWith(file) &&
                                           Catch::Contains("parameter 1 is '0.bias' in the file") &&
                                           Catch::Contains("'1.bias' in this optimizer"));
  }
  SECTION("a parameter of another shape") {
    LooseParameters<float> q({{3, 2}, {2}}, {"0.weight", "0.bias"});
    ts::Adam<float> adam(q.list());
    CHECK_THROWS_WITH(adam.load(path),
                      Catch::StartsWith(file) && Catch::Contains("'state.0.exp_avg'") &&
                          Catch::Contains("shape [2, 3]") && Catch::Contains("should have [3, 2]"));
  }
  SECTION("another number of parameters") {
    LooseParameters<float> q({{2, 3}}, {"0.weight"});
    ts::Adam<float> adam(q.list());
    CHECK_THROWS_WITH(adam.load(path),
                      Catch::Contains("state for 2 parameters") && Catch::Contains("has 1"));
  }
  SECTION("buffers of other options") {
    ts::SGD<float>(p.list(), {.lr = 0.1, .momentum = 0.9}).save(path);
    ts::SGD<float> plain(p.list(), {.lr = 0.1});
    CHECK_THROWS_WITH(plain.load(path),
                      Catch::Contains("unexpected tensor 'state.0.momentum_buffer'"));
    ts::SGD<float>(p.list(), {.lr = 0.1}).save(path);
    ts::SGD<float> with_momentum(p.list(), {.lr = 0.1, .momentum = 0.9});
    CHECK_THROWS_WITH(with_momentum.load(path),
                      Catch::Contains("missing tensor 'state.0.momentum_buffer'") &&
                          Catch::Contains("parameter '0.weight'"));
  }
  SECTION("model weights instead of optimizer state") {
    ts::Model<ts::Sequential<ts::Linear<2>>, ts::Shape<3>> net;
    net.save(path);
    ts::Adam<float> adam(p.list());
    CHECK_THROWS_WITH(adam.load(path), Catch::Contains("not an optimizer state file"));
  }
  SECTION("nothing changes when loading fails") {
    // The file's first parameter fits; its second does not, so the first keeps its state too.
    LooseParameters<float> q({{2, 3}, {3}}, {"0.weight", "0.bias"});
    ts::Adam<float> other(q.list());
    other.step();
    other.step();
    other.save(path);
    ts::Adam<float> adam(p.list());
    adam.step();
    CHECK_THROWS_WITH(adam.load(path), Catch::Contains("'state.1.exp_avg'"));
    CHECK(adam.step_count(0) == 1);
  }
  std::filesystem::remove(path);
}

namespace {
// Rewrites tensor `name` of a saved state file through `edit`, keeping every other tensor and the
// metadata: a state file damaged in exactly one field.
void edit_state(const std::filesystem::path& path, const std::string& name,
                const std::function<void(ts::io::TensorRecord&)>& edit) {
  ts::io::SafetensorsFile file = ts::io::read_safetensors(path);
  std::vector<ts::io::TensorRecord> records;
  for (auto& [key, record] : file.tensors) {
    if (key == name) edit(record);
    records.push_back(std::move(record));
  }
  ts::io::write_safetensors(path, records, file.metadata);
}
void set_step(const std::filesystem::path& path, const std::string& name, std::int64_t step) {
  edit_state(path, name,
             [&](ts::io::TensorRecord& r) { std::memcpy(r.data.data(), &step, sizeof step); });
}
// Element j of a float (F32) buffer, or of a double one (F64) when F64 is set.
template <class Stored = float>
void set_element(const std::filesystem::path& path, const std::string& name, std::size_t j,
                 double value) {
  edit_state(path, name, [&](ts::io::TensorRecord& r) {
    if constexpr (std::is_same_v<Stored, double>) {
      r.dtype = ts::io::Dtype::F64;
      std::vector<std::byte> wide(r.data.size() * 2);
      for (std::size_t k = 0; k < r.data.size() / 4; ++k) {
        float f;
        std::memcpy(&f, r.data.data() + 4 * k, 4);
        const double d = f;
        std::memcpy(wide.data() + 8 * k, &d, 8);
      }
      r.data = std::move(wide);
    }
    const Stored v = Stored(value);
    std::memcpy(r.data.data() + j * sizeof(Stored), &v, sizeof v);
  });
}
}  // namespace

// Found by fuzzing --resume: a state file with a step count of INT64_MAX overflowed on the next
// step, -1 made Adam's bias correction 0 and every weight NaN, and a NaN buffer did the same.
TEST_CASE("Loading state with a bad value throws OptimizerStateError naming the file and the field",
          "[train][optimizer]") {
  LooseParameters<float> p({{2, 3}, {2}}, {"0.weight", "0.bias"});
  std::fill(p.grads[0].begin(), p.grads[0].end(), 0.5f);
  std::fill(p.grads[1].begin(), p.grads[1].end(), -0.5f);
  const auto path = temporary_file("bad_values");
  const std::string file = path.string();
  constexpr double nan = std::numeric_limits<double>::quiet_NaN();
  constexpr double inf = std::numeric_limits<double>::infinity();
  {
    ts::Adam<float> adam(p.list());
    adam.step();
    adam.save(path);
  }
  // What must happen for each damaged file: an error that starts with the path and names the
  // tensor, and an optimizer left as it was, whose next step keeps the weights finite.
  auto refused = [&](ts::Optimizer<float>& optimizer, const std::string& tensor,
                     const std::string& problem) {
    const auto before = p.values;
    const std::int64_t steps = optimizer.step_count(0);
    CHECK_THROWS_AS(optimizer.load(path), ts::OptimizerStateError);
    CHECK_THROWS_WITH(optimizer.load(path), Catch::StartsWith(file + ": ") &&
                                                Catch::Contains("'" + tensor + "'") &&
                                                Catch::Contains(problem));
    CHECK(optimizer.step_count(0) == steps);
    CHECK(p.values == before);
    optimizer.step();
    for (const auto& values : p.values)
      for (const float v : values) CHECK(std::isfinite(v));
  };

  SECTION("Adam: a negative step count") {
    set_step(path, "state.0.step", -1);
    ts::Adam<float> adam(p.list());
    refused(adam, "state.0.step", "step count -1, outside [0, 2^53]");
  }
  SECTION("Adam: a step count that overflows on the next step") {
    set_step(path, "state.1.step", std::numeric_limits<std::int64_t>::max());
    ts::Adam<float> adam(p.list());
    refused(adam, "state.1.step", "step count 9223372036854775807");
  }
  SECTION("Adam: one past 2^53; 2^53 itself loads") {
    set_step(path, "state.0.step", (std::int64_t(1) << 53) + 1);
    ts::Adam<float> adam(p.list());
    refused(adam, "state.0.step", "outside [0, 2^53]");
    set_step(path, "state.0.step", std::int64_t(1) << 53);
    adam.load(path);
    CHECK(adam.step_count(0) == std::int64_t(1) << 53);
    adam.step();
    CHECK(adam.step_count(0) == (std::int64_t(1) << 53) + 1);
    for (const float v : p.values[0]) CHECK(std::isfinite(v));
  }
  SECTION("Adam: NaN in exp_avg") {
    set_element(path, "state.0.exp_avg", 4, nan);
    ts::Adam<float> adam(p.list());
    refused(adam, "state.0.exp_avg", "nan at element 4, but exp_avg must be finite");
  }
  SECTION("Adam: infinity in exp_avg_sq") {
    set_element(path, "state.1.exp_avg_sq", 1, inf);
    ts::Adam<float> adam(p.list());
    refused(adam, "state.1.exp_avg_sq", "inf at element 1, but exp_avg_sq must be finite");
  }
  SECTION("Adam: a negative exp_avg_sq") {
    set_element(path, "state.0.exp_avg_sq", 0, -0.25);
    ts::Adam<float> adam(p.list());
    refused(adam, "state.0.exp_avg_sq",
            "-0.25 at element 0, but exp_avg_sq is a running average "
            "of squares and must be >= 0");
  }
  SECTION("Adam: an F64 value that overflows float") {
    set_element<double>(path, "state.0.exp_avg", 2, 1e300);
    ts::Adam<float> adam(p.list());
    refused(adam, "state.0.exp_avg", "inf at element 2");
  }
  SECTION("SGD: NaN in momentum_buffer; a negative one is fine") {
    ts::SGD<float>(p.list(), {.lr = 0.1, .momentum = 0.9}).save(path);
    set_element(path, "state.1.momentum_buffer", 1, -0.5);
    ts::SGD<float> sgd(p.list(), {.lr = 0.1, .momentum = 0.9});
    sgd.load(path);
    set_element(path, "state.1.momentum_buffer", 0, nan);
    refused(sgd, "state.1.momentum_buffer", "nan at element 0");
    set_step(path, "state.1.step", -5);
    set_element(path, "state.1.momentum_buffer", 0, 0);
    refused(sgd, "state.1.step", "step count -5");
  }
  SECTION("RMSprop: a negative square_avg; a negative grad_avg is fine") {
    const ts::RMSpropOptions centered{.lr = 0.01, .momentum = 0.5, .centered = true};
    ts::RMSprop<float>(p.list(), centered).save(path);
    set_element(path, "state.0.grad_avg", 3, -1e-3);
    ts::RMSprop<float> rmsprop(p.list(), centered);
    rmsprop.load(path);
    set_element(path, "state.0.square_avg", 5, -1e-3);
    refused(rmsprop, "state.0.square_avg", "must be >= 0");
    set_element(path, "state.0.square_avg", 5, 0);
    set_element(path, "state.0.momentum_buffer", 5, -inf);
    refused(rmsprop, "state.0.momentum_buffer", "-inf at element 5");
  }
  std::filesystem::remove(path);
}

TEST_CASE("Optimizers refuse bad parameter lists and hyperparameters", "[train][optimizer]") {
  LooseParameters<float> p({{2, 3}, {2}}, {"0.weight", "0.bias"});
  CHECK_THROWS_WITH(ts::Adam<float>({}), Catch::Contains("empty"));
  CHECK_THROWS_WITH(ts::Adam<float>(ts::join_parameters(p.list(), p.list())),
                    Catch::Contains("'0.weight' appears twice"));
  CHECK_THROWS_WITH(ts::SGD<float>(p.list(), {.lr = 0.1, .dampening = 0.5, .nesterov = true}),
                    Catch::Contains("Nesterov"));
  CHECK_THROWS_WITH(ts::RMSprop<float>(p.list(), {.lr = -1}), Catch::Contains("invalid lr"));
  CHECK_THROWS_WITH(ts::Adam<float>(p.list(), {.betas = {1.0, 0.999}}),
                    Catch::Contains("invalid beta1"));
  p.entries[1].kind = ts::TensorEntry<float>::Kind::buffer;
  CHECK_THROWS_WITH(ts::SGD<float>(p.list()),
                    Catch::Contains("'0.bias' is not a trainable parameter"));
}

TEST_CASE("One optimizer over G and F joined; D's optimizer leaves frozen D alone",
          "[train][optimizer]") {
  using Net = ts::Sequential<ts::Linear<4>, ts::ReLU, ts::Linear<3>>;
  ts::Model<Net, ts::Shape<3>> g(1), f(2), d(3);
  auto joined = ts::join_parameters(g.parameters(), f.parameters());
  REQUIRE(joined.size() == 8);
  ts::Adam<float> adam(joined, {.lr = 0.1, .betas = {0.5, 0.999}});
  ts::Adam<float> d_adam(d.parameters(), {.lr = 0.1});

  std::vector<float> g_before(g.parameter_values().begin(), g.parameter_values().end());
  std::vector<float> f_before(f.parameter_values().begin(), f.parameter_values().end());
  std::vector<float> d_before(d.parameter_values().begin(), d.parameter_values().end());
  for (auto* grads : {&g, &f, &d})
    for (float& v : grads->parameter_grads()) v = 1;
  d.requires_grad(false);
  adam.step();
  d_adam.step();
  for (std::size_t i = 0; i < g_before.size(); ++i) {
    // Adam's first step moves every parameter by lr against the sign of its gradient.
    REQUIRE(g.parameter_values()[i] == Approx(g_before[i] - 0.1f).margin(1e-5));
    REQUIRE(f.parameter_values()[i] == Approx(f_before[i] - 0.1f).margin(1e-5));
    REQUIRE(d.parameter_values()[i] == d_before[i]);
  }
  CHECK(d_adam.step_count(0) == 0);

  // zero_grad touches only the optimizer's own parameters.
  d_adam.zero_grad();
  adam.zero_grad();
  for (float v : g.parameter_grads()) REQUIRE(v == 0);
  for (float v : f.parameter_grads()) REQUIRE(v == 0);
  ts::Model<Net, ts::Shape<3>> other(4);
  for (float& v : other.parameter_grads()) v = 1;
  ts::SGD<float> other_sgd(other.parameters(), {.lr = 0.1});
  adam.zero_grad();
  for (float v : other.parameter_grads()) REQUIRE(v == 1);

  // Both models' "0.weight" are in the joined state file, under distinct keys.
  const auto path = temporary_file("joined");
  adam.save(path);
  const auto file = ts::io::read_safetensors(path);
  CHECK(file.metadata.at("parameter.0") == "0.weight");
  CHECK(file.metadata.at("parameter.4") == "0.weight");
  CHECK(file.tensors.count("state.0.exp_avg") == 1);
  CHECK(file.tensors.count("state.4.exp_avg") == 1);
  ts::Adam<float> resumed(ts::join_parameters(g.parameters(), f.parameters()), {.lr = 0.1});
  resumed.load(path);
  CHECK(resumed.step_count(7) == 1);
  std::filesystem::remove(path);
}

TEST_CASE("A step allocates nothing", "[train][optimizer]") {
  ts::Model<ts::Sequential<ts::Linear<64>, ts::ReLU, ts::Linear<8>>, ts::Shape<32>> net;
  for (float& v : net.parameter_grads()) v = 0.5f;
  ts::Adam<float> adam(net.parameters());
  ts::SGD<float> sgd(net.parameters(), {.lr = 0.1, .momentum = 0.9, .nesterov = true});
  ts::RMSprop<float> rmsprop(net.parameters(), {.momentum = 0.5, .centered = true});
  for (ts::Optimizer<float>* optimizer :
       std::initializer_list<ts::Optimizer<float>*>{&adam, &sgd, &rmsprop}) {
    optimizer->step();  // OpenMP may set itself up on first use
    const std::size_t before = allocations.load();
    optimizer->step();
    optimizer->zero_grad();
    optimizer->step();
    CHECK(allocations.load() == before);
  }
}

TEST_CASE("set_lr changes the learning rate of the next step", "[train][optimizer]") {
  LooseParameters<double> p({{1}}, {"w"});
  ts::SGD<double> sgd(p.list(), {.lr = 0.1});
  p.grads[0][0] = 1;
  sgd.step();
  CHECK(p.values[0][0] == Approx(-0.1));
  ts::Optimizer<double>& optimizer = sgd;
  optimizer.set_lr(0.01);
  CHECK(optimizer.lr() == 0.01);
  sgd.step();
  CHECK(p.values[0][0] == Approx(-0.11));
}

TEST_CASE("Loss, backward and Adam together fit a small network", "[train][optimizer]") {
  // y = sum of sines of the inputs, 64 samples, a 4-16-1 network: the mean squared error must
  // fall at least tenfold in 300 steps.
  ts::Model<ts::Sequential<ts::Linear<16>, ts::ReLU, ts::Linear<1>>, ts::Shape<4>, ts::Cpu, double>
      net(3);
  ts::Generator rng(5);
  ts::Tensor<ts::Shape<4>, double> x(64);
  ts::Tensor<ts::Shape<1>, double> y(64), dy(64);
  for (double& v : x.span()) v = rng.uniform(-1, 1);
  for (ts::index s = 0; s < 64; ++s)
    y.at(s, 0) = std::sin(2 * x.at(s, 0)) + std::sin(x.at(s, 1)) - x.at(s, 2) * x.at(s, 3);
  ts::Adam<double> adam(net.parameters(), {.lr = 1e-2});
  double first = 0, last = 0;
  for (int step = 0; step < 300; ++step) {
    adam.zero_grad();
    last = ts::mse_loss(net.forward(x), y, dy);
    if (step == 0) first = last;
    net.backward(dy);
    adam.step();
  }
  INFO("loss " << first << " -> " << last);
  CHECK(last < first / 10);
}

TEST_CASE("An optimizer moves with its state", "[train][optimizer]") {
  LooseParameters<double> p({{1}}, {"w"});
  ts::SGD<double> first(p.list(), {.lr = 0.1, .momentum = 0.5});
  p.grads[0][0] = 1;
  first.step();  // buffer 1, w = -0.1
  ts::SGD<double> moved = std::move(first);
  moved.step();  // buffer 1.5, w = -0.25
  CHECK(p.values[0][0] == Approx(-0.25));
  CHECK(moved.step_count(0) == 2);
}
