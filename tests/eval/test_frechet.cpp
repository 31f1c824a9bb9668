// The Frechet distance (tessera/eval/frechet.hpp) against closed forms (a set against itself and
// against a shifted copy, covariances that share their eigenvectors, and 2x2 covariances that do
// not, whose square root's trace has a formula) and against numpy (make_scorer_fixtures.py: the
// moments and the distance of two feature sets, one of them with a singular covariance).
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "../support/fixtures.hpp"
#include "tessera/core/random.hpp"
#include "tessera/eval/frechet.hpp"  // and Eigen, included there as GCC 12 needs it (see there)

namespace ts = tessera;
using ts::testing::fixture_values;

namespace {

ts::io::SafetensorsFile frechet_fixture() {
  return ts::io::read_safetensors(std::string(TESSERA_TEST_DATA_DIR) +
                                  "/fixtures/eval/frechet.safetensors");
}

// `count` vectors of `dims` features from a Gaussian with a full covariance: z L^T, z standard
// normal.
std::vector<double> correlated_gaussian(ts::Generator& rng, int count, int dims) {
  std::vector<double> mixing(static_cast<std::size_t>(dims * dims));
  for (double& m : mixing) m = rng.normal() / std::sqrt(double(dims));
  std::vector<double> z(static_cast<std::size_t>(dims)), x(static_cast<std::size_t>(count * dims));
  for (int i = 0; i < count; ++i) {
    for (double& v : z) v = rng.normal();
    for (int r = 0; r < dims; ++r) {
      double sum = 0;
      for (int c = 0; c < dims; ++c) sum += mixing[std::size_t(r * dims + c)] * z[std::size_t(c)];
      x[std::size_t(i * dims + r)] = sum;
    }
  }
  return x;
}

ts::GaussianStats stats_of(const std::vector<double>& x, int dims) {
  ts::FeatureMoments m(dims);
  m.add(x.data(), ts::index(x.size() / std::size_t(dims)));
  return m.stats();
}

// A random orthogonal matrix: the eigenvectors of a symmetric Gaussian matrix.
Eigen::MatrixXd random_rotation(ts::Generator& rng, int dims) {
  Eigen::MatrixXd g(dims, dims);
  for (Eigen::Index i = 0; i < g.size(); ++i) g.data()[i] = rng.normal();
  const Eigen::MatrixXd symmetric = g + g.transpose();
  return Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd>(symmetric).eigenvectors();
}

ts::GaussianStats gaussian(Eigen::VectorXd mean, Eigen::MatrixXd covariance) {
  return {std::move(mean), std::move(covariance), 1000};
}

Eigen::MatrixXd matrix(const std::vector<double>& values, Eigen::Index rows, Eigen::Index cols) {
  return Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(
      values.data(), rows, cols);
}

}  // namespace

TEST_CASE(
    "frechet_distance: a set against itself is 0, against a shifted copy the shift's squared "
    "length",
    "[eval][frechet]") {
  constexpr int dims = 8, count = 2000;
  ts::Generator rng(21);
  const std::vector<double> x = correlated_gaussian(rng, count, dims);
  const std::vector<double> shift{0.5, -1.0, 0.25, 0.0, 2.0, -0.75, 0.1, 1.5};
  std::vector<double> shifted = x;
  for (int i = 0; i < count; ++i)
    for (int j = 0; j < dims; ++j) shifted[std::size_t(i * dims + j)] += shift[std::size_t(j)];
  double squared_shift = 0;
  for (double s : shift) squared_shift += s * s;  // 8.2525

  const ts::GaussianStats a = stats_of(x, dims), b = stats_of(shifted, dims);
  CHECK(ts::frechet_distance(a, a) == Approx(0.0).margin(1e-10));
  CHECK(ts::frechet_distance(a, b) == Approx(squared_shift).epsilon(1e-10));
  CHECK(ts::frechet_distance(b, a) == Approx(squared_shift).epsilon(1e-10));

  // Another draw of the same Gaussian is near, not at, 0; and the distance is symmetric.
  ts::Generator other(22);
  std::vector<double> y = correlated_gaussian(other, count, dims);
  const ts::GaussianStats c = stats_of(y, dims);
  const double ac = ts::frechet_distance(a, c);
  CHECK(ac > 0.01);
  CHECK(ts::frechet_distance(c, a) == Approx(ac).epsilon(1e-10));
}

TEST_CASE(
    "frechet_distance: covariances with the same eigenvectors give sum (sqrt a_i - sqrt b_i)^2",
    "[eval][frechet]") {
  constexpr int dims = 6;
  ts::Generator rng(5);
  const Eigen::MatrixXd q = random_rotation(rng, dims);
  Eigen::VectorXd ea(dims), eb(dims), mean_a(dims), mean_b(dims);
  ea << 4.0, 1.0, 0.25, 9.0, 0.0, 2.0;  // one zero eigenvalue: a singular covariance
  eb << 1.0, 1.0, 1.0, 0.5, 3.0, 8.0;
  mean_a << 1, 2, 3, 4, 5, 6;
  mean_b << 1, 2, 3, 4, 5, 4;
  double expected = 4.0;  // the means' squared distance
  for (int i = 0; i < dims; ++i) expected += std::pow(std::sqrt(ea[i]) - std::sqrt(eb[i]), 2);
  const auto a = gaussian(mean_a, q * ea.asDiagonal() * q.transpose());
  const auto b = gaussian(mean_b, q * eb.asDiagonal() * q.transpose());
  CHECK(ts::frechet_distance(a, b) == Approx(expected).epsilon(1e-10));
  CHECK(ts::frechet_distance(b, a) == Approx(expected).epsilon(1e-10));
}

