// Embedding<NumEmbeddings, Dim>: row i of a learned NumEmbeddings x Dim table for each index i,
// PyTorch's nn.Embedding(NumEmbeddings, Dim). The input holds class indices in the scalar type (a
// label 3 is 3.0f): Shape<> (one label per sample, PyTorch's (n,) labels) and Shape<1> give
// Shape<Dim>, Shape<L> gives Shape<L, Dim>. An index that is not a whole number in [0, NumEmbeddings) throws
// std::out_of_range. Parameter "weight" (NumEmbeddings x Dim), N(0, 1) as PyTorch.
//   Sequential<Embedding<10, 10>, Flatten>         // a conditional GAN's label embedding
#pragma once

#include <algorithm>
#include <string>
#include <type_traits>

#include "tessera/core/module.hpp"
#include "tessera/ops/elementwise/elementwise.hpp"
#include "tessera/ops/embedding/embedding.hpp"

namespace tessera {

namespace detail {
// "Embedding(10, 10)", as PyTorch prints it.
inline std::string embedding_text(int count, int dim) {
  return "Embedding(" + std::to_string(count) + ", " + std::to_string(dim) + ")";
}
}  // namespace detail

template <int NumEmbeddings, int Dim>
struct Embedding {
  static_assert(NumEmbeddings > 0 && Dim > 0,
                "tessera: Embedding needs a positive number of embeddings and a positive dimension");

  template <class In>
  static constexpr auto check() {
    if constexpr (!ShapeOfRank<In, 0> && !ShapeOfRank<In, 1>)
      return Rule<"Embedding needs class indices: Shape<> (one label), or Shape<L>">{};
    else
      return ShapeOk{};
  }

  template <class In, class T, class Dev>
  struct Module : LeafModule {
    static constexpr int length = int(In::size);
    using input_shape = In;
    using output_shape = std::conditional_t<length == 1, Shape<Dim>, Shape<length, Dim>>;
    static constexpr std::size_t parameter_count = std::size_t(NumEmbeddings) * Dim;
    static constexpr double flops = 0;

    Param<T, Dev> weight;

    static std::string describe() { return detail::embedding_text(NumEmbeddings, Dim); }
    template <class V>
    void visit(V& v) {
      v.parameter("weight", weight, {NumEmbeddings, Dim}, Init::normal(0, 1));
    }
    void forward(Ptr<const T, Dev> x, Ptr<T, Dev> y, index n, Ptr<T, Dev>, Context<T, Dev>&) {
      ops::embedding_forward(Dev{}, x, weight.value, y, std::size_t(n) * length, NumEmbeddings, Dim);
    }
    // Indices have no gradient; a dx asked for (a model whose input is labels) is left all zeros.
    void backward(Ptr<const T, Dev> x, Ptr<const T, Dev>, Ptr<const T, Dev> dy, Ptr<T, Dev> dx,
                  index n, Ptr<T, Dev>, Context<T, Dev>& cx) {
      if (dx) ops::fill(Dev{}, dx, std::size_t(n) * length, T(0));
      if (cx.parameter_grads)
        ops::embedding_backward(Dev{}, x, dy, weight.grad, std::size_t(n) * length, Dim);
    }
  };
};

}  // namespace tessera
