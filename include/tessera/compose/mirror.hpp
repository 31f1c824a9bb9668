// `Mirror<Encoder, Input, Final>`: the decoder that undoes an encoder's shapes, derived from it.
// The encoder is a Sequential whose levels each start with a weight layer (Linear or Conv2d) and
// go on with shape-keeping layers (activations, norms, dropout). The decoder takes the levels in
// reverse: each weight layer becomes the layer that maps its output back to its input (Linear to
// the input width; Conv2d to ConvTranspose2d with the same kernel, stride, padding and dilation and
// the output_padding that restores the size exactly), followed by the trailing layers of the level
// before it; the last decoder level ends in Final (none by default). A static_assert proves that
// the decoder gives back the encoder's input shape.
//   Mirror<Sequential<Linear<400>, ReLU, Linear<20>>, Shape<784>, Sigmoid>::decoder
//     == Sequential<Linear<400>, ReLU, Linear<784>, Sigmoid>
//   Autoencoder<Encoder, Input, Final> = Sequential<Named<"encoder", Encoder>, Named<"decoder", decoder>>
#pragma once

#include <array>
#include <cstddef>
#include <tuple>
#include <type_traits>
#include <utility>

#include "tessera/compose/named.hpp"
#include "tessera/compose/sequential.hpp"
#include "tessera/layers/conv2d.hpp"
#include "tessera/layers/conv_transpose2d.hpp"
#include "tessera/layers/linear.hpp"

namespace tessera {

namespace detail {
// Layers that start a level and are mirrored; every other layer must keep its input's shape.
template <class L>
inline constexpr bool mirror_weight = false;
template <int O, Bias B>
inline constexpr bool mirror_weight<Linear<O, B>> = true;
template <int O, int K, int S, int P, Bias B, int D>
inline constexpr bool mirror_weight<Conv2d<O, K, S, P, B, D>> = true;

// The layer that maps Out (the encoder layer's output) back to In (its input).
template <class L, class In, class Out>
struct mirrored {
  static_assert(sizeof(L) == 0, "tessera: Mirror can only invert Linear and Conv2d layers");
};
template <int O, Bias B, class In, class Out>
struct mirrored<Linear<O, B>, In, Out> {
  using type = Linear<In::dims[0], B>;
};
template <int O, int K, int S, int P, Bias B, int D, class In, class Out>
struct mirrored<Conv2d<O, K, S, P, B, D>, In, Out> {
  // ConvTranspose2d gives (h - 1) S - 2 P + D (K - 1) + 1 + output_padding.
  static constexpr int pad_h = In::dims[1] - ((Out::dims[1] - 1) * S - 2 * P + D * (K - 1) + 1);
  static constexpr int pad_w = In::dims[2] - ((Out::dims[2] - 1) * S - 2 * P + D * (K - 1) + 1);
  static_assert(pad_h == pad_w,
                "tessera: Mirror: this Conv2d would need different output paddings for height and width");
  static_assert(pad_h >= 0 && (pad_h < S || pad_h < D),
                "tessera: Mirror: no output_padding of ConvTranspose2d restores this Conv2d's input size");
  using type = ConvTranspose2d<In::dims[0], K, S, P, pad_h, B, D>;
};

// The decoder as a list of entries: mirror encoder layer i, copy encoder layer i, or Final.
struct MirrorEntry {
  enum Kind { mirror, copy, final } kind;
  std::size_t index;
};

template <std::size_t N>
constexpr std::size_t mirror_plan_size(const std::array<bool, N>& weight, bool has_final) {
  std::size_t weights = 0;
  for (bool w : weight) weights += w;
  // Every layer appears once, except the last level's trailing layers (replaced by Final).
  std::size_t last = N;
  for (std::size_t i = N; i-- > 0;)
    if (weight[i]) {
      last = i;
      break;
    }
  return weights + (last + 1 - weights) + (has_final ? 1 : 0);
}

template <std::size_t M, std::size_t N>
constexpr std::array<MirrorEntry, M> mirror_plan(const std::array<bool, N>& weight, bool has_final) {
  std::array<std::size_t, N + 1> starts{};
  std::size_t levels = 0;
  for (std::size_t i = 0; i < N; ++i)
    if (weight[i]) starts[levels++] = i;
  std::array<MirrorEntry, M> plan{};
  std::size_t m = 0;
  for (std::size_t k = levels; k-- > 0;) {
    plan[m++] = {MirrorEntry::mirror, starts[k]};
    if (k > 0)
      for (std::size_t i = starts[k - 1] + 1; i < starts[k]; ++i) plan[m++] = {MirrorEntry::copy, i};
    else if (has_final)
      plan[m++] = {MirrorEntry::final, 0};
  }
  return plan;
}

template <class Encoder, class In, class Final>
struct mirror_of;
template <class... L, class In, class Final>
struct mirror_of<Sequential<L...>, In, Final> {
  using bound = typename Sequential<L...>::template Module<In, float, Cpu>;
  static constexpr std::array<bool, sizeof...(L)> weight{mirror_weight<L>...};
  static_assert(weight[0], "tessera: Mirror: the encoder must start with a Linear or Conv2d layer");
  static constexpr bool has_final = !std::is_void_v<Final>;
  static constexpr std::size_t size = mirror_plan_size(weight, has_final);
  static constexpr auto plan = mirror_plan<size>(weight, has_final);

  template <MirrorEntry E>
  static auto entry() {
    if constexpr (E.kind == MirrorEntry::final) {
      return std::type_identity<Final>{};
    } else {
      using spec = std::tuple_element_t<E.index, std::tuple<L...>>;
      if constexpr (E.kind == MirrorEntry::copy)
        return std::type_identity<spec>{};
      else
        return std::type_identity<typename mirrored<spec, typename bound::template layer_t<E.index>::input_shape,
                                                    typename bound::template layer_t<E.index>::output_shape>::type>{};
    }
  }
  using type = decltype([]<std::size_t... J>(std::index_sequence<J...>) {
    return Sequential<typename decltype(entry<plan[J]>())::type...>{};
  }(std::make_index_sequence<size>{}));
};
}  // namespace detail

template <class Encoder, class Input, class Final = void>
struct Mirror {
  using encoder = Encoder;
  using decoder = typename detail::mirror_of<Encoder, Input, Final>::type;
  using code_shape = shape_after_t<Encoder, Input>;
  // The proof that the decoder inverts the encoder's shapes.
  static_assert(
      std::is_same_v<shape_after_t<decoder, code_shape>, Input>,
      "tessera: Mirror: the derived decoder does not give back the encoder's input shape");
};

// The autoencoder of an encoder and its mirror, named as a PyTorch module with `self.encoder` and
// `self.decoder` nn.Sequentials: "encoder.0.weight", ..., "decoder.0.weight", ...
template <class Encoder, class Input, class Final = void>
using Autoencoder =
    Sequential<Named<"encoder", Encoder>, Named<"decoder", typename Mirror<Encoder, Input, Final>::decoder>>;

}  // namespace tessera
