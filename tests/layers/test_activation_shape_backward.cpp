// Backward of the activations, softmaxes, resampling, padding and cropping, reshaping, Embedding,
// Reparameterize and the pack layers (Select, FlattenPack): finite-difference checks in double
// (tests/support/gradcheck.hpp) over the variants whose index arithmetic differs, the values at a
// kink that finite differences cannot see, the float build against the double one, and
// compositions. PyTorch parity is in tests/parity/test_activation_shape_backward_parity.cpp.
#include <algorithm>
#include <bit>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <utility>
#include <vector>

#include "../support/gradcheck.hpp"

namespace ts = tessera;
using ts::testing::check_gradients;
using ts::testing::GradCheck;

namespace {

using ts::Shape;
using ts::Shapes;
constexpr auto bilinear = ts::UpsampleMode::bilinear;
constexpr auto nearest = ts::UpsampleMode::nearest;

using InputMaker = std::function<void(std::vector<double>&, ts::Generator&)>;

// Labels for an Embedding of at least `classes` rows, few of them so that rows repeat in a batch.
InputMaker labels(int classes) {
  return [classes](std::vector<double>& x, ts::Generator& rng) {
    for (double& v : x) v = double(rng.next() % std::uint64_t(classes));
  };
}

GradCheck with_labels(int classes) {
  GradCheck opt;
  opt.check_inputs = false;
  opt.make_input = labels(classes);
  return opt;
}

// View I of a pack laid out in `data`, n samples (the tensor itself for a single shape).
template <std::size_t I, class S, class T>
ts::View<ts::part_at<I, S>, T> part(std::vector<T>& data, ts::index n) {
  return {data.data() + std::size_t(n) * ts::pack_offset<I, S>(), n};
}

template <ts::AnyShape S>
constexpr std::size_t parts() {
  if constexpr (ts::SingleShape<S>)
    return 1;
  else
    return S::count;
}

// One forward and backward; returns the input gradient (all parts, one after the other) and the
// parameter gradients.
template <class Spec, class In, class T>
std::pair<std::vector<T>, std::vector<T>> gradients(ts::Model<Spec, In, ts::Cpu, T>& model,
                                                    std::vector<T> x, std::vector<T> dy,
                                                    ts::index n) {
  using Out = typename ts::Model<Spec, In, ts::Cpu, T>::Output;
  model.zero_grad();
  [&]<std::size_t... I>(std::index_sequence<I...>) {
    model.forward(part<I, In>(x, n)...);
  }
  (std::make_index_sequence<parts<In>()>{});
  const auto g = [&]<std::size_t... I>(std::index_sequence<I...>) {
    return model.backward_to_input(part<I, Out>(dy, n)...);
  }
  (std::make_index_sequence<parts<Out>()>{});
  // The parts of a pack's gradient lie one after the other from the first.
  const T* first;
  if constexpr (ts::SingleShape<In>)
    first = g.data();
  else
    first = std::get<0>(g).data();
  const auto grads = model.parameter_grads();
  return {std::vector<T>(first, first + std::size_t(n) * In::size),
          std::vector<T>(grads.begin(), grads.end())};
}

void check_close(const char* what, const std::vector<float>& got, const std::vector<double>& want) {
  REQUIRE(got.size() == want.size());
  for (std::size_t i = 0; i < want.size(); ++i) {
    INFO(what << "[" << i << "]: float " << got[i] << ", double " << want[i]);
    CHECK(std::abs(double(got[i]) - want[i]) <= 1e-4 * std::abs(want[i]) + 1e-5);
  }
}

// The float model's gradients against the double model's, from the same input, parameters and
// output gradient: every backward is instantiated and right in float too.
template <class Spec, ts::AnyShape In>
void check_float_matches_double(const InputMaker& make_input = {}) {
  constexpr ts::index n = 3;
  ts::Model<Spec, In, ts::Cpu, double> wide(1);
  ts::Model<Spec, In, ts::Cpu, float> narrow(1);
  using Out = typename decltype(wide)::Output;
  ts::Generator rng(5);
  auto to_float = [](const auto& v) {
    std::vector<float> out(v.size());
    std::transform(v.begin(), v.end(), out.begin(), [](double d) { return float(d); });
    return out;
  };
  // Float-representable values throughout, so that both models start from the same numbers.
  auto round = [&](std::vector<double>& v) {
    for (double& d : v) d = double(float(d));
  };
  auto values = wide.parameter_values();
  std::vector<double> p(values.begin(), values.end());
  round(p);
  std::copy(p.begin(), p.end(), values.begin());
  const std::vector<float> pf = to_float(p);
  std::copy(pf.begin(), pf.end(), narrow.parameter_values().begin());

  std::vector<double> x(std::size_t(n) * In::size), dy(std::size_t(n) * Out::size);
  if (make_input)
    make_input(x, rng);
  else
    for (double& v : x) v = rng.normal();
  for (double& v : dy) v = rng.normal();
  round(x);
  round(dy);

  const auto [dx, dp] = gradients(wide, x, dy, n);
  const auto [dxf, dpf] = gradients(narrow, to_float(x), to_float(dy), n);
  check_close("input gradient", dxf, dx);
  check_close("parameter gradient", dpf, dp);
}

}  // namespace

