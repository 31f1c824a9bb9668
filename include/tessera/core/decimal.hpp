// A real number usable as a template argument on every C++20 compiler we support: `LeakyReLU<0.2>`,
// `BatchNorm2d<0.8>`, `Dropout<0.4>` read as PyTorch writes them, but clang before 18 rejects
// `double` template parameters. A `Decimal` is built from the literal at compile time and holds it
// exactly as a reduced fraction num / den with den a divisor of a power of ten, so equal literals
// (0.2, 0.20, 2e-1) give the same type, and errors print it readably: `tessera::Decimal{1, 5}`.
#pragma once

#include <concepts>
#include <cstdint>

namespace tessera {

namespace detail {
// Called only when a literal has no exact short decimal form; not constexpr, so using it at compile
// time stops the build with this function's name in the error.
inline double decimal_template_argument_has_no_short_exact_decimal_form() {
  return 0;
}
}  // namespace detail

struct Decimal {
  std::int64_t num = 0;
  std::int64_t den = 1;

  // The shortest fraction num / 10^k (k <= 18) that converts back to exactly v, then reduced.
  constexpr Decimal(double v) {  // NOLINT(google-explicit-constructor): `LeakyReLU<0.2>` needs it
    std::int64_t scale = 1;
    for (int k = 0; k <= 18; ++k) {
      const double scaled = v * double(scale);
      if (!(scaled > -9.2e18 && scaled < 9.2e18)) break;  // also stops NaN and infinities
      const auto n = std::int64_t(scaled < 0 ? scaled - 0.5 : scaled + 0.5);
      if (double(n) / double(scale) == v) {
        num = n;
        den = scale;
        reduce();
        return;
      }
      if (k < 18) scale *= 10;
    }
    detail::decimal_template_argument_has_no_short_exact_decimal_form();
  }
  template <std::integral I>
  constexpr Decimal(I v) : num(std::int64_t(v)) {}  // NOLINT(google-explicit-constructor)

  constexpr double value() const { return double(num) / double(den); }
  constexpr operator double() const { return value(); }  // NOLINT(google-explicit-constructor)

 private:
  constexpr void reduce() {
    std::int64_t a = num < 0 ? -num : num, b = den;
    while (b != 0) {
      const std::int64_t t = a % b;
      a = b;
      b = t;
    }
    if (a > 1) {
      num /= a;
      den /= a;
    }
  }
};

}  // namespace tessera