TEST_CASE(
    "frechet_distance: 2x2 covariances that do not commute, Tr sqrt(M) = sqrt(Tr M + 2 sqrt(det "
    "M))",
    "[eval][frechet]") {
  Eigen::Matrix2d s1, s2;
  s1 << 2.0, 0.9, 0.9, 1.0;
  s2 << 0.5, -0.3, -0.3, 3.0;
  REQUIRE((s1 * s2 - s2 * s1).norm() > 0.5);
  // S1 S2 has positive eigenvalues (it is similar to an SPD matrix), so its square root's trace is
  // sqrt(l1) + sqrt(l2) = sqrt(l1 + l2 + 2 sqrt(l1 l2)).
  const double trace_sqrt =
      std::sqrt((s1 * s2).trace() + 2.0 * std::sqrt(s1.determinant() * s2.determinant()));
  const Eigen::Vector2d mean_a(0.0, 1.0), mean_b(3.0, -3.0);
  const double expected = 25.0 + s1.trace() + s2.trace() - 2.0 * trace_sqrt;
  CHECK(ts::frechet_distance(gaussian(mean_a, s1), gaussian(mean_b, s2)) ==
        Approx(expected).epsilon(1e-12));
  CHECK(ts::frechet_distance(gaussian(mean_b, s2), gaussian(mean_a, s1)) ==
        Approx(expected).epsilon(1e-12));
}

TEST_CASE("FeatureMoments and frechet_distance agree with numpy", "[eval][frechet]") {
  const auto file = frechet_fixture();
  constexpr int dims = 16;
  for (const std::string c : {"wide", "singular"}) {
    INFO("case " << c);
    const std::vector<float> a = fixture_values<float>(file, c + ".a"),
                             b = fixture_values<float>(file, c + ".b");
    const ts::index count_a = ts::index(a.size() / dims), count_b = ts::index(b.size() / dims);
    ts::FeatureMoments ma(dims), mb(dims);
    // In uneven batches, as a generator's images arrive: the merged moments must not depend on
    // them.
    ts::index done = 0;
    for (ts::index step = 1; done < count_a; step += 3) {
      const ts::index n = std::min(step, count_a - done);
      ma.add(a.data() + done * dims, n);
      done += n;
    }
    mb.add(ts::View<ts::Shape<dims>, const float>(b.data(), count_b));
    const ts::GaussianStats sa = ma.stats(), sb = mb.stats();
    CHECK(sa.count == count_a);
    CHECK(sb.count == count_b);
    const Eigen::VectorXd mean_a = matrix(fixture_values<double>(file, c + ".mean_a"), dims, 1);
    const Eigen::MatrixXd cov_a = matrix(fixture_values<double>(file, c + ".cov_a"), dims, dims);
    const Eigen::MatrixXd cov_b = matrix(fixture_values<double>(file, c + ".cov_b"), dims, dims);
    CHECK((sa.mean - mean_a).cwiseAbs().maxCoeff() < 1e-12);
    CHECK((sa.covariance - cov_a).cwiseAbs().maxCoeff() < 1e-12 * cov_a.cwiseAbs().maxCoeff());
    CHECK((sb.covariance - cov_b).cwiseAbs().maxCoeff() < 1e-12 * cov_b.cwiseAbs().maxCoeff());
    const double expected = ts::testing::fixture_scalar(file, c + ".fid");
    CHECK(ts::frechet_distance(sa, sb) == Approx(expected).epsilon(1e-9));
    CHECK(ts::frechet_distance(sb, sa) == Approx(expected).epsilon(1e-9));
  }
}

TEST_CASE("FeatureMoments and frechet_distance refuse what has no covariance or does not match",
          "[eval][frechet]") {
  ts::FeatureMoments m(3);
  const std::vector<float> one{1.0f, 2.0f, 3.0f};
  m.add(one.data(), 1);
  CHECK_THROWS_WITH(m.stats(),
                    Catch::Contains("1 feature vector(s); a covariance needs at least 2"));
  CHECK_THROWS_WITH(m.add(ts::View<ts::Shape<4>, const float>(nullptr, 0)),
                    Catch::Contains("a batch of 4 features, but the moments are of 3"));
  CHECK_THROWS_AS(ts::FeatureMoments(0), std::invalid_argument);

  const auto a = gaussian(Eigen::VectorXd::Zero(3), Eigen::MatrixXd::Identity(3, 3));
  const auto b = gaussian(Eigen::VectorXd::Zero(2), Eigen::MatrixXd::Identity(2, 2));
  CHECK_THROWS_WITH(ts::frechet_distance(a, b), Catch::Contains("of 3 and 2 features"));
}
