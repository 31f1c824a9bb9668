// Weight clipping (tessera/train/clip.hpp): clamp_parameters over a model's parameter list, in
// float and double. Values inside the bounds keep their bits, values outside become the bounds
// exactly, NaN stays NaN; frozen parameters in the list are clamped, buffers are never reached; bad
// bounds and bad entries throw before anything changes.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "tessera/compose/sequential.hpp"
#include "tessera/layers/batch_norm1d.hpp"
#include "tessera/layers/linear.hpp"
#include "tessera/model.hpp"
#include "tessera/train/clip.hpp"

namespace ts = tessera;

namespace {

// 65,792 weights in the first layer: enough for the op's OpenMP path (over 32,768 elements) as
// well as its serial one (the small tensors).
using Net = ts::Sequential<ts::Linear<256>, ts::BatchNorm1d<>, ts::Linear<3>>;

template <class T>
bool same_bits(T a, T b) {
  return std::memcmp(&a, &b, sizeof(T)) == 0;
}

// Every value a model holds, parameters and buffers, in entry order.
template <class M>
auto snapshot(const M& model) {
  std::vector<std::remove_pointer_t<decltype(M::Entry::value)>> values;
  for (const auto& e : model.tensors())
    if (e.kind != M::Entry::Kind::counter)
      values.insert(values.end(), e.values().begin(), e.values().end());
  return values;
}

// Spreads the parameters over [-0.05, 0.05], so that about a fifth land inside [-0.01, 0.01], and
// puts a few values of interest at the start of the first weight.
template <class T, class M>
void spread(M& model) {
  ts::Generator rng(3);
  for (auto* e : model.parameters())
    for (T& v : e->values()) v = T(rng.uniform(-0.05, 0.05));
  const std::vector<T> special{T(-0.01),
                               T(0.01),
                               T(-0.0),
                               T(0),
                               std::numeric_limits<T>::denorm_min(),
                               std::nextafter(T(0.01), T(1)),
                               std::nextafter(T(-0.01), T(-1)),
                               std::numeric_limits<T>::infinity(),
                               -std::numeric_limits<T>::infinity()};
  std::copy(special.begin(), special.end(), model.parameters()[0]->values().begin());
}

}  // namespace

TEMPLATE_TEST_CASE("clamp_parameters: inside keeps its bits, outside becomes the bounds exactly",
                   "", float, double) {
  using T = TestType;
  ts::Model<Net, ts::Shape<256>, ts::Cpu, T> net(1);
  spread<T>(net);
  const auto before = snapshot(net);
  ts::clamp_parameters(net.parameters(), -0.01, 0.01);
  const auto after = snapshot(net);
  REQUIRE(after.size() == before.size());

  const T low = T(-0.01), high = T(0.01);
  std::size_t i = 0, inside = 0, outside = 0;
  for (const auto& e : net.tensors()) {
    if (e.kind == ts::TensorEntry<T>::Kind::counter) continue;
    for (std::size_t j = 0; j < e.size(); ++j, ++i) {
      if (e.kind == ts::TensorEntry<T>::Kind::buffer) {
        // BatchNorm's running mean and variance (1.0, far outside) are not parameters.
        REQUIRE(same_bits(after[i], before[i]));
      } else if (before[i] < low) {
        REQUIRE(same_bits(after[i], low));
        ++outside;
      } else if (before[i] > high) {
        REQUIRE(same_bits(after[i], high));
        ++outside;
      } else {
        REQUIRE(same_bits(after[i], before[i]));  // -0.0 stays -0.0, a denormal stays itself
        ++inside;
      }
    }
  }
  CHECK(inside > 10000);
  CHECK(outside > 10000);
  // The values of interest: the bounds themselves, the next values beyond them, the infinities.
  const auto w = net.parameters()[0]->values();
  CHECK(same_bits(w[0], low));
  CHECK(same_bits(w[1], high));
  CHECK(same_bits(w[2], T(-0.0)));
  CHECK(same_bits(w[5], high));
  CHECK(same_bits(w[6], low));
  CHECK(same_bits(w[7], high));
  CHECK(same_bits(w[8], low));
}