// ---- Activations --------------------------------------------------------------------------------

TEST_CASE("elementwise activations: finite differences", "[layers][backward]") {
  check_gradients<ts::LeakyReLU<0.2>, Shape<2, 3, 4>>();
  check_gradients<ts::LeakyReLU<>, Shape<5>>();
  check_gradients<ts::ELU<>, Shape<2, 3, 4>>();
  check_gradients<ts::ELU<0.5>, Shape<5>>();
  check_gradients<ts::Tanh, Shape<2, 3, 4>>();
  check_gradients<ts::Sigmoid, Shape<2, 3, 4>>();
}

// Float's tanh is tessera's own, in arithmetic that vectorises (ops::fn::tanh_float): its error
// against the exact tanh (double's, rounded to float the correctly rounded value) in units in the
// last place of that value, over every 61st float from 0 to 10 and their negatives, and through
// the layer's vectorised, threaded map.
double ulps(float got, double exact) {
  const float nearest = float(exact);
  const float ulp = std::nextafter(std::fabs(nearest), 2.f) - std::fabs(nearest);
  return std::fabs(double(got) - exact) / double(ulp);
}

TEST_CASE("Tanh in float: within 2 ulp of the exact tanh, odd, NaN for NaN", "[layers]") {
  const ts::ops::fn::Tanh<float> tanh_f;
  double worst = 0;
  float worst_at = 0;
  for (std::uint32_t bits = 0; bits <= std::bit_cast<std::uint32_t>(10.f); bits += 61) {
    const float x = std::bit_cast<float>(bits);
    for (const float v : {x, -x}) {
      const double e = ulps(tanh_f(v), std::tanh(double(v)));
      if (e > worst) worst = e, worst_at = v;
    }
  }
  INFO("worst " << worst << " ulp at x = " << worst_at);
  CHECK(worst <= 2.0);
  CHECK(worst > 0.5);  // the scan ran: no float tanh is correctly rounded everywhere
  CHECK(tanh_f(0.f) == 0.f);
  CHECK(std::signbit(tanh_f(-0.f)));
  CHECK(tanh_f(1e-30f) == 1e-30f);
  CHECK(tanh_f(10.f) == 1.f);
  CHECK(tanh_f(-50.f) == -1.f);
  CHECK(tanh_f(std::numeric_limits<float>::infinity()) == 1.f);
  CHECK(tanh_f(-std::numeric_limits<float>::infinity()) == -1.f);
  CHECK(std::isnan(tanh_f(std::numeric_limits<float>::quiet_NaN())));

  // The layer: a batch large enough for the threaded, vectorised loop.
  constexpr int size = 100000;
  ts::Model<ts::Tanh, Shape<size>> layer;
  ts::Tensor<Shape<size>> x(1);
  for (int i = 0; i < size; ++i) x.data()[i] = -12.f + 24.f * float(i) / float(size);
  const auto y = layer.predict(x);
  double layer_worst = 0;
  for (int i = 0; i < size; ++i)
    layer_worst = std::max(layer_worst, ulps(y.data()[i], std::tanh(double(x.data()[i]))));
  CHECK(layer_worst <= 2.0);
}

