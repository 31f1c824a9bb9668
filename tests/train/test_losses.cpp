// The losses against PyTorch: each fixture (tests/fixtures/make_training_fixtures.py) holds inputs,
// targets, and PyTorch's value and input gradient for every reduction, including BCE's clamped
// edges, extreme logits and per-pixel cross-entropy. Then the errors a user can make (labels out of
// range, mismatched batches, probabilities outside [0, 1]), large batches that run on both cores
// against a plain loop, and a loss feeding a model's backward. Every loss runs again with a weight,
// against PyTorch's numbers times that weight (`w * F.mse_loss(...)`).
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "../support/fixtures.hpp"
#include "tessera/compose/sequential.hpp"
#include "tessera/layers/linear.hpp"
#include "tessera/model.hpp"
#include "tessera/train/loss.hpp"

namespace ts = tessera;
using ts::testing::check_close;
using ts::testing::fixture_integers;
using ts::testing::fixture_scalar;
using ts::testing::fixture_values;

namespace {

constexpr ts::Reduction reductions[] = {ts::Reduction::mean, ts::Reduction::sum,
                                        ts::Reduction::batch_mean};
const char* const reduction_names[] = {"mean", "sum", "batch_mean"};
// 1, and a weight whose product with every fixture number is inexact in float and double (and
// negative, as a WGAN's -mean D(real) term is), so that a weight applied twice, or not at all, or
// only to the value or the gradient, shows.
constexpr double weights[] = {1.0, -0.37};

std::vector<double> times(std::vector<double> values, double w) {
  for (double& v : values) v *= w;
  return values;
}

// The fixtures are float64; float reads them rounded, so its tolerance covers float's rounding of
// the inputs as well as its own arithmetic (measured: 6e-7 relative at worst). Double agrees with
// PyTorch to a few units in the last place.
template <class T>
constexpr double relative_tolerance = std::is_same_v<T, float> ? 1e-5 : 1e-13;
template <class T>
constexpr double absolute_tolerance = std::is_same_v<T, float> ? 1e-7 : 1e-16;

template <class S, class T>
ts::Tensor<S, T> tensor_of(std::vector<T> values) {
  return ts::Tensor<S, T>::from(std::move(values));
}

// loss(input, target, grad, reduction, weight) for a loss comparing element by element.
template <class S, class T, class Loss>
void check_elementwise(const std::string& case_name, Loss loss) {
  INFO("case " << case_name << " (" << (std::is_same_v<T, float> ? "float" : "double") << ")");
  const auto file = ts::testing::training_fixture(case_name);
  const auto input = tensor_of<S, T>(fixture_values<T>(file, "input"));
  const auto target = tensor_of<S, T>(fixture_values<T>(file, "target"));
  ts::Tensor<S, T> grad(input.batch());
  for (const double w : weights)
    for (int k = 0; k < 3; ++k) {
      const std::string r = reduction_names[k];
      INFO("reduction " << r << ", weight " << w);
      std::fill(grad.span().begin(), grad.span().end(), T(123));  // must be overwritten
      const T value = loss(input.view(), target.view(), grad.view(), reductions[k], w);
      check_close(r + ".value", &value, std::vector<double>{w * fixture_scalar(file, r + ".value")},
                  relative_tolerance<T>, absolute_tolerance<T>);
      check_close(r + ".grad", grad.data(), times(fixture_values<double>(file, r + ".grad"), w),
                  relative_tolerance<T>, absolute_tolerance<T>);
    }
}

template <class S, class T, class Loss>
void check_class_loss(const std::string& case_name, Loss loss) {
  INFO("case " << case_name << " (" << (std::is_same_v<T, float> ? "float" : "double") << ")");
  const auto file = ts::testing::training_fixture(case_name);
  const auto input = tensor_of<S, T>(fixture_values<T>(file, "input"));
  const std::vector<std::int64_t> labels = fixture_integers(file, "target");
  ts::Tensor<S, T> grad(input.batch());
  for (const double w : weights)
    for (int k = 0; k < 3; ++k) {
      const std::string r = reduction_names[k];
      INFO("reduction " << r << ", weight " << w);
      std::fill(grad.span().begin(), grad.span().end(), T(123));
      const T value = loss(input.view(), labels, grad.view(), reductions[k], w);
      check_close(r + ".value", &value, std::vector<double>{w * fixture_scalar(file, r + ".value")},
                  relative_tolerance<T>, absolute_tolerance<T>);
      check_close(r + ".grad", grad.data(), times(fixture_values<double>(file, r + ".grad"), w),
                  relative_tolerance<T>, absolute_tolerance<T>);
    }
}

}  // namespace