TEMPLATE_TEST_CASE("clamp_parameters: NaN stays NaN, as in torch.clamp_", "", float, double) {
  using T = TestType;
  ts::Model<Net, ts::Shape<256>, ts::Cpu, T> net(1);
  auto* last = net.parameters().back();
  last->values()[0] = std::numeric_limits<T>::quiet_NaN();
  last->values()[1] = T(5);
  ts::clamp_parameters(net.parameters(), -1, 1);
  CHECK(std::isnan(last->values()[0]));
  CHECK(last->values()[1] == T(1));
}

TEST_CASE("clamp_parameters: every entry of the list is clamped, frozen ones included") {
  ts::Model<Net, ts::Shape<256>, ts::Cpu, float> net(1);
  const auto list = net.parameters();  // taken while all are trainable, as an optimizer takes it
  net.requires_grad(false, "0");       // then the first Linear is frozen
  REQUIRE(net.parameters().size() == list.size() - 2);
  for (auto* e : list)
    for (float& v : e->values()) v = 2.0f;
  ts::clamp_parameters(list, -0.5, 0.5);
  for (auto* e : list)
    for (float v : e->values()) REQUIRE(v == 0.5f);
  // A list without them leaves them alone.
  for (auto* e : list)
    for (float& v : e->values()) v = 2.0f;
  ts::clamp_parameters(net.parameters(), -0.5, 0.5);
  CHECK(list[0]->values()[0] == 2.0f);
  CHECK(list.back()->values()[0] == 0.5f);
}

TEST_CASE("clamp_parameters: bounds of one value, infinite bounds, an empty list") {
  ts::Model<Net, ts::Shape<256>, ts::Cpu, double> net(1);
  const auto before = snapshot(net);
  const double inf = std::numeric_limits<double>::infinity();
  ts::clamp_parameters(net.parameters(), -inf, inf);
  CHECK(snapshot(net) == before);
  ts::clamp_parameters(std::vector<ts::TensorEntry<double>*>{}, -1, 1);
  ts::clamp_parameters(net.parameters(), 0.25, 0.25);
  for (auto* e : net.parameters())
    for (double v : e->values()) REQUIRE(v == 0.25);
}

TEST_CASE(
    "clamp_parameters: bad bounds and bad entries throw, naming the function, and change nothing") {
  ts::Model<Net, ts::Shape<256>, ts::Cpu, float> net(1);
  for (auto* e : net.parameters())
    for (float& v : e->values()) v = 3.0f;
  const auto before = snapshot(net);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  using Catch::Contains;
  CHECK_THROWS_MATCHES(ts::clamp_parameters(net.parameters(), 0.01, -0.01), std::invalid_argument,
                       Catch::Matchers::Message(
                           "tessera::clamp_parameters: the bounds [0.010000, -0.010000] are not an "
                           "interval (low must be at most high, neither NaN)"));
  CHECK_THROWS_WITH(ts::clamp_parameters(net.parameters(), nan, 0.01),
                    Contains("tessera::clamp_parameters") && Contains("nan"));
  CHECK_THROWS_WITH(ts::clamp_parameters(net.parameters(), -0.01, nan),
                    Contains("tessera::clamp_parameters") && Contains("nan"));

  // BatchNorm's running mean: a buffer, which no parameter list holds.
  auto list = net.parameters();
  ts::TensorEntry<float> buffer = net.tensors()[4];
  REQUIRE(buffer.name == "1.running_mean");
  list.push_back(&buffer);
  CHECK_THROWS_WITH(ts::clamp_parameters(list, -0.01, 0.01),
                    Contains("tessera::clamp_parameters") && Contains("'1.running_mean'") &&
                        Contains("not a parameter"));
  list.back() = nullptr;
  CHECK_THROWS_WITH(ts::clamp_parameters(list, -0.01, 0.01),
                    Contains("tessera::clamp_parameters") && Contains("null entry"));
  CHECK(snapshot(net) == before);
}
