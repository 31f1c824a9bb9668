// The elementwise functions of the activation layers, as named functors rather than lambdas: a
// backend runs them in its own map (ops::map calls f(x), ops::map_backward calls
// f.backward(x, y, dy)), and their types depend on the scalar only, so every layer of a model that
// uses ReLU shares one instantiation of the map. Each backward computes dL/dx as PyTorch's kernel
// does, from x or from y, in the same order of operations. second(x, y) is the second derivative
// f''(x), for second-order backward (ops::map_double_backward); piecewise-linear functions say so,
// and their second order skips it.
#pragma once

#include <bit>
#include <cmath>
#include <cstdint>
#include <type_traits>

namespace tessera::ops::fn {

// tanh of a float in arithmetic the compiler vectorises (std::tanh is a libm call per element,
// which kept a GAN generator's Tanh scalar): for |x| < 0.55 the odd Taylor series to x^17 (its
// remainder is below 1e-9 there), above 1 - 2 / (exp(2|x|) + 1) with exp(2|x|) as 2^n e^r,
// |r| <= ln 2 / 2, e^r by its Taylor series to r^7. Within 1.6 ulp of the exact tanh of every
// float (glibc's tanhf: 2.2; tests/layers/test_activation_shape_backward.cpp checks 2), odd
// (tanh(-0) = -0), +-1 from |x| = 10 on, NaN for NaN.
inline float tanh_float(float x) {
  const float a = std::fabs(x), a2 = a * a;
  float p = 6404582.f / 10854718875.f;
  p = p * a2 - 929569.f / 638512875.f;
  p = p * a2 + 21844.f / 6081075.f;
  p = p * a2 - 1382.f / 155925.f;
  p = p * a2 + 62.f / 2835.f;
  p = p * a2 - 17.f / 315.f;
  p = p * a2 + 2.f / 15.f;
  p = p * a2 - 1.f / 3.f;
  const float small = a + a * a2 * p;
  // exp(t) for t = 2 min(|x|, 10) (from 9.01 on tanh rounds to 1): n = t / ln 2 rounded (adding and
  // taking away 1.5 * 2^23 rounds to an integer), r = t - n ln 2 with ln 2 in two parts, 2^n from
  // n's bits.
  const float t = 2.f * (a < 10.f ? a : 10.f);
  const float n = (t * 1.44269504088896341f + 12582912.f) - 12582912.f;
  const float r = (t - n * 0.693145751953125f) - n * 1.42860682030941723e-6f;
  float e = 1.f / 5040;
  e = e * r + 1.f / 720;
  e = e * r + 1.f / 120;
  e = e * r + 1.f / 24;
  e = e * r + 1.f / 6;
  e = e * r + 0.5f;
  e = e * r + 1.f;
  e = e * r + 1.f;
  e *= std::bit_cast<float>((std::int32_t(n) + 127) << 23);
  const float big = 1.f - 2.f / (e + 1.f);
  const float y = std::copysign(a < 0.55f ? small : big, x);
  return x == x ? y : x;
}

template <class T>
struct Relu {
  T operator()(T x) const { return x > T(0) ? x : T(0); }
  T backward(T, T y, T dy) const { return y > T(0) ? dy : T(0); }
  static constexpr bool piecewise_linear = true;
  T second(T, T) const { return T(0); }
};

// From x, as PyTorch's leaky_relu_backward: the slope at 0 is `slope` (x > 0 picks the identity).
template <class T>
struct LeakyRelu {
  T slope;
  T operator()(T x) const { return x >= T(0) ? x : slope * x; }
  T backward(T x, T, T dy) const { return x > T(0) ? dy : slope * dy; }
  static constexpr bool piecewise_linear = true;
  T second(T, T) const { return T(0); }
};

// From x, as PyTorch's elu_backward for a non-inplace ELU: y + alpha would give alpha exp(x)
// without the exponential, but loses its digits where exp(x) is small next to alpha.
template <class T>
struct Elu {
  T alpha;
  T operator()(T x) const { return x > T(0) ? x : alpha * (std::exp(x) - T(1)); }
  T backward(T x, T, T dy) const { return x > T(0) ? dy : dy * alpha * std::exp(x); }
  static constexpr bool piecewise_linear = false;
  T second(T x, T) const { return x > T(0) ? T(0) : alpha * std::exp(x); }
};

// From y, as PyTorch's tanh_backward: no second tanh.
template <class T>
struct Tanh {
  T operator()(T x) const {
    if constexpr (std::is_same_v<T, float>)
      return tanh_float(x);
    else
      return std::tanh(x);
  }
  T backward(T, T y, T dy) const { return dy * (T(1) - y * y); }
  static constexpr bool piecewise_linear = false;
  T second(T, T y) const { return T(-2) * y * (T(1) - y * y); }
};

// From y, as PyTorch's sigmoid_backward (same order of operations): no second exponential.
template <class T>
struct Sigmoid {
  T operator()(T x) const { return T(1) / (T(1) + std::exp(-x)); }
  T backward(T, T y, T dy) const { return dy * (T(1) - y) * y; }
  static constexpr bool piecewise_linear = false;
  T second(T, T y) const { return (T(1) - y) * y * (T(1) - T(2) * y); }
};

}  // namespace tessera::ops::fn