TEMPLATE_TEST_CASE("Element-wise losses match PyTorch's values and gradients for every reduction",
                   "[train][loss]", float, double) {
  using T = TestType;
  const auto bce = [](auto x, auto y, auto g, auto r, double w) {
    return ts::bce_loss(x, y, g, r, w);
  };
  const auto bce_logits = [](auto x, auto y, auto g, auto r, double w) {
    return ts::bce_with_logits_loss(x, y, g, r, w);
  };
  const auto mse = [](auto x, auto y, auto g, auto r, double w) {
    return ts::mse_loss(x, y, g, r, w);
  };
  const auto l1 = [](auto x, auto y, auto g, auto r, double w) {
    return ts::l1_loss(x, y, g, r, w);
  };
  // Probabilities of exactly 0 and 1 and below float's range: logs clamped at -100,
  // gradients of 1e12.
  SECTION("BCE") {
    check_elementwise<ts::Shape<6>, T>("loss_bce", bce);
  }
  // Logits of +-30, +-100, +-1000 and 88 (where float's exp overflows).
  SECTION("BCE with logits") {
    check_elementwise<ts::Shape<8>, T>("loss_bce_with_logits", bce_logits);
  }
  SECTION("MSE") {
    check_elementwise<ts::Shape<3, 4, 4>, T>("loss_mse", mse);
  }
  // With ties, whose gradient is 0.
  SECTION("L1") {
    check_elementwise<ts::Shape<10>, T>("loss_l1", l1);
  }
}

TEMPLATE_TEST_CASE("Class losses match PyTorch per sample and per pixel", "[train][loss]", float,
                   double) {
  using T = TestType;
  const auto cross_entropy = [](auto x, const auto& labels, auto g, auto r, double w) {
    return ts::cross_entropy_loss(x, labels, g, r, w);
  };
  const auto nll = [](auto x, const auto& labels, auto g, auto r, double w) {
    return ts::nll_loss(x, labels, g, r, w);
  };
  // Logits of +-1000 and a row of -1000 everywhere.
  SECTION("cross-entropy, Shape<C>") {
    check_class_loss<ts::Shape<5>, T>("loss_cross_entropy", cross_entropy);
  }
  SECTION("cross-entropy, Shape<C, H, W> against (N, H, W) labels") {
    check_class_loss<ts::Shape<3, 4, 5>, T>("loss_cross_entropy_2d", cross_entropy);
  }
  SECTION("NLL, Shape<C>") {
    check_class_loss<ts::Shape<5>, T>("loss_nll", nll);
  }
  SECTION("NLL, Shape<C, H, W>") {
    check_class_loss<ts::Shape<3, 4, 5>, T>("loss_nll_2d", nll);
  }
}

