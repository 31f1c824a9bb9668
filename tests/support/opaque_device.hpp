// A test-only device whose memory the host cannot touch: its pointer is a handle that does not
// convert to T*, and its ops are declared but never defined. tests/device/boundary.cpp compiles
// every layer, combinator and seed model in a Model against it, boundary_train.cpp every loss and
// optimizer (-fsyntax-only): code that reads device memory on the host, or hands an op host
// memory, does not compile. That is what keeps a
// second backend (CUDA) a matter of adding files.
//
// Include this before any tessera header: the layers call their ops by qualified name, which finds
// the overloads declared before the layer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "tessera/core/device.hpp"

namespace tessera::testing {

// A position in the device's memory: arithmetic and comparison, no dereference, no T*.
template <class T>
class OpaquePtr {
 public:
  OpaquePtr() = default;
  OpaquePtr(std::nullptr_t) {}
  template <class U>
    requires std::is_same_v<const U, T>
  OpaquePtr(OpaquePtr<U> other) : at_(other.position()) {}

  std::uintptr_t position() const { return at_; }
  explicit operator bool() const { return at_ != 0; }
  friend OpaquePtr operator+(OpaquePtr p, std::size_t n) { return OpaquePtr(p.at_ + n * sizeof(T)); }
  friend OpaquePtr operator-(OpaquePtr p, std::size_t n) { return OpaquePtr(p.at_ - n * sizeof(T)); }
  OpaquePtr& operator+=(std::size_t n) { return *this = *this + n; }
  friend std::ptrdiff_t operator-(OpaquePtr a, OpaquePtr b) {
    return (std::ptrdiff_t(a.at_) - std::ptrdiff_t(b.at_)) / std::ptrdiff_t(sizeof(T));
  }
  friend bool operator==(OpaquePtr, OpaquePtr) = default;
  friend auto operator<=>(OpaquePtr, OpaquePtr) = default;

 private:
  explicit OpaquePtr(std::uintptr_t at) : at_(at) {}
  std::uintptr_t at_ = 0;
};

// Owns n elements of the device's memory; allocation is the device's, so declared only.
template <class T>
class OpaqueBuffer {
 public:
  OpaqueBuffer();
  explicit OpaqueBuffer(std::size_t n);
  OpaqueBuffer(OpaqueBuffer&&) noexcept;
  OpaqueBuffer& operator=(OpaqueBuffer&&) noexcept;
  ~OpaqueBuffer();
  OpaquePtr<T> data() const;
  std::size_t size() const;
};

struct Opaque {
  static constexpr const char* name = "opaque";
  static constexpr bool host_memory = false;
  template <class T>
  using pointer = OpaquePtr<T>;
  template <class T>
  using buffer = OpaqueBuffer<T>;
};

// An op may take device pointers, host scalars and host structs (a geometry, the generator), but
// never host memory of the scalar type: that would be a host pointer where device memory belongs.
template <class A>
inline constexpr bool device_argument =
    !(std::is_pointer_v<std::decay_t<A>> &&
      std::is_arithmetic_v<std::remove_cv_t<std::remove_pointer_t<std::decay_t<A>>>>);

}  // namespace tessera::testing

// Declares op `name` for the Opaque device with any arguments but host memory, returning R.
#define TESSERA_OPAQUE_OP(R, name)                                                            \
  namespace tessera::ops {                                                                    \
  template <class... A>                                                                       \
    requires(tessera::testing::device_argument<A> && ...)                                     \
  R name(tessera::testing::Opaque, A&&...);                                                   \
  }

// The transfers, whose host side is a T* by design.
namespace tessera::ops {
template <class T>
void to_host(tessera::testing::Opaque, tessera::testing::OpaquePtr<const T>, T*, std::size_t);
template <class T>
void from_host(tessera::testing::Opaque, const T*, tessera::testing::OpaquePtr<T>, std::size_t);
}  // namespace tessera::ops