TEST_CASE("LeakyReLU and ELU take PyTorch's side of the kink at 0", "[layers][backward]") {
  // PyTorch's leaky_relu_backward and elu_backward use the negative branch at x = 0.
  const auto x = ts::Tensor<Shape<3>, double>::from({0.0, 1.5, -2.0});
  const auto dy = ts::Tensor<Shape<3>, double>::from({1.0, 1.0, 1.0});
  ts::Model<ts::LeakyReLU<0.2>, Shape<3>, ts::Cpu, double> leaky;
  leaky.forward(x);
  const auto dl = leaky.backward_to_input(dy);
  CHECK(dl[0] == 0.2);
  CHECK(dl[1] == 1.0);
  CHECK(dl[2] == 0.2);
  ts::Model<ts::ELU<0.5>, Shape<3>, ts::Cpu, double> elu;
  elu.forward(x);
  const auto de = elu.backward_to_input(dy);
  CHECK(de[0] == 0.5);
  CHECK(de[1] == 1.0);
  CHECK(de[2] == Approx(0.5 * std::exp(-2.0)));
}

TEST_CASE("Softmax and LogSoftmax: over features, over channels, across block boundaries",
          "[layers][backward]") {
  check_gradients<ts::Softmax, Shape<5>>();
  check_gradients<ts::Softmax, Shape<4, 3, 3>>();
  check_gradients<ts::LogSoftmax, Shape<5>>();
  check_gradients<ts::LogSoftmax, Shape<4, 3, 3>>();
  // 100 positions per channel: a full block of 64 and a partial one.
  check_gradients<ts::Softmax, Shape<3, 10, 10>>();
  check_gradients<ts::LogSoftmax, Shape<3, 10, 10>>();
}

// ---- Resampling ---------------------------------------------------------------------------------

TEST_CASE("Upsample: nearest and bilinear, scales 2 and 3", "[layers][backward]") {
  check_gradients<ts::Upsample<2>, Shape<2, 3, 4>>();
  check_gradients<ts::Upsample<3>, Shape<2, 3, 4>>();
  check_gradients<ts::Upsample<2, bilinear>, Shape<2, 3, 4>>();
  check_gradients<ts::Upsample<3, bilinear>, Shape<2, 3, 4>>();
  // 300 output columns: more than one block of the column table.
  check_gradients<ts::Upsample<3>, Shape<1, 2, 100>>();
  check_gradients<ts::Upsample<3, bilinear>, Shape<1, 2, 100>>();
}

TEST_CASE("Resize: up and down, bilinear and nearest, unequal factors per axis",
          "[layers][backward]") {
  check_gradients<ts::Resize<7, 5>, Shape<2, 4, 3>>();
  check_gradients<ts::Resize<3, 2>, Shape<2, 7, 5>>();
  check_gradients<ts::Resize<6, 2>, Shape<2, 4, 5>>();  // up in height, down in width
  check_gradients<ts::Resize<7, 5, nearest>, Shape<2, 4, 3>>();
  check_gradients<ts::Resize<3, 2, nearest>, Shape<2, 7, 5>>();
  check_gradients<ts::Resize<4, 3>, Shape<2, 4, 3>>();  // the same size: a copy
}

// ---- Padding and cropping -----------------------------------------------------------------------

TEST_CASE("ZeroPad2d and ReflectionPad2d: even and asymmetric paddings", "[layers][backward]") {
  check_gradients<ts::ZeroPad2d<1>, Shape<2, 4, 5>>();
  check_gradients<ts::ZeroPad2d<1, 0, 2, 3>, Shape<2, 4, 5>>();
  check_gradients<ts::ReflectionPad2d<2>, Shape<2, 4, 5>>();
  check_gradients<ts::ReflectionPad2d<1, 2, 0, 3>, Shape<2, 4, 5>>();
  // Paddings nearly the extent: the left and right mirrors overlap on the same input columns.
  check_gradients<ts::ReflectionPad2d<3, 3, 3, 3>, Shape<1, 4, 4>>();
}

TEST_CASE("CenterCrop: odd and even excess, rectangular, no crop", "[layers][backward]") {
  check_gradients<ts::CenterCrop<4, 4>, Shape<2, 7, 7>>();
  check_gradients<ts::CenterCrop<4, 4>, Shape<2, 8, 8>>();
  check_gradients<ts::CenterCrop<4, 4>, Shape<2, 9, 9>>();  // offset 2 (round half to even)
  check_gradients<ts::CenterCrop<3, 5>, Shape<2, 8, 6>>();
  check_gradients<ts::CenterCrop<3, 4>, Shape<2, 3, 4>>();
}

// ---- Reshaping, Embedding, packs ----------------------------------------------------------------

TEST_CASE("Flatten and Reshape", "[layers][backward]") {
  check_gradients<ts::Flatten, Shape<2, 3, 4>>();
  check_gradients<ts::Reshape<Shape<2, 12>>, Shape<4, 6>>();
}

