// Per-sample shapes known at compile time. The batch is a runtime number and never part of a
// Shape: `Shape<3, 64, 64>` is one RGB image, `Shape<100>` a feature vector, `Shape<>` a scalar.
// `Shapes<A, B>` is a pack of several tensors (a model's several inputs or outputs).
#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <type_traits>
#include <utility>

namespace tessera {

using index = std::ptrdiff_t;

namespace detail {
// A shape's text from its extents: one function for every Shape, rather than a string build
// compiled into each Shape<...> a model names (docs/performance.md, "Compile time").
// "Shape<3, 64, 64>", the way a person writes it.
inline std::string shape_text(const int* dims, int rank) {
  std::string s = "Shape<";
  for (int i = 0; i < rank; ++i) {
    if (i) s += ", ";
    s += std::to_string(dims[i]);
  }
  return s + ">";
}
// "[8, 3, 64, 64]", the batch first: the way torchinfo prints an output shape.
inline std::string batch_shape_text(index batch, const int* dims, int rank) {
  std::string s = "[" + std::to_string(batch);
  for (int i = 0; i < rank; ++i) s += ", " + std::to_string(dims[i]);
  return s + "]";
}
}  // namespace detail

template <int... Dims>
struct Shape {
  static_assert(((Dims > 0) && ...), "tessera: every extent of a Shape must be positive");
  static constexpr int rank = sizeof...(Dims);
  static constexpr std::array<int, sizeof...(Dims)> dims{Dims...};
  static constexpr std::size_t size = (std::size_t{1} * ... * std::size_t(Dims));

  template <int... Other>
  constexpr bool operator==(Shape<Other...>) const {
    return std::is_same_v<Shape, Shape<Other...>>;
  }

  // "Shape<3, 64, 64>", the way a person writes it.
  static std::string to_string() { return detail::shape_text(dims.data(), rank); }
  // "[8, 3, 64, 64]" for a batch of 8: the way torchinfo prints an output shape.
  static std::string to_string_with_batch(index batch) {
    return detail::batch_shape_text(batch, dims.data(), rank);
  }
};

template <class... S>
struct Shapes {
  static constexpr std::size_t count = sizeof...(S);
  static constexpr std::size_t size = (std::size_t{0} + ... + S::size);

  template <class... Other>
  constexpr bool operator==(Shapes<Other...>) const {
    return std::is_same_v<Shapes, Shapes<Other...>>;
  }
  static std::string to_string() {
    std::string s = "Shapes<";
    bool first = true;
    ((s += (first ? "" : ", ") + S::to_string(), first = false), ...);
    return s + ">";
  }
  static std::string to_string_with_batch(index batch) {
    std::string s;
    bool first = true;
    ((s += (first ? "" : ", ") + S::to_string_with_batch(batch), first = false), ...);
    return s;
  }
};

template <class T>
inline constexpr bool is_shape = false;
template <int... D>
inline constexpr bool is_shape<Shape<D...>> = true;

template <class T>
inline constexpr bool is_shapes = false;
template <class... S>
inline constexpr bool is_shapes<Shapes<S...>> = true;

template <class T>
concept SingleShape = is_shape<T>;
template <class T>
concept ShapePack = is_shapes<T>;
// One tensor of the given rank; false (not an error) for a pack.
template <class T, int Rank>
concept ShapeOfRank = is_shape<T> && (T::rank == Rank);
template <class T>
concept AnyShape = is_shape<T> || is_shapes<T>;

namespace detail {
template <std::size_t I, class Pack>
struct pack_element;
template <std::size_t I, class First, class... Rest>
struct pack_element<I, Shapes<First, Rest...>> : pack_element<I - 1, Shapes<Rest...>> {};
template <class First, class... Rest>
struct pack_element<0, Shapes<First, Rest...>> {
  using type = First;
};
}  // namespace detail

// The I-th shape of a pack.
template <std::size_t I, ShapePack P>
using shape_at = typename detail::pack_element<I, P>::type;

namespace detail {
template <std::size_t I, class S>
struct part_of {
  using type = S;
};
template <std::size_t I, class... S>
struct part_of<I, Shapes<S...>> : pack_element<I, Shapes<S...>> {};
}  // namespace detail

// How many tensors a model's inputs or outputs are: 1 for a Shape, the count of a pack.
template <AnyShape S>
constexpr std::size_t part_count() {
  if constexpr (ShapePack<S>)
    return S::count;
  else
    return 1;
}

// The I-th tensor of a model's inputs or outputs: shape_at for a pack, the shape itself for one.
template <std::size_t I, AnyShape S>
using part_at = typename detail::part_of<I, S>::type;

// Offset, in elements per sample, of the I-th tensor of a pack. A pack's tensors lie one after
// the other, each batch-major: [tensor 0 for all n samples][tensor 1 for all n samples]...
template <std::size_t I, class P>
constexpr std::size_t pack_offset() {
  return [&]<std::size_t... J>(std::index_sequence<J...>) {
    return (std::size_t{0} + ... + shape_at<J, P>::size);
  }(std::make_index_sequence<I>{});
}

}  // namespace tessera
