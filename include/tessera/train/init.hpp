// Initialisers as torch.nn.init defines them (normal, uniform, constant, Xavier, Kaiming), applied
// by layer type over a model's parameters and drawn from the model's generator, so that a seed
// gives the same weights bit for bit. A model starts with PyTorch's default initialisation
// already; these replace it where a paper asks for another, as DCGAN does:
//   ts::dcgan_init(g);
//   ts::initialize(net, "Conv", "weight",
//                  ts::init::kaiming_normal({.mode = ts::FanMode::fan_out,
//                                            .nonlinearity = ts::Nonlinearity::relu}));
//   ts::initialize(net, {{"Linear", "weight", ts::init::xavier_uniform()},
//                        {"", "bias", ts::init::zeros()}});
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "tessera/core/module.hpp"
#include "tessera/core/random.hpp"
#include "tessera/core/tensor_entry.hpp"
#include "tessera/ops/elementwise/elementwise.hpp"

namespace tessera {

// A weight's fan-in and fan-out as PyTorch's nn.init._calculate_fan_in_and_fan_out computes them
// from its dims: dim 1 times the receptive field (the product of dims 2 and on) for fan_in, dim 0
// times it for fan_out. For a ConvTranspose2d weight (in, out, k, k) that makes fan_in out k k:
// PyTorch's convention, kept so that the same init gives the same distribution here.
struct Fans {
  std::int64_t fan_in = 0, fan_out = 0;
};

inline Fans fans_of(const Dims& dims) {
  if (dims.size() < 2)
    throw std::invalid_argument(
        "tessera: fan in and fan out cannot be computed for a tensor with fewer than 2 dimensions");
  std::int64_t receptive_field = 1;
  for (std::size_t k = 2; k < dims.size(); ++k) receptive_field *= dims[k];
  return {dims[1] * receptive_field, dims[0] * receptive_field};
}

enum class FanMode { fan_in, fan_out };
enum class Nonlinearity { linear, conv, sigmoid, tanh, relu, leaky_relu, selu };

// PyTorch's nn.init.calculate_gain: the factor that keeps activations' variance steady through the
// nonlinearity. `negative_slope` is leaky_relu's.
inline double gain_of(Nonlinearity nonlinearity, double negative_slope = 0.01) {
  switch (nonlinearity) {
    case Nonlinearity::linear:
    case Nonlinearity::conv:
    case Nonlinearity::sigmoid:
      return 1;
    case Nonlinearity::tanh:
      return 5.0 / 3;
    case Nonlinearity::relu:
      return std::sqrt(2.0);
    case Nonlinearity::leaky_relu:
      return std::sqrt(2.0 / (1 + negative_slope * negative_slope));
    case Nonlinearity::selu:
      return 3.0 / 4;
  }
  throw std::invalid_argument("tessera::gain_of: unknown nonlinearity");
}

namespace init {

// PyTorch's kaiming_uniform_ / kaiming_normal_ arguments, with its defaults.
struct KaimingOptions {
  double a = 0;  // the negative slope of the leaky_relu that follows
  FanMode mode = FanMode::fan_in;
  Nonlinearity nonlinearity = Nonlinearity::leaky_relu;
};

// How to fill a tensor. Xavier and Kaiming take their scale from the tensor's fans when applied.
struct Initializer {
  enum class Kind {
    constant,
    uniform,
    normal,
    xavier_uniform,
    xavier_normal,
    kaiming_uniform,
    kaiming_normal
  };
  Kind kind = Kind::constant;
  double a = 0, b = 0;  // constant: a; uniform: [a, b); normal: mean a, stddev b; Xavier: gain a
  KaimingOptions kaiming = {};
};

constexpr Initializer constant(double value) {
  return {Initializer::Kind::constant, value, 0};
}
constexpr Initializer zeros() {
  return constant(0);
}
constexpr Initializer ones() {
  return constant(1);
}
constexpr Initializer uniform(double low = 0, double high = 1) {
  return {Initializer::Kind::uniform, low, high};
}
constexpr Initializer normal(double mean = 0, double stddev = 1) {
  return {Initializer::Kind::normal, mean, stddev};
}
// U(-g sqrt(6 / (fan_in + fan_out)), +...)
constexpr Initializer xavier_uniform(double gain = 1) {
  return {Initializer::Kind::xavier_uniform, gain, 0};
}
// N(0, g sqrt(2 / (fan_in + fan_out)))
constexpr Initializer xavier_normal(double gain = 1) {
  return {Initializer::Kind::xavier_normal, gain, 0};
}
// U(-gain sqrt(3 / fan), +...), fan as `mode` picks and gain from the nonlinearity
constexpr Initializer kaiming_uniform(KaimingOptions options = {}) {
  return {Initializer::Kind::kaiming_uniform, 0, 0, options};
}
// N(0, gain / sqrt(fan))
constexpr Initializer kaiming_normal(KaimingOptions options = {}) {
  return {Initializer::Kind::kaiming_normal, 0, 0, options};
}

}  // namespace init

namespace detail {
// The values of one tensor as `how` draws them from `rng`, element by element in order.
template <class T, class Dev>
void fill_initial(const TensorEntry<T, Dev>& tensor, std::vector<T>& values,
                  const init::Initializer& how, Generator& rng) {
  using Kind = init::Initializer::Kind;
  auto fans = [&] {
    if (tensor.dims.size() < 2)
      throw std::invalid_argument(
          "tessera::initialize: Xavier and Kaiming need a weight of 2 or more dimensions; '" +
          tensor.name + "' has " + std::to_string(tensor.dims.size()));
    return fans_of(tensor.dims);
  };
  auto fill_uniform = [&](double low, double high) {
    for (T& v : values) v = T(rng.uniform(low, high));
  };
  auto fill_normal = [&](double mean, double stddev) {
    for (T& v : values) v = T(rng.normal(mean, stddev));
  };
  // sqrt(3) turns a deviation into the bound of a uniform distribution of that deviation.
  const double sqrt3 = std::sqrt(3.0);
  switch (how.kind) {
    case Kind::constant:
      for (T& v : values) v = T(how.a);
      return;
    case Kind::uniform:
      return fill_uniform(how.a, how.b);
    case Kind::normal:
      return fill_normal(how.a, how.b);
    case Kind::xavier_uniform:
    case Kind::xavier_normal: {
      const Fans f = fans();
      const double stddev = how.a * std::sqrt(2.0 / double(f.fan_in + f.fan_out));
      if (how.kind == Kind::xavier_uniform) return fill_uniform(-sqrt3 * stddev, sqrt3 * stddev);
      return fill_normal(0, stddev);
    }
    case Kind::kaiming_uniform:
    case Kind::kaiming_normal: {
      const Fans f = fans();
      const double fan = double(how.kaiming.mode == FanMode::fan_in ? f.fan_in : f.fan_out);
      const double stddev = gain_of(how.kaiming.nonlinearity, how.kaiming.a) / std::sqrt(fan);
      if (how.kind == Kind::kaiming_uniform) return fill_uniform(-sqrt3 * stddev, sqrt3 * stddev);
      return fill_normal(0, stddev);
    }
  }
}
}  // namespace detail

// Fills one tensor from `rng`: drawn on the host, so that a seed gives the same values on every
// device, then copied to the tensor's device.
template <class T, class Dev>
void initialize(const TensorEntry<T, Dev>& tensor, const init::Initializer& how, Generator& rng) {
  std::vector<T> values(tensor.size());
  detail::fill_initial(tensor, values, how, rng);
  ops::from_host(Dev{}, values.data(), tensor.value, values.size());
}

// Which parameters an initializer fills: those whose layer type starts with `layer` ("Conv"
// matches Conv2d and ConvTranspose2d, "BatchNorm" BatchNorm1d and BatchNorm2d, "" every layer) and
// whose name's last part is `tensor` ("weight", "bias"; "" any). A spectral-normalised layer's
// "weight_orig" counts as its "weight": in PyTorch, `m.weight.data.normal_()` after spectral_norm
// writes weight_orig, which shares the storage.
struct InitRule {
  std::string_view layer, tensor;
  init::Initializer how;

