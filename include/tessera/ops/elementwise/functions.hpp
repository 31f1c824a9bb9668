// The elementwise functions of the activation layers, as named functors rather than lambdas: a
// backend runs them in its own map (ops::map calls f(x), ops::map_backward calls
// f.backward(x, y, dy)), and their types depend on the scalar only, so every layer of a model that
// uses ReLU shares one instantiation of the map. Each backward computes dL/dx as PyTorch's kernel
// does, from x or from y, in the same order of operations. second(x, y) is the second derivative
// f''(x), for second-order backward (ops::map_double_backward); piecewise-linear functions say so,
// and their second order skips it.
#pragma once

#include <cmath>

namespace tessera::ops::fn {

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
  T operator()(T x) const { return std::tanh(x); }
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
