// Moving a Model: the moved-to model must be whole, whatever happens to the one it came from.
// BatchNorm's num_batches_tracked lives in the module while the tensor table points at it, and a
// convolution keeps a oneDNN plan, so each test trains a model with both after a move, saves,
// reloads and compares with a model that was never moved. (Before the fix, the table kept
// pointing into the moved-from module: a stale count, and a use-after-free once it was gone.)
#include <catch2/catch.hpp>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "../support/temp_dir.hpp"
#include "tessera/io/safetensors.hpp"
#include "tessera/tessera.hpp"
#include "tessera/train/adam.hpp"

namespace ts = tessera;

namespace {

using Net =
    ts::Sequential<ts::Conv2d<3, 3, 1, 1>, ts::BatchNorm2d<>, ts::ReLU, ts::Flatten, ts::Linear<2>>;
using M = ts::Model<Net, ts::Shape<2, 4, 4>>;
using Input = ts::Tensor<ts::Shape<2, 4, 4>>;

Input input(float offset) {
  Input x(3);
  for (std::size_t i = 0; i < std::size_t(3 * 32); ++i) x.data()[i] = float(i % 7) * 0.25f + offset;
  return x;
}

std::int64_t batches_tracked(const M& m) {
  for (const auto& e : m.tensors())
    if (e.name == "1.num_batches_tracked") return *e.count;
  FAIL("no num_batches_tracked");
  return -1;
}

std::vector<float> values_of(const M& m) {
  std::vector<float> out;
  for (const auto& e : m.tensors())
    if (e.kind != ts::TensorEntry<float>::Kind::counter)
      out.insert(out.end(), e.values().begin(), e.values().end());
  return out;
}

std::vector<float> output_of(M& m, const Input& x) {
  auto y = m.forward(x);
  return {y.data(), y.data() + y.size()};
}

// Two train-mode forwards, a save, a reload into a fresh model: the count and every value must
// come back, and the moved model must compute what `reference` (never moved, same history) does.
void check_trains_saves_and_loads(M& moved, M& reference, std::int64_t tracked_before) {
  for (float offset : {0.0f, 1.0f})
    CHECK(output_of(moved, input(offset)) == output_of(reference, input(offset)));
  CHECK(batches_tracked(moved) == tracked_before + 2);
  CHECK(values_of(moved) == values_of(reference));

  ts::testing::TempDir dir("tessera_model_move");
  const auto path = dir / "moved.safetensors";
  moved.save(path);
  const auto file = ts::io::read_safetensors(path);
  const auto& record = file.tensors.at("1.num_batches_tracked");
  std::int64_t saved = -1;
  std::memcpy(&saved, record.data.data(), sizeof saved);
  CHECK(saved == tracked_before + 2);

  M fresh(99);
  fresh.load(path);
  CHECK(batches_tracked(fresh) == tracked_before + 2);
  CHECK(values_of(fresh) == values_of(reference));

  // Loading writes through the table too: into the moved model's own counter.
  reference.save(dir / "reference.safetensors");
  M other(7);
  other.save(dir / "other.safetensors");
  moved.load(dir / "other.safetensors");
  CHECK(batches_tracked(moved) == 0);
  CHECK(values_of(moved) == values_of(other));
  moved.load(dir / "reference.safetensors");
  CHECK(batches_tracked(moved) == tracked_before + 2);
}

// Not NRVO-able (two candidates), so the result is moved out.
M make_trained(bool first) {
  M a(1), b(2);
  a.forward(input(0.5f));
  b.forward(input(0.5f));
  if (first) return a;
  return b;
}

}  // namespace

TEST_CASE("a move-constructed model is whole after its source is gone", "[core][move]") {
  M reference(1);
  reference.forward(input(0.5f));
  // On the heap, so that AddressSanitizer sees any pointer into it that outlives it.
  auto source = std::make_unique<M>(1);
  source->forward(input(0.5f));
  M moved(std::move(*source));
  source.reset();
  check_trains_saves_and_loads(moved, reference, 1);
}

TEST_CASE("a move-constructed model counts its own batches while the source lives",
          "[core][move]") {
  M source(1);
  M moved(std::move(source));
  moved.forward(input(0.0f));
  moved.forward(input(1.0f));
  CHECK(batches_tracked(moved) == 2);
}

TEST_CASE("a move-assigned model is whole after its source is gone", "[core][move]") {
  M reference(1);
  reference.forward(input(0.5f));
  M target(5);
  target.forward(input(2.0f));  // its own plans and arena, to be replaced
  auto source = std::make_unique<M>(1);
  source->forward(input(0.5f));
  target = std::move(*source);
  source.reset();
  check_trains_saves_and_loads(target, reference, 1);
}

TEST_CASE("a model returned from a function is whole", "[core][move]") {
  M reference(2);
  reference.forward(input(0.5f));
  M moved = make_trained(false);
  check_trains_saves_and_loads(moved, reference, 1);
}

TEST_CASE("models kept in a vector survive its reallocations", "[core][move]") {
  std::vector<M> models;
  for (std::uint64_t seed = 0; seed < 5; ++seed) {
    models.emplace_back(seed);
    models.back().forward(input(0.5f));
  }
  for (std::uint64_t seed = 0; seed < 5; ++seed) {
    M reference(seed);
    reference.forward(input(0.5f));
    check_trains_saves_and_loads(models[seed], reference, 1);
  }
}

TEST_CASE("an optimizer made before a move updates the moved model", "[core][move]") {
  M source(3), reference(3);
  ts::Adam<float> adam(source.parameters(), {.lr = 0.1});
  M moved(std::move(source));
  const auto before = values_of(moved);
  moved.forward(input(0.5f));
  std::vector<float> dy(3 * 2, 1.0f);
  moved.backward(ts::View<ts::Shape<2>, const float>(dy.data(), 3));
  adam.step();
  CHECK(values_of(moved) != before);
  CHECK(values_of(reference) == before);
}

TEST_CASE("a moved-from model says so, and takes a new model", "[core][move]") {
  M source(1);
  M moved(std::move(source));
  CHECK_THROWS_AS(source.forward(input(0.0f)), std::logic_error);
  ts::testing::TempDir dir("tessera_model_move");
  CHECK_THROWS_WITH(source.save(dir / "unused.safetensors"),
                    Catch::Matchers::Contains("moved from"));
  CHECK_FALSE(std::filesystem::exists(dir / "unused.safetensors"));
  source = M(1);
  M reference(1);
  CHECK(output_of(source, input(0.0f)) == output_of(reference, input(0.0f)));
  CHECK(batches_tracked(source) == 1);
}
