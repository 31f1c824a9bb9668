// FadeIn: y = (1 - alpha) a + alpha b on a pack Shapes<S, S>; ProGAN's fade-in of a newly grown
// block (a: the old path, upsampled; b: the new block's output), `torch.lerp(a, b, alpha)`. alpha
// is a runtime scalar, not a parameter: the training loop moves it from 0 to 1 with
// `model.set_scalar("<path>.alpha", value)`, and it starts at 0, where the new block has no effect.
//   Sequential<Branches<Upsample<2>, Sequential<Upsample<2>, Conv2d<C, 3, 1, 1>>>, FadeIn>
#pragma once

#include <string>

#include "tessera/core/module.hpp"
#include "tessera/ops/elementwise/elementwise.hpp"

namespace tessera {

struct FadeIn {
  template <class In>
  static constexpr auto check() {
    if constexpr (!ShapePack<In>)
      return Rule<"FadeIn blends a pack of two tensors, Shapes<S, S> (the old path and the new)">{};
    else if constexpr (In::count != 2)
      return Rule<"FadeIn blends a pack of two tensors, Shapes<S, S> (the old path and the new)">{};
    else if constexpr (!std::is_same_v<shape_at<0, In>, shape_at<1, In>>)
      return Rule<"FadeIn: the old and the new path give different shapes">{};
    else
      return ShapeOk{};
  }

  template <class In, class T, class Dev>
  struct Module : LeafModule {
    using S = shape_at<0, In>;
    using input_shape = In;
    using output_shape = S;
    static constexpr double flops = 3.0 * double(S::size);

    double alpha = 0;  // read at every forward and backward

    static std::string describe() { return "FadeIn()"; }
    template <class V>
    void visit(V& v) {
      v.scalar("alpha", alpha);
    }
    // The pack holds n samples of a, then n samples of b.
    void forward(Ptr<const T, Dev> x, Ptr<T, Dev> y, index n, Ptr<T, Dev>, Context<T, Dev>&) {
      const std::size_t count = std::size_t(n) * S::size;
      ops::blend(Dev{}, T(1 - alpha), x, T(alpha), x + count, y, count);
    }
    void backward(Ptr<const T, Dev>, Ptr<const T, Dev>, Ptr<const T, Dev> dy, Ptr<T, Dev> dx,
                  index n, Ptr<T, Dev>, Context<T, Dev>&) {
      if (!dx) return;
      const std::size_t count = std::size_t(n) * S::size;
      ops::scale(Dev{}, T(1 - alpha), dy, dx, count);
      ops::scale(Dev{}, T(alpha), dy, dx + count, count);
    }
  };
};

}  // namespace tessera