TEMPLATE_TEST_CASE("The VAE's KL term matches PyTorch for mu and logvar", "[train][loss]", float,
                   double) {
  using T = TestType;
  using S = ts::Shape<6>;
  const auto file = ts::testing::training_fixture("loss_vae_kl");
  const auto mu = tensor_of<S, T>(fixture_values<T>(file, "mu"));
  const auto logvar = tensor_of<S, T>(fixture_values<T>(file, "logvar"));
  ts::Tensor<S, T> grad_mu(mu.batch()), grad_logvar(mu.batch());
  for (const double w : weights)
    for (int k = 0; k < 3; ++k) {
      const std::string r = reduction_names[k];
      INFO("reduction " << r << ", weight " << w);
      const T value = ts::vae_kl_loss(mu.view(), logvar, grad_mu, grad_logvar, reductions[k], w);
      check_close(r + ".value", &value, std::vector<double>{w * fixture_scalar(file, r + ".value")},
                  relative_tolerance<T>, absolute_tolerance<T>);
      check_close(r + ".grad_mu", grad_mu.data(),
                  times(fixture_values<double>(file, r + ".grad_mu"), w), relative_tolerance<T>,
                  absolute_tolerance<T>);
      check_close(r + ".grad_logvar", grad_logvar.data(),
                  times(fixture_values<double>(file, r + ".grad_logvar"), w), relative_tolerance<T>,
                  absolute_tolerance<T>);
    }
}

TEST_CASE("A label outside the classes throws std::out_of_range naming the label and its position",
          "[train][loss]") {
  ts::Tensor<ts::Shape<5>> logits(3), grad(3);
  std::vector<std::int64_t> labels{0, 4, 5};
  CHECK_THROWS_AS(ts::cross_entropy_loss(logits.view(), labels, grad), std::out_of_range);
  CHECK_THROWS_WITH(
      ts::cross_entropy_loss(logits.view(), labels, grad),
      Catch::Contains("label 5") && Catch::Contains("position [2]") && Catch::Contains("[0, 5)"));
  labels = {0, -1, 2};
  CHECK_THROWS_WITH(ts::nll_loss(logits.view(), labels, grad), Catch::Contains("nll_loss") &&
                                                                   Catch::Contains("label -1") &&
                                                                   Catch::Contains("[1]"));

  // Per pixel: the position is (sample, h, w) of the (N, H, W) labels.
  ts::Tensor<ts::Shape<2, 3, 4>> pixels(2), pixel_grad(2);
  std::vector<std::int64_t> mask(2 * 3 * 4, 1);
  mask[12 + 4 * 2 + 3] = 2;
  CHECK_THROWS_AS(ts::cross_entropy_loss(pixels.view(), mask, pixel_grad), std::out_of_range);
  CHECK_THROWS_WITH(ts::cross_entropy_loss(pixels.view(), mask, pixel_grad),
                    Catch::Contains("label 2") && Catch::Contains("position [1, 2, 3]"));
}

TEST_CASE("Mismatched batches, label counts and probabilities are refused", "[train][loss]") {
  ts::Tensor<ts::Shape<4>> x(3, 0.5f), y(2), grad(3), short_grad(2);
  CHECK_THROWS_WITH(ts::mse_loss(x.view(), y, grad), Catch::Contains("mse_loss") &&
                                                         Catch::Contains("target's batch (2)") &&
                                                         Catch::Contains("input's (3)"));
  CHECK_THROWS_AS(ts::l1_loss(x.view(), x, short_grad), std::invalid_argument);
  CHECK_THROWS_AS(ts::vae_kl_loss(x.view(), y, grad, grad), std::invalid_argument);

  // One label per sample for Shape<C>, one per pixel for Shape<C, H, W>.
  const std::vector<std::int64_t> two_labels{0, 1};
  CHECK_THROWS_WITH(ts::cross_entropy_loss(x.view(), two_labels, grad),
                    Catch::Contains("2 labels") && Catch::Contains("expected 3"));
  ts::Tensor<ts::Shape<2, 2, 2>> pixels(1), pixel_grad(1);
  CHECK_THROWS_WITH(ts::cross_entropy_loss(pixels.view(), two_labels, pixel_grad),
                    Catch::Contains("expected 4 (one per sample and position)"));

  ts::Tensor<ts::Shape<4>> target(3, 1.0f);
  x[2] = 1.5f;
  CHECK_THROWS_WITH(ts::bce_loss(x.view(), target, grad),
                    Catch::Contains("input 1.5") && Catch::Contains("element 2"));
  x[2] = std::numeric_limits<float>::quiet_NaN();
  CHECK_THROWS_AS(ts::bce_loss(x.view(), target, grad), std::invalid_argument);

  // A weight must be a finite number; the message names the loss.
  ts::Tensor<ts::Shape<4>> ok(3, 0.5f);
  CHECK_THROWS_WITH(
      ts::mse_loss(ok.view(), target, grad, ts::Reduction::mean, std::nan("")),
      Catch::Contains("mse_loss") && Catch::Contains("weight") && Catch::Contains("finite"));
  const std::vector<std::int64_t> three_labels{0, 1, 3};
  CHECK_THROWS_WITH(ts::cross_entropy_loss(ok.view(), three_labels, grad, ts::Reduction::sum,
                                           std::numeric_limits<double>::infinity()),
                    Catch::Contains("cross_entropy_loss") && Catch::Contains("weight"));
}

