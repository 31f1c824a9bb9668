// A string usable as a template argument: layer names (`Named<"encoder", L>`) and the text of
// compile-time shape rules travel in types this way, so the compiler prints them in its errors.
#pragma once

#include <cstddef>
#include <string_view>

namespace tessera {

template <std::size_t N>
struct FixedString {
  char text[N]{};
  constexpr FixedString(const char (&s)[N]) {
    for (std::size_t i = 0; i < N; ++i) text[i] = s[i];
  }
  constexpr std::string_view view() const { return {text, N - 1}; }
  constexpr bool empty() const { return N == 1; }
};

}  // namespace tessera