TEST_CASE("Embedding: weight gradients, rows hit several times", "[layers][backward]") {
  check_gradients<ts::Embedding<10, 4>, Shape<>>(with_labels(4));
  check_gradients<ts::Embedding<10, 4>, Shape<1>>(with_labels(4));
  check_gradients<ts::Embedding<10, 4>, Shape<5>>(with_labels(10));
}

TEST_CASE("Embedding: zero input gradient, accumulation, a frozen table", "[layers][backward]") {
  ts::Model<ts::Embedding<5, 2>, Shape<3>, ts::Cpu, double> model;
  const auto x = ts::Tensor<Shape<3>, double>::from({1, 3, 1, 0, 1, 4});
  const auto dy = ts::Tensor<Shape<3, 2>, double>::from({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12});
  model.zero_grad();
  model.forward(x);
  const auto dx = model.backward_to_input(dy);
  for (std::size_t i = 0; i < dx.size(); ++i) CHECK(dx[i] == 0.0);
  // Row 1 is read three times (positions 0, 2 and 4), rows 0, 3 and 4 once, row 2 never.
  const std::vector<double> want{7, 8, 1 + 5 + 9, 2 + 6 + 10, 0, 0, 3, 4, 11, 12};
  auto grads = model.parameter_grads();
  CHECK(std::vector<double>(grads.begin(), grads.end()) == want);

  model.forward(x);
  model.backward(dy);  // PyTorch's accumulation: the gradients add up until zero_grad
  for (std::size_t i = 0; i < want.size(); ++i) CHECK(grads[i] == 2 * want[i]);

  model.requires_grad(false);
  model.forward(x);
  model.backward(dy);
  for (std::size_t i = 0; i < want.size(); ++i) CHECK(grads[i] == 2 * want[i]);
}

TEST_CASE("Reparameterize: gradients of mu, logvar and eps", "[layers][backward]") {
  check_gradients<ts::Reparameterize, Shapes<Shape<4>, Shape<4>, Shape<4>>>();
  check_gradients<ts::Reparameterize, Shapes<Shape<2, 3>, Shape<2, 3>, Shape<2, 3>>>();
}

TEST_CASE("Select: reordered, repeated and left-out tensors; one tensor alone",
          "[layers][backward]") {
  check_gradients<ts::Select<1, 0>, Shapes<Shape<2>, Shape<3>>>();
  // Tensor 2 twice (its gradient is the sum), tensor 1 not at all (zeros).
  check_gradients<ts::Select<2, 0, 2>, Shapes<Shape<2>, Shape<3>, Shape<4>>>();
  check_gradients<ts::Select<1>, Shapes<Shape<2>, Shape<3, 2>>>();
}

TEST_CASE("FlattenPack in a VAE's sampling step", "[layers][backward]") {
  // (x, eps) -> ((mu, logvar), eps) -> (mu, logvar, eps) -> z -> a linear decoder.
  using Net = ts::Sequential<ts::Parallel<ts::Branches<ts::Linear<3>, ts::Linear<3>>, ts::Identity>,
                             ts::FlattenPack, ts::Reparameterize, ts::Linear<2>>;
  check_gradients<Net, Shapes<Shape<4>, Shape<3>>>();
}

// ---- Compositions -------------------------------------------------------------------------------

TEST_CASE("a decoder: Linear, Reshape, Upsample, ZeroPad2d, Flatten, Linear, Tanh",
          "[layers][backward]") {
  using Net = ts::Sequential<ts::Linear<18>, ts::Reshape<Shape<2, 3, 3>>, ts::Upsample<2, bilinear>,
                             ts::ZeroPad2d<1, 0, 1, 0>, ts::Flatten, ts::Linear<4>, ts::Tanh>;
  check_gradients<Net, Shape<5>>();
}

TEST_CASE("pads, crops, resizes and softmaxes in one chain", "[layers][backward]") {
  using Net = ts::Sequential<ts::Linear<32>, ts::Reshape<Shape<2, 4, 4>>, ts::ReflectionPad2d<1>,
                             ts::CenterCrop<5, 5>, ts::Resize<3, 4>, ts::Upsample<2>, ts::Softmax,
                             ts::LeakyReLU<0.2>, ts::Flatten, ts::Linear<3>, ts::ELU<>, ts::Sigmoid,
                             ts::LogSoftmax>;
  check_gradients<Net, Shape<6>>();
}