TEST_CASE("Large batches, split over the cores, give what a plain loop gives", "[train][loss]") {
  // 2 x 3 x 96 x 96 = 55296 elements: above the threshold for running in parallel.
  using S = ts::Shape<3, 96, 96>;
  const ts::index n = 2;
  ts::Generator rng(7);
  ts::Tensor<S, double> logits(n), grad(n);
  for (double& v : logits.span()) v = rng.normal(0, 3);
  std::vector<std::int64_t> labels(std::size_t(n) * 96 * 96);
  for (auto& l : labels) l = std::int64_t(rng.next() % 3);

  const double value = ts::cross_entropy_loss(logits.view(), labels, grad);
  long double total = 0;
  double worst_grad_error = 0;
  for (ts::index s = 0; s < n; ++s)
    for (int h = 0; h < 96; ++h)
      for (int w = 0; w < 96; ++w) {
        long double sum = 0;
        for (int c = 0; c < 3; ++c) sum += std::exp((long double)logits.at(s, c, h, w));
        const std::int64_t label = labels[std::size_t((s * 96 + h) * 96 + w)];
        total -= std::log(std::exp((long double)logits.at(s, int(label), h, w)) / sum);
        for (int c = 0; c < 3; ++c) {
          const long double want =
              (std::exp((long double)logits.at(s, c, h, w)) / sum - (c == label ? 1 : 0)) /
              labels.size();
          worst_grad_error =
              std::max(worst_grad_error, double(std::abs(grad.at(s, c, h, w) - want)));
        }
      }
  CHECK(value == Approx(double(total / labels.size())).epsilon(1e-12));
  CHECK(worst_grad_error < 1e-17);  // the gradients are about 1 / 18432

  ts::Tensor<S, double> target(n);
  for (double& v : target.span()) v = rng.normal();
  const double mse = ts::mse_loss(logits.view(), target, grad, ts::Reduction::sum);
  long double squares = 0;
  for (std::size_t i = 0; i < target.size(); ++i) {
    squares += (long double)(logits[i] - target[i]) * (logits[i] - target[i]);
    REQUIRE(grad[i] == 2 * (logits[i] - target[i]));
  }
  CHECK(mse == Approx(double(squares)).epsilon(1e-12));
}

TEST_CASE("A loss takes a model's output and its gradient goes to backward", "[train][loss]") {
  ts::Model<ts::Sequential<ts::Linear<3>>, ts::Shape<4>> net(1);
  ts::Tensor<ts::Shape<4>> x(2, 0.5f);
  ts::Tensor<ts::Shape<3>> grad(2);
  const std::vector<std::int64_t> labels{2, 0};
  const float loss = ts::cross_entropy_loss(net.forward(x), labels, grad);
  CHECK(std::isfinite(loss));
  net.zero_grad();
  net.backward(grad);
  // Softmax minus one-hot sums to zero over the classes, so the bias gradient does too.
  const auto& bias = net.tensors()[1];
  REQUIRE(bias.name == "0.bias");
  CHECK(bias.grads()[0] + bias.grads()[1] + bias.grads()[2] == Approx(0).margin(1e-6));
  CHECK(bias.grads()[0] != 0);
}
