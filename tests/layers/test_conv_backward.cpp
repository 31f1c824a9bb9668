// Backward of Conv2d and ConvTranspose2d: finite differences in double (the im2col path), float
// (oneDNN where it is built in) against double on the same weights and inputs, accumulation into
// the gradients, a frozen model, oneDNN's Winograd algorithm, and PyTorch's gradients from
// tests/fixtures/conv_grad_*.safetensors (written by tests/fixtures/make_conv_grad_fixtures.py).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

#include <tessera/core/convolution_algorithm.hpp>
#include <tessera/layers/conv2d.hpp>
#include <tessera/layers/conv_transpose2d.hpp>

#include "../support/fixtures.hpp"
#include "../support/gradcheck.hpp"

namespace {

namespace ts = tessera;
using ts::index;
using ts::no_bias;
using ts::with_bias;
using ts::testing::check_gradients;
using ts::testing::fixture;
using ts::testing::fixture_values;
using ts::testing::GradCheck;

GradCheck batch_of(index n) {
  GradCheck opt;
  opt.batch = n;
  return opt;
}

// |got - want| <= rtol |want| + atol for every element; on failure names the first few.
template <class A, class B>
void check_close(const std::string& what, const A* got, const B* want, std::size_t size,
                 double rtol, double atol) {
  std::size_t bad = 0;
  std::ostringstream first;
  for (std::size_t i = 0; i < size; ++i) {
    const double a = double(got[i]), b = double(want[i]);
    if (!(std::abs(a - b) <= rtol * std::abs(b) + atol)) {  // also catches NaN
      if (bad < 5) first << "  [" << i << "] got " << a << ", want " << b << "\n";
      ++bad;
    }
  }
  INFO(what << ": " << bad << " of " << size << " elements differ\n" << first.str());
  CHECK(bad == 0);
}

template <class T>
std::vector<T> normal_values(std::size_t size, ts::Generator& rng) {
  std::vector<T> v(size);
  for (T& e : v) e = T(rng.normal());
  return v;
}

// ---- Finite differences (double, im2col + GEMM) -------------------------------------------

TEST_CASE("Conv2d backward matches finite differences") {
  SECTION("kernel 3, stride 1, no padding, non-square input") {
    check_gradients<ts::Conv2d<4, 3>, ts::Shape<2, 7, 5>>();
  }
  SECTION("kernel 3, stride 2, padding 1") {
    check_gradients<ts::Conv2d<3, 3, 2, 1>, ts::Shape<2, 8, 7>>();
  }
  SECTION("kernel 3, stride 2, no padding: the last row fits no window") {
    check_gradients<ts::Conv2d<3, 3, 2>, ts::Shape<2, 8, 7>>();
  }
  SECTION("kernel 1, batch 1") {
    check_gradients<ts::Conv2d<5, 1>, ts::Shape<3, 4, 6>>(batch_of(1));
  }
  SECTION("kernel 4, stride 2, padding 1, no bias (a DCGAN discriminator block)") {
    check_gradients<ts::Conv2d<3, 4, 2, 1, no_bias>, ts::Shape<3, 8, 6>>();
  }
  SECTION("dilation 2, padding 1") {
    check_gradients<ts::Conv2d<2, 3, 1, 1, with_bias, 2>, ts::Shape<2, 7, 6>>();
  }
  SECTION("dilation 2, stride 2, batch 1") {
    check_gradients<ts::Conv2d<2, 3, 2, 0, with_bias, 2>, ts::Shape<2, 9, 8>>(batch_of(1));
  }
}

TEST_CASE("ConvTranspose2d backward matches finite differences") {
  SECTION("kernel 3, stride 1, non-square input") {
    check_gradients<ts::ConvTranspose2d<3, 3>, ts::Shape<2, 4, 5>>();
  }
  SECTION("kernel 4, stride 2, padding 1 (a DCGAN generator block)") {
    check_gradients<ts::ConvTranspose2d<2, 4, 2, 1>, ts::Shape<3, 3, 4>>();
  }
  SECTION("kernel 4 from 1x1 to 4x4, no bias (the DCGAN generator's first layer)") {
    check_gradients<ts::ConvTranspose2d<3, 4, 1, 0, 0, no_bias>, ts::Shape<4, 1, 1>>();
  }
  SECTION("stride 2, padding 0") {
    check_gradients<ts::ConvTranspose2d<2, 3, 2>, ts::Shape<2, 3, 3>>();
  }
  SECTION("stride 2, padding 1, output padding 1") {
    check_gradients<ts::ConvTranspose2d<2, 3, 2, 1, 1>, ts::Shape<3, 3, 4>>();
  }
  SECTION("kernel 1, batch 1") {
    check_gradients<ts::ConvTranspose2d<3, 1>, ts::Shape<2, 3, 5>>(batch_of(1));
  }
  SECTION("dilation 2, no bias") {
    check_gradients<ts::ConvTranspose2d<2, 3, 1, 0, 0, no_bias, 2>, ts::Shape<2, 4, 3>>();
  }
  SECTION("dilation 2 with an output padding as large as the stride") {
    check_gradients<ts::ConvTranspose2d<2, 3, 1, 1, 1, with_bias, 2>, ts::Shape<2, 3, 4>>();
  }
}

// ---- Float against double -----------------------------------------------------------------
// Float runs through oneDNN when it is built in, double always through im2col + GEMM: the same
// weights, input and dy must give the same dx, weight and bias gradients. The model is re-run at a
// second and then the first batch size, so that a re-planned oneDNN plan is checked too.

template <class Spec, class In>
void check_float_against_double() {
  using Out = typename ts::Model<Spec, In, ts::Cpu, float>::Output;
  ts::Model<Spec, In, ts::Cpu, float> f(3);
  ts::Model<Spec, In, ts::Cpu, double> d(3);
  std::copy(f.parameter_values().begin(), f.parameter_values().end(), d.parameter_values().begin());
  ts::Generator rng(11);
  for (index n : {3, 1, 3}) {
    INFO("batch " << n);
    const auto xf = normal_values<float>(std::size_t(n) * In::size, rng);
    const auto dyf = normal_values<float>(std::size_t(n) * Out::size, rng);
    const std::vector<double> xd(xf.begin(), xf.end()), dyd(dyf.begin(), dyf.end());
    f.zero_grad();
    d.zero_grad();
    f.forward(ts::View<In, const float>(xf.data(), n));
    d.forward(ts::View<In, const double>(xd.data(), n));
    const auto dxf = f.backward_to_input(ts::View<Out, const float>(dyf.data(), n));
    const auto dxd = d.backward_to_input(ts::View<Out, const double>(dyd.data(), n));
    check_close("dx", dxf.data(), dxd.data(), dxd.size(), 1e-4, 1e-5);
    for (std::size_t i = 0; i < f.tensors().size(); ++i) {
      const auto& ef = f.tensors()[i];
      const auto& ed = d.tensors()[i];
      check_close("d" + ef.name, ef.grad, ed.grad, ed.size(), 1e-4, 1e-5);
    }
  }
}

TEST_CASE("Conv2d backward in float agrees with double") {
  SECTION("kernel 3, padding 1") {
    check_float_against_double<ts::Conv2d<8, 3, 1, 1>, ts::Shape<4, 10, 9>>();
  }
  SECTION("kernel 4, stride 2, padding 1, no bias") {
    check_float_against_double<ts::Conv2d<6, 4, 2, 1, no_bias>, ts::Shape<5, 12, 10>>();
  }
  SECTION("kernel 1") {
    check_float_against_double<ts::Conv2d<7, 1>, ts::Shape<5, 6, 7>>();
  }
  SECTION("dilation 2, stride 2, uneven") {
    check_float_against_double<ts::Conv2d<4, 3, 2, 1, with_bias, 2>, ts::Shape<3, 11, 9>>();
  }
  // Shapes where oneDNN's kernels run far below their usual speed (benchmarks/onednn_profile.py):
  // one input channel (its data gradient), and a window over the whole input (a 1x1 output).
  SECTION("one input channel, kernel 4, stride 2, padding 1 (a grayscale critic's first layer)") {
    check_float_against_double<ts::Conv2d<6, 4, 2, 1>, ts::Shape<1, 12, 10>>();
  }
  SECTION("kernel 4 over a 4x4 input to 1x1, no bias (a critic's last layer)") {
    check_float_against_double<ts::Conv2d<3, 4, 1, 0, no_bias>, ts::Shape<9, 4, 4>>();
  }
  SECTION("a padded window over the whole input") {
    check_float_against_double<ts::Conv2d<2, 5, 1, 1>, ts::Shape<3, 3, 3>>();
  }
}

TEST_CASE("ConvTranspose2d backward in float agrees with double") {
  SECTION("kernel 4, stride 2, padding 1") {
    check_float_against_double<ts::ConvTranspose2d<4, 4, 2, 1>, ts::Shape<6, 5, 7>>();
  }
  SECTION("1x1 to 4x4, no bias") {
    check_float_against_double<ts::ConvTranspose2d<8, 4, 1, 0, 0, no_bias>, ts::Shape<16, 1, 1>>();
  }
  SECTION("kernel 3, stride 2, output padding 1") {
    check_float_against_double<ts::ConvTranspose2d<5, 3, 2, 1, 1>, ts::Shape<4, 5, 6>>();
  }
  SECTION("dilation 2, output padding 1 at stride 1") {
    check_float_against_double<ts::ConvTranspose2d<3, 3, 1, 1, 1, with_bias, 2>,
                               ts::Shape<4, 6, 5>>();
  }
  SECTION("dilation 2, output padding 1 at stride 1, no padding") {
    check_float_against_double<ts::ConvTranspose2d<3, 3, 1, 0, 1, with_bias, 2>,
                               ts::Shape<4, 6, 5>>();
  }
}

// ---- Accumulation, overwriting, freezing ---------------------------------------------------

// Two backward calls add twice the gradients and write dx twice, not its sum; a frozen model
// leaves the gradients alone and still gives dx; backward without dx gives the same gradients.
template <class Spec, class In, class T>
void check_accumulation() {
  using Model = ts::Model<Spec, In, ts::Cpu, T>;
  using Out = typename Model::Output;
  INFO((std::is_same_v<T, float> ? "float" : "double"));
  constexpr index n = 2;
  Model m(5);
  ts::Generator rng(6);
  const auto x = normal_values<T>(std::size_t(n) * In::size, rng);
  const auto dy = normal_values<T>(std::size_t(n) * Out::size, rng);
  const ts::View<Out, const T> dy_view(dy.data(), n);
  m.zero_grad();
  m.forward(ts::View<In, const T>(x.data(), n));

  auto dx_view = m.backward_to_input(dy_view);
  const std::vector<T> dx(dx_view.data(), dx_view.data() + dx_view.size());
  const std::vector<T> once(m.parameter_grads().begin(), m.parameter_grads().end());
  REQUIRE(std::any_of(once.begin(), once.end(), [](T v) { return v != T(0); }));
  dx_view = m.backward_to_input(dy_view);
  check_close("dx after a second backward", dx_view.data(), dx.data(), dx.size(), 0, 0);
  std::vector<T> twice(once);
  for (T& v : twice) v *= 2;
  check_close("gradients after two backwards", m.parameter_grads().data(), twice.data(),
              twice.size(), 1e-6, 0);

  m.zero_grad();
  m.backward(dy_view);
  check_close("gradients of a backward without dx", m.parameter_grads().data(), once.data(),
              once.size(), 1e-6, 0);

  m.zero_grad();
  m.requires_grad(false);
  dx_view = m.backward_to_input(dy_view);
  check_close("dx of a frozen model", dx_view.data(), dx.data(), dx.size(), 1e-6, 0);
  CHECK(std::all_of(m.parameter_grads().begin(), m.parameter_grads().end(),
                    [](T v) { return v == T(0); }));
}

TEST_CASE("Conv2d backward adds to the gradients and overwrites dx") {
  check_accumulation<ts::Conv2d<4, 3, 2, 1>, ts::Shape<3, 7, 6>, float>();
  check_accumulation<ts::Conv2d<4, 3, 2, 1>, ts::Shape<3, 7, 6>, double>();
  check_accumulation<ts::Conv2d<4, 4, 2, 1>, ts::Shape<1, 8, 6>, float>();  // dx by GEMM
  check_accumulation<ts::Conv2d<2, 4, 1, 0>, ts::Shape<5, 4, 4>, float>();  // all by GEMM
}

TEST_CASE("ConvTranspose2d backward adds to the gradients and overwrites dx") {
  check_accumulation<ts::ConvTranspose2d<3, 4, 2, 1>, ts::Shape<4, 3, 5>, float>();
  check_accumulation<ts::ConvTranspose2d<3, 4, 2, 1>, ts::Shape<4, 3, 5>, double>();
}

// ---- Reordered copies shared between a forward and its backward --------------------------------
// oneDNN's plan reorders x, the weights and dy into its own layouts once per forward and backward
// and lets the backward's primitives read the forward's copies. Driven through the ops with the
// same buffers refilled between calls, as a training loop does, against double (im2col + GEMM)
// on each call's data: a copy read after its buffer changed, or of another call's tensor, fails.
template <bool Transposed>
void check_fresh_copies() {
  INFO((Transposed ? "transposed" : "convolution"));
  // 16 channels each way: oneDNN's blocked layouts, so every input is reordered.
  constexpr ts::ops::WindowGeometry g{16, 6, 5, 16, 6, 5, 3, 1, 1, 1};
  constexpr index n = 2;
  constexpr std::size_t xs = std::size_t(n) * 16 * 6 * 5, ws = 16 * 16 * 9;
  ts::ops::ConvPlan<ts::Cpu, float> plan;
  ts::ops::ConvPlan<ts::Cpu, double> reference;
  std::vector<double> scratch(std::size_t(n) *
                              ts::ops::ConvPlan<ts::Cpu, double>::scratch(g, Transposed));
  // T from the plan alone (the pointers may be null); s: the scratch (null for oneDNN's plan).
  const auto forward = [&]<class T>(ts::ops::ConvPlan<ts::Cpu, T>& p,
                                    const std::type_identity_t<T>* x,
                                    const std::type_identity_t<T>* w, std::type_identity_t<T>* y,
                                    std::type_identity_t<T>* s) {
    if constexpr (Transposed)
      ts::ops::conv_transpose2d_forward<T>(ts::Cpu{}, p, g, x, w, nullptr, y, n, s);
    else
      ts::ops::conv2d_forward<T>(ts::Cpu{}, p, g, x, w, nullptr, y, n, s);
  };
  const auto backward = [&]<class T>(ts::ops::ConvPlan<ts::Cpu, T>& p,
                                     const std::type_identity_t<T>* x,
                                     const std::type_identity_t<T>* w,
                                     const std::type_identity_t<T>* dy, std::type_identity_t<T>* dx,
                                     std::type_identity_t<T>* dw, std::type_identity_t<T>* s) {
    if constexpr (Transposed)
      ts::ops::conv_transpose2d_backward<T>(ts::Cpu{}, p, g, x, w, dy, dx, dw, nullptr, n, s);
    else
      ts::ops::conv2d_backward<T>(ts::Cpu{}, p, g, x, w, dy, dx, dw, nullptr, n, s);
  };
  // What double gives for the float buffers' current values.
  const auto widen = [](const std::vector<float>& v) {
    return std::vector<double>(v.begin(), v.end());
  };
  const auto expected_dw = [&](const std::vector<float>& x, const std::vector<float>& w,
                               const std::vector<float>& dy) {
    std::vector<double> dw(ws, 0.0), xd = widen(x), wd = widen(w), dyd = widen(dy);
    std::vector<double> y(xs);
    forward(reference, xd.data(), wd.data(), y.data(), scratch.data());
    backward(reference, xd.data(), wd.data(), dyd.data(), nullptr, dw.data(), scratch.data());
    return dw;
  };
  const auto expected_dx = [&](const std::vector<float>& x, const std::vector<float>& w,
                               const std::vector<float>& dy) {
    std::vector<double> dx(xs), xd = widen(x), wd = widen(w), dyd = widen(dy), y(xs);
    forward(reference, xd.data(), wd.data(), y.data(), scratch.data());
    backward(reference, xd.data(), wd.data(), dyd.data(), dx.data(), nullptr, scratch.data());
    return dx;
  };

  ts::Generator rng(21);
  // New values in the same buffer (the same pointer): the next batch, step or output gradient.
  const auto refill = [&](std::vector<float>& v) {
    for (float& e : v) e = float(rng.normal());
  };
  std::vector<float> x(xs), other(xs), w(ws), dy(xs), y(xs), dx(xs), dw(ws);
  for (int round = 0; round < 3; ++round) {
    INFO("round " << round);
    refill(x);
    refill(w);
    refill(dy);
    forward(plan, x.data(), w.data(), y.data(), nullptr);
    // The weight gradient alone (a first layer: no dx), then both.
    std::fill(dw.begin(), dw.end(), 0.f);
    backward(plan, x.data(), w.data(), dy.data(), nullptr, dw.data(), nullptr);
    check_close("dw without dx", dw.data(), expected_dw(x, w, dy).data(), ws, 1e-4, 1e-4);
    std::fill(dw.begin(), dw.end(), 0.f);
    backward(plan, x.data(), w.data(), dy.data(), dx.data(), dw.data(), nullptr);
    check_close("dx", dx.data(), expected_dx(x, w, dy).data(), xs, 1e-4, 1e-4);
    check_close("dw", dw.data(), expected_dw(x, w, dy).data(), ws, 1e-4, 1e-4);
    // A forward of another input between x's forward and x's backward (a tangent pass).
    refill(other);
    forward(plan, x.data(), w.data(), y.data(), nullptr);
    forward(plan, other.data(), w.data(), y.data(), nullptr);
    std::fill(dw.begin(), dw.end(), 0.f);
    backward(plan, x.data(), w.data(), dy.data(), dx.data(), dw.data(), nullptr);
    check_close("dw of x after a forward of another input", dw.data(), expected_dw(x, w, dy).data(),
                ws, 1e-4, 1e-4);
    // A new dy in the same buffer for a second backward of the same forward.
    forward(plan, x.data(), w.data(), y.data(), nullptr);
    backward(plan, x.data(), w.data(), dy.data(), dx.data(), dw.data(), nullptr);
    refill(dy);
    std::fill(dw.begin(), dw.end(), 0.f);
    backward(plan, x.data(), w.data(), dy.data(), nullptr, dw.data(), nullptr);
    check_close("dw of a second backward with a new dy", dw.data(), expected_dw(x, w, dy).data(),
                ws, 1e-4, 1e-4);
  }
}

TEST_CASE("Conv2d and ConvTranspose2d reuse reordered copies only while they hold the data") {
  check_fresh_copies<false>();
  check_fresh_copies<true>();
}

// ---- Winograd's algorithm for 3x3 stride-1 convolutions ------------------------------------
#ifdef TESSERA_HAVE_DNNL
// The process's setting for the test's duration.
struct AlgorithmSetting {
  explicit AlgorithmSetting(ts::ConvolutionAlgorithm a) { ts::set_convolution_algorithm(a); }
  ~AlgorithmSetting() { ts::set_convolution_algorithm(ts::ConvolutionAlgorithm::fastest); }
};

// One forward and backward of a fresh float plan under a setting: y, dx, dw and db, in that order.
std::vector<std::vector<float>> conv_results(const ts::ops::WindowGeometry& g, index n,
                                             ts::ConvolutionAlgorithm setting,
                                             const std::vector<float>& x,
                                             const std::vector<float>& w,
                                             const std::vector<float>& b,
                                             const std::vector<float>& dy) {
  const AlgorithmSetting scope(setting);
  ts::ops::ConvPlan<ts::Cpu, float> plan;
  std::vector<float> y(dy.size()), dx(x.size()), dw(w.size(), 0.f), db(b.size(), 0.f);
  ts::ops::conv2d_forward<float>(ts::Cpu{}, plan, g, x.data(), w.data(), b.data(), y.data(), n,
                                 nullptr);
  ts::ops::conv2d_backward<float>(ts::Cpu{}, plan, g, x.data(), w.data(), dy.data(), dx.data(),
                                  dw.data(), db.data(), n, nullptr);
  return {y, dx, dw, db};
}

// What double (im2col + GEMM) gives for the same values: y, dx, dw and db.
std::vector<std::vector<double>> conv_reference(const ts::ops::WindowGeometry& g, index n,
                                                const std::vector<float>& x,
                                                const std::vector<float>& w,
                                                const std::vector<float>& b,
                                                const std::vector<float>& dy) {
  ts::ops::ConvPlan<ts::Cpu, double> plan;
  std::vector<double> scratch(std::size_t(n) *
                              ts::ops::ConvPlan<ts::Cpu, double>::scratch(g, false));
  const std::vector<double> xd(x.begin(), x.end()), wd(w.begin(), w.end()), bd(b.begin(), b.end()),
      dyd(dy.begin(), dy.end());
  std::vector<double> y(dy.size()), dx(x.size()), dw(w.size(), 0.0), db(b.size(), 0.0);
  ts::ops::conv2d_forward<double>(ts::Cpu{}, plan, g, xd.data(), wd.data(), bd.data(), y.data(), n,
                                  scratch.data());
  ts::ops::conv2d_backward<double>(ts::Cpu{}, plan, g, xd.data(), wd.data(), dyd.data(), dx.data(),
                                   dw.data(), db.data(), n, scratch.data());
  return {y, dx, dw, db};
}

TEST_CASE("Conv2d runs Winograd's algorithm only where chosen, and it agrees with double") {
  // oneDNN has Winograd's F(4x4, 3x3) in float for AVX-512 (avx512_core) CPUs only.
  const bool has_winograd =
      __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq");
  const auto run = [&](const ts::ops::WindowGeometry& g, index n) {
    ts::Generator rng(5);
    const auto x = normal_values<float>(std::size_t(n) * g.in_channels * g.in_h * g.in_w, rng);
    const auto w = normal_values<float>(
        std::size_t(g.out_channels) * g.in_channels * g.kernel * g.kernel, rng);
    const auto b = normal_values<float>(std::size_t(g.out_channels), rng);
    const auto dy = normal_values<float>(std::size_t(n) * g.out_channels * g.out_h * g.out_w, rng);
    struct Results {
      std::vector<std::vector<float>> direct, winograd, fastest;
      std::vector<std::vector<double>> reference;
    };
    return Results{conv_results(g, n, ts::ConvolutionAlgorithm::direct, x, w, b, dy),
                   conv_results(g, n, ts::ConvolutionAlgorithm::winograd, x, w, b, dy),
                   conv_results(g, n, ts::ConvolutionAlgorithm::fastest, x, w, b, dy),
                   conv_reference(g, n, x, w, b, dy)};
  };
  const char* names[] = {"y", "dx", "dw", "db"};

  SECTION(
      "3x3 stride 1: Winograd when asked for, close to double; fastest keeps small ones direct") {
    // 32 channels each way, 12x12 with padding 1: 2 x 32 x 32 x 144 x 9 x 2 = 5.3 MFLOP per sample.
    constexpr ts::ops::WindowGeometry g{32, 12, 12, 32, 12, 12, 3, 1, 1, 1};
    const auto r = run(g, 2);
    for (int i = 0; i < 4; ++i) {
      INFO(names[i]);
      check_close(std::string("direct ") + names[i], r.direct[i].data(), r.reference[i].data(),
                  r.direct[i].size(), 1e-4, 1e-4);
      check_close(std::string("winograd ") + names[i], r.winograd[i].data(), r.reference[i].data(),
                  r.winograd[i].size(), 1e-4, 1e-4);
      // Below 100 MFLOP the fastest setting does not time Winograd: the direct algorithm's bits.
      CHECK(r.fastest[i] == r.direct[i]);
    }
    // Winograd's rounding differs from the direct algorithm's: it ran (y, dx and dw; db is a sum
    // of dy in both).
    if (has_winograd)
      for (int i = 0; i < 3; ++i) {
        INFO(names[i]);
        CHECK(r.winograd[i] != r.direct[i]);
      }
  }
  SECTION("fastest on a problem worth timing: either algorithm, close to double, chosen once") {
    // 64 channels each way, 48x48 with padding 1: 170 MFLOP, so both algorithms are timed.
    constexpr ts::ops::WindowGeometry g{64, 48, 48, 64, 48, 48, 3, 1, 1, 1};
    const auto r = run(g, 1);
    for (int i = 0; i < 4; ++i) {
      INFO(names[i]);
      check_close(std::string("fastest ") + names[i], r.fastest[i].data(), r.reference[i].data(),
                  r.fastest[i].size(), 1e-4, 1e-4);
    }
    // Another plan of the same problem takes the choice made for the first: the same bits.
    CHECK(run(g, 1).fastest == r.fastest);
  }
  SECTION("stride 2: never Winograd") {
    constexpr ts::ops::WindowGeometry g{32, 12, 12, 32, 6, 6, 3, 2, 1, 1};
    const auto r = run(g, 2);
    for (int i = 0; i < 4; ++i) {
      INFO(names[i]);
      CHECK(r.winograd[i] == r.direct[i]);
      check_close(std::string("winograd setting ") + names[i], r.winograd[i].data(),
                  r.reference[i].data(), r.winograd[i].size(), 1e-4, 1e-4);
    }
  }
}
#endif

// ---- PyTorch's gradients -------------------------------------------------------------------

// Loads tests/fixtures/conv_grad_<name>.safetensors into the layer, runs forward and backward with
// its dy, and compares output, dx and the weight and bias gradients with PyTorch's.
template <class Spec, class In, class T>
void check_pytorch(const std::string& name) {
  using Model = ts::Model<Spec, In, ts::Cpu, T>;
  using Out = typename Model::Output;
  INFO("case " << name << " (" << (std::is_same_v<T, float> ? "float" : "double") << ")");
  const auto file = fixture("conv_grad_" + name);
  const auto x = fixture_values<T>(file, "input");
  const auto dy = fixture_values<T>(file, "dy");
  const index n = index(x.size() / In::size);
  REQUIRE(x.size() == std::size_t(n) * In::size);
  REQUIRE(dy.size() == std::size_t(n) * Out::size);

  Model m;
  for (const auto& e : m.tensors()) {
    const auto values = fixture_values<T>(file, e.name);
    REQUIRE(values.size() == e.size());
    std::copy(values.begin(), values.end(), e.value);
  }
  const bool has_bias = m.tensors().size() == 2;
  REQUIRE(file.tensors.count("bias") == (has_bias ? 1u : 0u));
  m.zero_grad();
  const auto y = m.forward(ts::View<In, const T>(x.data(), n));
  const double rtol = 1e-4, atol = 1e-5;
  check_close("output", y.data(), fixture_values<T>(file, "output").data(), y.size(), rtol, atol);
  const auto dx = m.backward_to_input(ts::View<Out, const T>(dy.data(), n));
  check_close("dx", dx.data(), fixture_values<T>(file, "dx").data(), dx.size(), rtol, atol);
  for (const auto& e : m.tensors())
    check_close("d" + e.name, e.grad, fixture_values<T>(file, "d" + e.name).data(), e.size(), rtol,
                atol);
}

template <class Spec, class In>
void check_pytorch_both(const std::string& name) {
  check_pytorch<Spec, In, float>(name);
  check_pytorch<Spec, In, double>(name);
}

TEST_CASE("Conv2d gradients match PyTorch") {
  check_pytorch_both<ts::Conv2d<4, 3, 1, 1>, ts::Shape<3, 6, 5>>("conv_k3p1");
  check_pytorch_both<ts::Conv2d<3, 3, 2, 0, no_bias, 2>, ts::Shape<2, 9, 8>>("conv_s2d2_nobias");
  check_pytorch_both<ts::Conv2d<4, 4, 2, 1>, ts::Shape<3, 8, 8>>("conv_dcgan");
}

TEST_CASE("ConvTranspose2d gradients match PyTorch") {
  check_pytorch_both<ts::ConvTranspose2d<3, 4, 2, 1, 0, no_bias>, ts::Shape<4, 4, 4>>(
      "convt_dcgan");
  check_pytorch_both<ts::ConvTranspose2d<4, 4>, ts::Shape<8, 1, 1>>("convt_dcgan_first");
  check_pytorch_both<ts::ConvTranspose2d<2, 3, 2, 1, 1>, ts::Shape<3, 3, 4>>("convt_outpad");
}

}  // namespace
