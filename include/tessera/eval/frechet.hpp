// The Frechet distance between two sets of feature vectors, each summarised by the mean and
// covariance of a Gaussian: ||mu1 - mu2||^2 + Tr(S1 + S2 - 2 (S1 S2)^(1/2)), the formula of FID
// (Heusel et al. 2017), for any features (FashionScorer's are a Fashion-MNIST classifier's, not
// Inception's). Everything is in double.
//   ts::FeatureMoments real(128), fake(128);
//   real.add(features_of_real_batch);             // as many batches as there are
//   fake.add(features_of_generated_batch);
//   double fid = ts::frechet_distance(real.stats(), fake.stats());
// Not in tessera/tools.hpp: Eigen's eigensolver is a large parse that only scoring needs.
#pragma once

// GCC 12 under -march=native reports '__Y' "used uninitialized" inside the AVX-512 intrinsics
// that Eigen's double eigensolver and products inline (the intrinsics' own `__m512d __Y = __Y;`
// idiom for an undefined register). The warning follows the pragma state where Eigen's templates
// are defined, so it is silenced for Eigen's headers only; -Wuninitialized stays on for ours.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif
#include <Eigen/Core>
#include <Eigen/Eigenvalues>
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>

#include "tessera/core/tensor.hpp"
#include "tessera/train/loss.hpp"

namespace tessera {

// A Gaussian fitted to `count` feature vectors: their mean and their covariance, divided by
// count - 1 as numpy's np.cov and pytorch-fid's statistics are.
struct GaussianStats {
  Eigen::VectorXd mean;
  Eigen::MatrixXd covariance;
  std::int64_t count = 0;
};

// The mean and covariance of feature vectors that arrive in batches. Each batch's own mean and
// centred scatter are merged into the running ones (Chan, Golub and LeVeque's pairwise update), so
// that no sum of x x^T over 60,000 vectors has to cancel against N mu mu^T at the end.
class FeatureMoments {
 public:
  explicit FeatureMoments(int dims)
      : mean_(Eigen::VectorXd::Zero(dims)), scatter_(Eigen::MatrixXd::Zero(dims, dims)) {
    if (dims < 1)
      throw std::invalid_argument("tessera::FeatureMoments: needs at least one feature, not " +
                                  std::to_string(dims));
  }

  int dims() const { return int(mean_.size()); }
  std::int64_t count() const { return count_; }

  // `n` feature vectors of dims() values each, one after the other (a batch of Shape<dims()>).
  template <class T>
  void add(const T* rows, index n) {
    if (n <= 0) return;
    using Rows = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    const Eigen::MatrixXd x = Eigen::Map<const Rows>(rows, n, dims()).template cast<double>();
    const Eigen::RowVectorXd batch_mean = x.colwise().mean();
    const Eigen::MatrixXd centred = x.rowwise() - batch_mean;
    const Eigen::VectorXd delta = batch_mean.transpose() - mean_;
    const double before = double(count_), added = double(n), total = before + added;
    scatter_ +=
        centred.transpose() * centred + (before * added / total) * delta * delta.transpose();
    mean_ += (added / total) * delta;
    count_ += n;
  }
  // A batch of Shape<F> features (a Tensor or View, such as a feature model's predict output).
  template <TensorOrView X>
  void add(const X& batch) {
    using S = typename X::shape;
    static_assert(S::rank == 1, "tessera::FeatureMoments::add: features of Shape<F>");
    if (S::dims[0] != dims())
      throw std::invalid_argument("tessera::FeatureMoments::add: a batch of " +
                                  std::to_string(S::dims[0]) +
                                  " features, but the moments are of " + std::to_string(dims()));
    const const_view_of<X> x = batch;
    add(x.data(), x.batch());
  }

  GaussianStats stats() const {
    if (count_ < 2)
      throw std::invalid_argument("tessera::FeatureMoments::stats: " + std::to_string(count_) +
                                  " feature vector(s); a covariance needs at least 2");
    return {mean_, scatter_ / double(count_ - 1), count_};
  }

 private:
  Eigen::VectorXd mean_;
  Eigen::MatrixXd scatter_;  // sum of (x - mean)(x - mean)^T
  std::int64_t count_ = 0;
};

// ||mu1 - mu2||^2 + Tr(S1) + Tr(S2) - 2 Tr((S1 S2)^(1/2)). S1 S2 is not symmetric, but it is
// similar to sqrt(S1) S2 sqrt(S1), which is, and is positive semi-definite: the trace of the
// square root is the sum of the square roots of that matrix's eigenvalues, from a symmetric
// eigensolver (no complex parts to discard, as scipy's sqrtm of S1 S2 leaves, and a covariance of
// fewer vectors than features, which is singular, is no special case). An eigenvalue that is zero
// in exact arithmetic comes out as rounding noise of about eps times the largest one, and its
// square root, about 1e-8 times the largest one's, would be the error of the whole sum; so
// eigenvalues below d eps times the largest (numpy's matrix_rank cut-off) count as zero. A distance
// that rounding pushed below zero (a set against itself) is zero too.
inline double frechet_distance(const GaussianStats& a, const GaussianStats& b) {
  const Eigen::Index d = a.mean.size();
  if (d == 0 || b.mean.size() != d || a.covariance.rows() != d || a.covariance.cols() != d ||
      b.covariance.rows() != d || b.covariance.cols() != d)
    throw std::invalid_argument(
        "tessera::frechet_distance: the statistics are of " + std::to_string(a.mean.size()) +
        " and " + std::to_string(b.mean.size()) + " features (with covariances of " +
        std::to_string(a.covariance.rows()) + " and " + std::to_string(b.covariance.rows()) +
        " rows); they must agree, and not be empty");
  // Square roots of eigenvalues (ascending, as Eigen gives them), those below the cut-off taken as
  // zero.
  const auto roots = [d](const Eigen::VectorXd& eigenvalues) {
    const double cutoff = double(d) * std::numeric_limits<double>::epsilon() *
                          std::max(eigenvalues[eigenvalues.size() - 1], 0.0);
    Eigen::VectorXd r(eigenvalues.size());
    for (Eigen::Index i = 0; i < r.size(); ++i)
      r[i] = eigenvalues[i] > cutoff ? std::sqrt(eigenvalues[i]) : 0.0;
    return r;
  };
  const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> first(a.covariance);
  const Eigen::MatrixXd& v = first.eigenvectors();
  const Eigen::MatrixXd sqrt_a = v * roots(first.eigenvalues()).asDiagonal() * v.transpose();
  Eigen::MatrixXd product = sqrt_a * b.covariance * sqrt_a;
  product = (0.5 * (product + product.transpose())).eval();  // symmetric up to rounding: make it so
  const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> second(product, Eigen::EigenvaluesOnly);
  const double trace_sqrt = roots(second.eigenvalues()).sum();
  const double distance = (a.mean - b.mean).squaredNorm() + a.covariance.trace() +
                          b.covariance.trace() - 2.0 * trace_sqrt;
  return std::max(distance, 0.0);
}

}  // namespace tessera
