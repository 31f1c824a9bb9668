// Backward of the combinators, checked with finite differences (tests/support/gradcheck.hpp).
#include <catch2/catch.hpp>

#include "../support/gradcheck.hpp"

namespace ts = tessera;
using ts::testing::check_gradients;

TEST_CASE("Sequential of Linear and ReLU: gradients of input, weights and biases") {
  check_gradients<ts::Sequential<ts::Linear<5>, ts::ReLU, ts::Linear<3>, ts::ReLU, ts::Linear<2>>,
                  ts::Shape<4>>();
}

TEST_CASE("a Sequential nested in a Sequential") {
  check_gradients<ts::Sequential<ts::Linear<5>, ts::Sequential<ts::ReLU, ts::Linear<6>>, ts::Linear<2>>,
                  ts::Shape<3>>();
}

TEST_CASE("Residual adds the skip's gradient") {
  check_gradients<ts::Residual<ts::Sequential<ts::Linear<4>, ts::ReLU, ts::Linear<4>>>, ts::Shape<4>>();
}

TEST_CASE("Concat of branches sums the input gradients and splits the output gradient") {
  check_gradients<ts::Sequential<ts::Concat<ts::Identity, ts::Linear<3>, ts::Sequential<ts::Linear<2>, ts::ReLU>>,
                                 ts::Linear<2>>,
                  ts::Shape<4>>();
}

TEST_CASE("multi-input (Parallel + Cat) and multi-output (Heads) models") {
  using Net = ts::Sequential<ts::Parallel<ts::Linear<3>, ts::Identity>, ts::Cat, ts::Linear<4>,
                             ts::Heads<ts::Linear<2>, ts::Sequential<ts::ReLU, ts::Linear<3>>>>;
  check_gradients<Net, ts::Shapes<ts::Shape<2>, ts::Shape<5>>>();
}
