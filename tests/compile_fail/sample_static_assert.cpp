// EXPECT: tessera sample
// Checks the compile-fail harness itself; needs no tessera header. Each file here starts with the
// line above: a CMake regex that must match within the first 15 lines of the compiler's errors.
template <class T>
inline constexpr bool always_false = false;

template <class T>
void reject() {
  static_assert(always_false<T>, "tessera sample: instantiating this must not compile");
}

int main() {
  reject<int>();
}
