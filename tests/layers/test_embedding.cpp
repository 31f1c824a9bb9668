// Embedding: lookups against the table set through model.tensors(), the output shapes for one
// label and for sequences, PyTorch's N(0, 1) initialisation, and the error for a bad index.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstddef>
#include <limits>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "tessera/compose/sequential.hpp"
#include "tessera/layers/embedding.hpp"
#include "tessera/layers/reshape.hpp"
#include "tessera/model.hpp"

namespace ts = tessera;
using Catch::Matchers::Contains;

namespace {

template <class T, class S>
ts::Tensor<S, T> tensor_of(const std::vector<double>& v) {
  return ts::Tensor<S, T>::from(std::vector<T>(v.begin(), v.end()));
}

// Row r of the table holds 10 r + column: a lookup shows which row it read.
template <class Model>
void number_rows(Model& model) {
  const auto& entry = model.tensors().at(0);
  REQUIRE(entry.dims.size() == 2);
  const auto dim = std::size_t(entry.dims[1]);
  auto values = entry.values();
  for (std::size_t i = 0; i < values.size(); ++i)
    values[i] = typename Model::scalar(10 * (i / dim) + i % dim);
}

}  // namespace

TEMPLATE_TEST_CASE("Embedding of one label per sample gives that row of the table", "[layers][embedding]",
                   float, double) {
  using T = TestType;
  using S = ts::Shape<1>;
  ts::Model<ts::Embedding<10, 4>, S, ts::Cpu, T> model;
  static_assert(model.output_shape == ts::Shape<4>{});
  static_assert(model.parameter_count == 40);
  REQUIRE(model.tensors().size() == 1);
  CHECK(model.tensors()[0].name == "weight");
  CHECK(model.tensors()[0].dims == ts::Dims{10, 4});
  number_rows(model);
  auto y = model.forward(tensor_of<T, S>({3, 0, 9, 3}));
  REQUIRE(y.batch() == 4);
  const int rows[4] = {3, 0, 9, 3};
  for (int s = 0; s < 4; ++s)
    for (int d = 0; d < 4; ++d) CHECK(y.at(s, d) == T(10 * rows[s] + d));
}

TEMPLATE_TEST_CASE("Embedding of a sequence of L labels gives Shape<L, Dim>", "[layers][embedding]", float,
                   double) {
  using T = TestType;
  using S = ts::Shape<3>;
  ts::Model<ts::Sequential<ts::Embedding<5, 2>, ts::Flatten>, S, ts::Cpu, T> model;
  static_assert(
      std::is_same_v<typename ts::bind_t<ts::Embedding<5, 2>, S, T, ts::Cpu>::output_shape, ts::Shape<3, 2>>);
  static_assert(model.output_shape == ts::Shape<6>{});
  CHECK(model.tensors()[0].name == "0.weight");
  number_rows(model);
  auto y = model.forward(tensor_of<T, S>({4, 1, 1, 0, 2, 3}));
  const double expected[2][6] = {{40, 41, 10, 11, 10, 11}, {0, 1, 20, 21, 30, 31}};
  for (int s = 0; s < 2; ++s)
    for (int i = 0; i < 6; ++i) CHECK(y.at(s, i) == T(expected[s][i]));
}

TEMPLATE_TEST_CASE("Embedding copies rows on large, many-threaded batches", "[layers][embedding]", float,
                   double) {
  using T = TestType;
  using S = ts::Shape<8>;
  ts::Model<ts::Embedding<100, 64>, S, ts::Cpu, T> model;
  number_rows(model);
  const int n = 100;  // 800 lookups of 64 values: above the threading threshold
  std::vector<double> labels(n * 8);
  for (std::size_t i = 0; i < labels.size(); ++i) labels[i] = double(i * 37 % 100);
  auto y = model.forward(tensor_of<T, S>(labels));
  bool ok = true;
  for (int s = 0; s < n; ++s)
    for (int l = 0; l < 8; ++l)
      for (int d = 0; d < 64; ++d) ok = ok && y.at(s, l, d) == T(10 * labels[std::size_t(s * 8 + l)] + d);
  CHECK(ok);
}

TEMPLATE_TEST_CASE("Embedding rejects indices that are not whole numbers in range, naming them",
                   "[layers][embedding]", float, double) {
  using T = TestType;
  using S = ts::Shape<1>;
  ts::Model<ts::Embedding<10, 4>, S, ts::Cpu, T> model;
  const auto forward = [&](double label) { return model.forward(tensor_of<T, S>({1, label})); };
  CHECK_THROWS_AS(forward(10), std::out_of_range);
  CHECK_THROWS_WITH(forward(10),
                    "tessera: Embedding: index 10 is out of range; indices are whole numbers in [0, 10)");
  CHECK_THROWS_WITH(forward(-1), Contains("Embedding") && Contains("-1") && Contains("[0, 10)"));
  CHECK_THROWS_WITH(forward(2.5), Contains("index 2.5 ") && Contains("[0, 10)"));
  CHECK_THROWS_AS(forward(std::numeric_limits<double>::quiet_NaN()), std::out_of_range);
  CHECK_THROWS_AS(forward(std::numeric_limits<double>::infinity()), std::out_of_range);
  CHECK_THROWS_WITH(forward(1e30), Contains("index 1e+30 "));
  CHECK_NOTHROW(forward(9));
  CHECK_NOTHROW(forward(0));
}

TEST_CASE("Embedding starts from N(0, 1), describes itself as PyTorch, and checks its input",
          "[layers][embedding]") {
  ts::Model<ts::Embedding<100, 100>, ts::Shape<1>> model(7);
  double sum = 0, squares = 0;
  for (float v : model.tensors()[0].values()) {
    sum += v;
    squares += double(v) * v;
  }
  const double mean = sum / 10000, variance = squares / 10000 - mean * mean;
  CHECK(std::fabs(mean) < 0.05);          // 5 standard errors
  CHECK(std::fabs(variance - 1) < 0.07);  // about 5 standard errors

  using M = ts::bind_t<ts::Embedding<10, 10>, ts::Shape<1>, float, ts::Cpu>;
  CHECK(M::describe() == "Embedding(10, 10)");
  static_assert(M::parameter_count == 100 && M::flops == 0 && M::keep_size == 0 && M::scratch_size == 0);
  static_assert(!ts::shape_ok<ts::Embedding<10, 4>, ts::Shape<2, 3>>);
  // One label per sample, PyTorch's (n,) labels, gives one embedding per sample.
  static_assert(ts::shape_ok<ts::Embedding<10, 4>, ts::Shape<>>);
  static_assert(std::is_same_v<ts::bind_t<ts::Embedding<10, 4>, ts::Shape<>, float, ts::Cpu>::output_shape, ts::Shape<4>>);
  static_assert(!ts::shape_ok<ts::Embedding<10, 4>, ts::Shapes<ts::Shape<1>, ts::Shape<1>>>);
}