TEST_CASE("a conditional GAN's input: label embedding, reordered, joined", "[layers][backward]") {
  // cat(embedding(labels), noise) -> Linear: the noise gradient is not checked (check_inputs is
  // off for the labels), the Embedding's and Linears' are, through Select and Cat.
  using Net = ts::Sequential<ts::Parallel<ts::Identity, ts::Embedding<10, 3>>, ts::Select<1, 0>,
                             ts::Cat, ts::Linear<4>, ts::Sigmoid>;
  GradCheck opt = with_labels(10);
  opt.make_input = [](std::vector<double>& x, ts::Generator& rng) {
    const std::size_t noise = x.size() / 6 * 5;  // the whole batch's noise, then its labels
    for (std::size_t i = 0; i < x.size(); ++i)
      x[i] = i < noise ? rng.normal() : double(rng.next() % 10);
  };
  check_gradients<Net, Shapes<Shape<5>, Shape<>>>(opt);
}

TEST_CASE("batches large enough to split over the cores", "[layers][backward]") {
  // Over 32768 elements in the batch of 3, where the ops go parallel. The loss then sums some 50000
  // terms, whose rounding swamps differences over a step of 1e-6; 1e-4 still leaves the
  // truncation error of central differences below the tolerance.
  GradCheck opt;
  opt.eps = 1e-4;
  check_gradients<ts::Tanh, Shape<12000>>(opt);
  check_gradients<ts::Softmax, Shape<16, 32, 32>>(opt);
  check_gradients<ts::LogSoftmax, Shape<12000>>(opt);
  check_gradients<ts::Upsample<2>, Shape<4, 32, 32>>(opt);
  check_gradients<ts::Upsample<2, bilinear>, Shape<4, 32, 32>>(opt);
  check_gradients<ts::ReflectionPad2d<2>, Shape<4, 64, 64>>(opt);
  check_gradients<ts::ZeroPad2d<2>, Shape<4, 64, 64>>(opt);
  check_gradients<ts::Reparameterize, Shapes<Shape<12000>, Shape<12000>, Shape<12000>>>(opt);
}

// ---- Float --------------------------------------------------------------------------------------

TEST_CASE("every backward in float agrees with double", "[layers][backward]") {
  check_float_matches_double<ts::LeakyReLU<0.2>, Shape<2, 3, 4>>();
  check_float_matches_double<ts::ELU<0.5>, Shape<2, 3, 4>>();
  check_float_matches_double<ts::Tanh, Shape<2, 3, 4>>();
  check_float_matches_double<ts::Sigmoid, Shape<2, 3, 4>>();
  check_float_matches_double<ts::Softmax, Shape<5>>();
  check_float_matches_double<ts::Softmax, Shape<3, 10, 10>>();
  check_float_matches_double<ts::LogSoftmax, Shape<5>>();
  check_float_matches_double<ts::LogSoftmax, Shape<3, 10, 10>>();
  check_float_matches_double<ts::Upsample<3>, Shape<2, 3, 4>>();
  check_float_matches_double<ts::Upsample<3, bilinear>, Shape<2, 3, 4>>();
  check_float_matches_double<ts::Resize<3, 2>, Shape<2, 7, 5>>();
  check_float_matches_double<ts::ZeroPad2d<1, 0, 2, 3>, Shape<2, 4, 5>>();
  check_float_matches_double<ts::ReflectionPad2d<1, 2, 0, 3>, Shape<2, 4, 5>>();
  check_float_matches_double<ts::CenterCrop<3, 5>, Shape<2, 8, 6>>();
  check_float_matches_double<ts::Flatten, Shape<2, 3, 4>>();
  check_float_matches_double<ts::Reshape<Shape<2, 12>>, Shape<4, 6>>();
  check_float_matches_double<ts::Embedding<10, 4>, Shape<5>>(labels(10));
  check_float_matches_double<ts::Reparameterize, Shapes<Shape<4>, Shape<4>, Shape<4>>>();
  check_float_matches_double<ts::Select<2, 0, 2>, Shapes<Shape<2>, Shape<3>, Shape<4>>>();
  check_float_matches_double<
      ts::Sequential<ts::Branches<ts::Branches<ts::Linear<2>, ts::Identity>, ts::Identity>,
                     ts::FlattenPack, ts::Cat>,
      Shape<3>>();
}
