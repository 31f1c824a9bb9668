// Reparameterize: the VAE's sampling step z = mu + exp(logvar / 2) * eps, with the noise eps an
// explicit input rather than drawn inside (so a forward pass is a pure function of its inputs and
// the caller owns the randomness). Reads the pack Shapes<S, S, S> = (mu, logvar, eps) of three
// tensors of one shape S and gives Shape S. PyTorch's
//   std = torch.exp(0.5 * logvar); z = mu + eps * std
// from the PyTorch VAE example, with eps = torch.randn_like(std) passed in. No parameters.
//   Sequential<Reparameterize, Linear<400>, ReLU>          // the start of a VAE decoder
#pragma once

#include <string>
#include <type_traits>

#include "tessera/core/module.hpp"
#include "tessera/ops/reparameterize/reparameterize.hpp"

namespace tessera {

struct Reparameterize {
  template <class In>
  static constexpr auto check() {
    if constexpr (!ShapePack<In>)
      return Rule<"Reparameterize reads a pack Shapes<mu, logvar, eps> of three tensors">{};
    else if constexpr (In::count != 3)
      return Rule<"Reparameterize reads exactly three tensors: mu, logvar and eps">{};
    else if constexpr (!SingleShape<shape_at<0, In>>)
      return Rule<"Reparameterize: mu must be one tensor, not a pack; use FlattenPack first">{};
    else if constexpr (!std::is_same_v<shape_at<0, In>, shape_at<1, In>> ||
                       !std::is_same_v<shape_at<0, In>, shape_at<2, In>>)
      return Rule<"Reparameterize: mu, logvar and eps must have the same shape", expected<shape_at<0, In>>>{};
    else
      return ShapeOk{};
  }

  template <class In, class T, class Dev>
  struct Module : LeafModule {
    using input_shape = In;
    using output_shape = shape_at<0, In>;
    // Per element: a halving, an exponential, a product and a sum.
    static constexpr double flops = 4.0 * double(output_shape::size);

    static std::string describe() { return "Reparameterize(mu + exp(0.5 * logvar) * eps)"; }
    void forward(Ptr<const T, Dev> x, Ptr<T, Dev> y, index n, Ptr<T, Dev>, Context<T, Dev>&) {
      const std::size_t count = std::size_t(n) * output_shape::size;
      ops::reparameterize_forward(Dev{}, x, x + count, x + 2 * count, y, count);
    }
    void backward(Ptr<const T, Dev> x, Ptr<const T, Dev>, Ptr<const T, Dev> dy, Ptr<T, Dev> dx,
                  index n, Ptr<T, Dev>, Context<T, Dev>&) {
      if (!dx) return;
      const std::size_t count = std::size_t(n) * output_shape::size;
      ops::reparameterize_backward(Dev{}, x + count, x + 2 * count, dy, dx, dx + count,
                                   dx + 2 * count, count);
    }
  };
};

}  // namespace tessera