  bool matches(std::string_view layer_type, std::string_view name) const {
    if (!layer_type.starts_with(layer)) return false;
    if (tensor.empty()) return true;
    const std::string_view last = name.substr(name.rfind('.') + 1);
    return last == tensor || (last.ends_with("_orig") && last.substr(0, last.size() - 5) == tensor);
  }
};

// One pass over the model's parameters in forward order: each is filled by the first rule that
// matches it, from the model's generator, as PyTorch's `model.apply(weights_init)` visits layer by
// layer. Returns how many tensors were filled, so that a misspelt layer type shows as 0.
template <class M>
std::size_t initialize(M& model, std::initializer_list<InitRule> rules) {
  using Entry = TensorEntry<typename M::scalar, typename M::device>;
  std::size_t filled = 0;
  for (const Entry& e : model.tensors()) {
    if (e.kind != Entry::Kind::parameter) continue;
    for (const InitRule& rule : rules)
      if (rule.matches(e.layer, e.name)) {
        initialize(e, rule.how, model.generator());
        ++filled;
        break;
      }
  }
  return filled;
}

template <class M>
std::size_t initialize(M& model, std::string_view layer, std::string_view tensor,
                       const init::Initializer& how) {
  return initialize(model, {InitRule{layer, tensor, how}});
}

// DCGAN's weights_init (Radford et al., and the PyTorch DCGAN tutorial): convolution and
// transposed-convolution weights N(0, 0.02), batch-norm weights N(1, 0.02) and biases 0.
// Convolution biases keep their default (DCGAN's convolutions have none).
template <class M>
void dcgan_init(M& model) {
  initialize(model, {{"Conv", "weight", init::normal(0, 0.02)},
                     {"BatchNorm", "weight", init::normal(1, 0.02)},
                     {"BatchNorm", "bias", init::zeros()}});
}

}  // namespace tessera
