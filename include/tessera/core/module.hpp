// The layer concept, written down once. A layer is a small *spec* type holding its
// hyperparameters (`Conv2d<64, 3>`); binding it to an input shape, a scalar type and a device
// gives its *module* (`Conv2d<64, 3>::Module<Shape<3, 32, 32>, float, Cpu>`), which holds pointers
// to its parameters and runs forward. Every pointer a module holds or takes is the device's
// (`Ptr<T, Dev>`, core/device.hpp): a module never touches memory itself, only through ops. See
// docs/layers.md for a walk through one layer.
#pragma once

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <concepts>
#include <cstdint>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "tessera/core/decimal.hpp"
#include "tessera/core/device.hpp"
#include "tessera/core/fixed_string.hpp"
#include "tessera/core/random.hpp"
#include "tessera/core/shape.hpp"

namespace tessera {

// A trainable tensor: its values and gradient live in the model's two contiguous blocks (one
// all-reduce can serve data-parallel training later); a module keeps only the pointers.
template <class T, class Dev = Cpu>
struct Param {
  Ptr<T, Dev> value{};
  Ptr<T, Dev> grad{};
};

// How a parameter or buffer starts out. The defaults each layer names are PyTorch's, so an
// untrained model is distributed like PyTorch's.
struct Init {
  enum class Kind { constant, uniform, normal, unit_normal } kind = Kind::constant;
  // constant: a; uniform: [a, b); normal: mean a, stddev b; unit_normal: N(0, 1) draws scaled to
  // length 1 (or divided by a where the length is below a), as PyTorch's normalize(randn(n), eps)
  double a = 0, b = 0;

  static constexpr Init constant(double value) { return {Kind::constant, value, 0}; }
  static constexpr Init zeros() { return constant(0); }
  static constexpr Init ones() { return constant(1); }
  static constexpr Init uniform(double low, double high) { return {Kind::uniform, low, high}; }
  static constexpr Init normal(double mean, double stddev) { return {Kind::normal, mean, stddev}; }
  static constexpr Init unit_normal(double eps) { return {Kind::unit_normal, eps, 0}; }
  // PyTorch's Linear/Conv default (kaiming_uniform with a = sqrt(5), and the bias rule): both
  // reduce to U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
  static Init fan_in_uniform(double fan_in) {
    const double bound = fan_in > 0 ? 1 / std::sqrt(fan_in) : 0;
    return uniform(-bound, bound);
  }
};

using Dims = std::vector<std::int64_t>;

// A layer whose forward depends on training or evaluation (BatchNorm's statistics, Dropout) holds a
// Mode and visits it (v.mode(mode)). Model::train and Model::eval set it for the whole model or for
// one submodule's subtree, as PyTorch's module.train(on) does; like PyTorch's modules, a layer
// starts in training mode. Backward follows the mode its forward ran in.
struct Mode {
  bool training = true;
};

// What a forward or backward call needs besides its tensors.
template <class T, class Dev = Cpu>
struct Context {
  Ptr<T, Dev> scratch{};     // temporary memory: the model's largest scratch_size times the batch
  Generator* rng = nullptr;  // Dropout masks (host state; a device draws from its seed)
  // Backward only. Combinators take the gradients flowing between their children from the front of
  // this region (gradient_size per sample) and hand the rest on, like a stack.
  Ptr<T, Dev> gradients{};
  bool parameter_grads = true;  // false: the model is frozen, only input gradients are wanted
  // Forward only. false: nothing is kept for a backward (inference), so a combinator passes its
  // intermediates through two buffers and lets its children share one region instead.
  bool backward_follows = true;
  // tangent_backward only (second order): the tangents' gradients between children, a second
  // stack laid out as `gradients`.
  Ptr<T, Dev> tangent_gradients{};
};

// The region after the first `used` elements per sample, for a combinator's children.
template <class T, class Dev>
Context<T, Dev> after(Context<T, Dev> cx, std::size_t used, index n) {
  cx.gradients += used * std::size_t(n);
  if (cx.tangent_gradients) cx.tangent_gradients += used * std::size_t(n);
  return cx;
}

// A tensor and its tangent side by side: the second-order calls take each tensor of forward and
// backward this way (see the contract below). `value` is what forward or backward takes, `tangent`
// its directional derivative along the direction the caller chose.
template <class P>
struct Dual {
  P value{};
  P tangent{};
};

// ---- Compile-time shape rules ---------------------------------------------------------------
// A layer's `check<In>()` returns ShapeOk, or a Rule whose text says in words what is wrong. The
// binding (bind_t) turns a broken rule into a failure that travels up as the layer's output shape,
// gathering the path of each enclosing layer on the way, and the model reports it once: it
// instantiates `shape_error`, whose name, printed first by the compiler, carries the layer's
// state_dict path, its input shape and the rule.

struct ShapeOk {};
template <FixedString Text, class... Detail>
struct Rule {};
template <class... S>
struct expected {};

// Where a broken rule sits: the layer's path as the state_dict names it ("encoder_down.1",
// "main.3"; "" is the model's own top layer).
template <FixedString Path>
struct at {};

// Words: empty on GCC, which prints a rule's text whole. Clang prints only the first 34 characters
// of a string template argument, so there the text comes again in pieces it prints whole:
// `rule_text<FixedString<31>{"Linear needs a flat input Shap"}, FixedString<28>{"e<F>; put ..."}>`.
template <class Where, class Input, class Broken, class... Words>
struct shape_error {
  static_assert(sizeof(Where) == 0,
                "tessera: shape error -- the line above names the layer (its state_dict path), its "
                "input shape and the rule it breaks");
};

template <FixedString... Pieces>
struct rule_text {};

namespace detail {
inline constexpr std::size_t rule_piece = 30;  // clang prints up to 34
template <FixedString Text, std::size_t I>
consteval auto rule_text_piece() {
  constexpr std::size_t size = sizeof(Text.text) - 1, at = I * rule_piece;
  constexpr std::size_t length = size - at < rule_piece ? size - at : rule_piece;
  char piece[length + 1] = {};
  for (std::size_t k = 0; k < length; ++k) piece[k] = Text.text[at + k];
  return FixedString<length + 1>(piece);
}
template <FixedString Text, std::size_t... I>
auto rule_text_of(std::index_sequence<I...>) -> rule_text<rule_text_piece<Text, I>()...>;
template <class Broken>
struct rule_words;
template <FixedString Text, class... Detail>
struct rule_words<Rule<Text, Detail...>> {
  using type = decltype(rule_text_of<Text>(
      std::make_index_sequence<(sizeof(Text.text) - 1 + rule_piece - 1) / rule_piece>{}));
};
}  // namespace detail

// A broken shape rule or layer contract on its way to the model, which reports it: the path so
// far (relative to the layer that holds it), and the input and rule, or what the layer lacks.
template <FixedString Path, class Input, class Broken>
struct shape_failure {};
template <FixedString Path, class Lacks>
struct contract_failure {};

// The output of a layer whose rule broke, carrying the failure; everything that reads it is
// skipped, so the first error is the only one.
template <class Failure>
struct BrokenShape {
  using failure = Failure;
  static constexpr std::size_t size = 0;
  static std::string to_string() { return "<invalid>"; }
  static std::string to_string_with_batch(index) { return "<invalid>"; }
};

// Whether a shape is, or holds, the output of a layer whose rule broke.
template <class S>
inline constexpr bool broken_v = false;
template <class F>
inline constexpr bool broken_v<BrokenShape<F>> = true;
template <class... S>
inline constexpr bool broken_v<Shapes<S...>> = (broken_v<S> || ...);

namespace detail {
// The BrokenShape of a broken shape, or of the first broken part of a pack.
template <class S>
struct first_broken;
template <class F>
struct first_broken<BrokenShape<F>> {
  using type = BrokenShape<F>;
};
template <class S0, class... S>
struct first_broken<Shapes<S0, S...>> {
  using type = typename std::conditional_t<broken_v<S0>, first_broken<S0>, first_broken<Shapes<S...>>>::type;
};
}  // namespace detail
template <class S>
using first_broken_t = typename detail::first_broken<S>::type;

// What a combinator's check returns when a part it binds to check its own rule broke (S holds
// that part's output): the failure travels on, with the path from the combinator to the part.
template <class S>
struct BrokenInside {
  using reported = S;
};

template <class L, class In>
inline constexpr bool shape_ok = std::is_same_v<decltype(L::template check<In>()), ShapeOk>;

// Stands in for a module whose rule broke or whose input could not be formed; never runs.
template <class In, class Out>
struct InvalidModule {
  using input_shape = In;
  using output_shape = Out;
  static constexpr std::size_t parameter_count = 0, buffer_count = 0, keep_size = 0, scratch_size = 0,
                               gradient_size = 0;
  static constexpr double flops = 0;
  static std::string describe() { return "<invalid>"; }
  template <class V>
  void visit(V&) {}
  template <class... A>
  void forward(A&&...) {}
  template <class... A>
  void backward(A&&...) {}
};

// What every bound module provides. Combinators rely on exactly this.
//   input_shape, output_shape   Shape or Shapes (per sample)
//   parameter_count             trainable elements, as PyTorch counts them
//   buffer_count                non-trainable elements of the scalar type (running statistics)
//   flops                       forward floating-point operations per sample (a multiply-add is 2)
//   keep_size                   elements per sample kept in the model's arena between forward and
//                               backward (intermediate activations, masks)
//   scratch_size                elements per sample of temporary memory a forward or backward
//                               call needs (cx.scratch; the contents do not survive the call)
//   gradient_size               elements per sample a backward takes from cx.gradients for the
//                               gradients between its children (0 for a leaf layer)
//   describe()                  PyTorch-like text for summaries
//   visit(v)                    hands every parameter, buffer and child to a visitor:
//                                 v.parameter(name, Param<T, Dev>&, Dims, Init)
//                                 v.buffer(name, Ptr<T, Dev>&, Dims, Init)
//                                 v.state(name, Ptr<T, Dev>&, Dims)  (fixed-size working memory
//                                                            that is not saved: BatchNorm's batch
//                                                            statistics for backward)
//                                 v.counter(name, std::int64_t&)
//                                 v.mode(Mode&)              (train/eval, for layers that differ)
//                                 v.scalar(name, double&)    (a runtime scalar the loop sets)
//                                 v.child(segment, module)   (segment "" adds no name)
// The tensors are the device's: x, y, dy as Ptr<const T, Dev>, dx and keep as Ptr<T, Dev>, cx a
// Context<T, Dev>.
//   forward(x, y, n, keep, cx)  reads n samples at x, writes n samples at y; keeps what backward
//                               needs in `keep` (keep_size per sample)
//   backward(x, y, dy, dx, n, keep, cx)
//                               after a forward of the same x, y, keep: given dy = dL/dy, writes
//                               dx = dL/dx (overwriting; dx may be null when nobody needs it) and
//                               *adds* dL/dparameter to each Param::grad (PyTorch's accumulation)
//                               unless cx.parameter_grads is false. x, y, dy are not modified.
// Second order, optional (the gradient penalties of train/penalty.hpp need it and name a layer
// that lacks it). Every tensor of forward and backward comes with its tangent, as a Dual:
//   tangent(x, y, n, keep, cx)  after forward(x.value, y.value, n, keep.value, ...): writes
//                               y.tangent = J x.tangent, the derivative of the output along
//                               x.tangent (J = dy/dx at x.value, the parameters held fixed);
//                               keep.tangent (keep_size per sample) is the layer's own, for what
//                               tangent_backward needs
//   tangent_backward(x, y, dy, dx, n, keep, cx) -> bool
//                               the backward of the pair (y, y.tangent) as a function of (x,
//                               x.tangent) and the parameters: given dy.value = dL/dy (null: zero)
//                               and dy.tangent = dL/d(y.tangent), writes
//                                 dx.tangent = J^T dy.tangent,
//                                 dx.value   = J^T dy.value + (d(J x.tangent)/dx)^T dy.tangent
//                               (either may be null: not wanted), *adds* dL/dparameter to each
//                               Param::grad unless cx.parameter_grads is false, and returns whether
//                               dL/dx can be nonzero: false (dx.value left alone) where it is zero,
//                               as for a layer linear or piecewise linear in x when dy.value is
//                               null. Combinators take the tangents' gradients between children from
//                               cx.tangent_gradients, a second stack laid out as cx.gradients.
// With y.tangent = J u and dL/d(y.tangent) = w, the parameter gradient is that of w.J u: how a loss
// on the input gradient g = J^T w reaches the parameters (for u = dLoss/dg). Backward is written in
// ops whose derivatives are ops again, so each layer's rule reuses its own forward and backward.
// The concept below states it; every spec is checked against it where it is bound (bind_t), and a
// module that breaks it is reported there once, by name, with what it lacks.
namespace detail {
// A visitor with every call of the contract, declared only: what `visit` must accept.
template <class T, class Dev>
struct ContractVisitor {
  void parameter(std::string_view, Param<T, Dev>&, Dims, Init);
  void buffer(std::string_view, Ptr<T, Dev>&, Dims, Init);
  void state(std::string_view, Ptr<T, Dev>&, Dims);
  void counter(std::string_view, std::int64_t&);
  void mode(Mode&);
  void scalar(std::string_view, double&);
  template <class M>
  void child(std::string_view, M&);
};
}  // namespace detail

// The contract in parts, so that a module that breaks it can be told which part it misses.
template <class M>
concept HasShapes = requires {
  typename M::input_shape;
  typename M::output_shape;
};
template <class M>
concept HasCounts = requires {
  { M::parameter_count } -> std::convertible_to<std::size_t>;
  { M::buffer_count } -> std::convertible_to<std::size_t>;
};
template <class M>
concept HasSizes = requires {
  { M::keep_size } -> std::convertible_to<std::size_t>;
  { M::scratch_size } -> std::convertible_to<std::size_t>;
  { M::gradient_size } -> std::convertible_to<std::size_t>;
};
template <class M>
concept HasFlops = requires {
  { M::flops } -> std::convertible_to<double>;
};
template <class M>
concept Describes = requires {
  { M::describe() } -> std::convertible_to<std::string>;
};
template <class M, class T, class Dev>
concept Visits = requires(M m, detail::ContractVisitor<T, Dev>& v) {
  m.visit(v);
};
template <class M, class T, class Dev>
concept Forwards = requires(M m, Ptr<const T, Dev> in, Ptr<T, Dev> out, index n,
                            Context<T, Dev>& cx) {
  m.forward(in, out, n, out, cx);
};
template <class M, class T, class Dev>
concept Backwards = requires(M m, Ptr<const T, Dev> in, Ptr<T, Dev> out, index n,
                             Context<T, Dev>& cx) {
  m.backward(in, in, in, out, n, out, cx);
};

// The optional second-order part of the contract.
template <class M, class T, class Dev>
concept SecondOrder = requires(M m, Dual<Ptr<const T, Dev>> in, Dual<Ptr<T, Dev>> out, index n,
                               Context<T, Dev>& cx) {
  m.tangent(in, out, n, out, cx);
  { m.tangent_backward(in, in, in, out, n, out, cx) } -> std::same_as<bool>;
};

// A layer without a second-order rule in a model that something differentiates twice (a gradient
// penalty): the compiler's first line names its module, its input shape within.
template <class Module>
struct no_second_order_rule {
  static_assert(sizeof(Module) == 0,
                "tessera: second order -- the layer above has no tangent/tangent_backward rule "
                "(docs/layers.md, \"Second order\"), so a gradient penalty cannot differentiate "
                "through it (BatchNorm mixes the samples of a batch: use LayerNorm or InstanceNorm2d)");
};

namespace detail {
// The first module inside M without a second-order rule (void if M has one): a combinator lacks
// one because a child does, and names the child (combinators list theirs as `children`, a
// std::tuple); a leaf names itself.
template <class T, class Dev, class M>
struct second_order_gap;
template <class T, class Dev, class Children>
struct first_second_order_gap {
  using type = void;
};
template <class T, class Dev, class C, class... Rest>
struct first_second_order_gap<T, Dev, std::tuple<C, Rest...>> {
  using here = typename second_order_gap<T, Dev, C>::type;
  using type = std::conditional_t<std::is_void_v<here>,
                                  typename first_second_order_gap<T, Dev, std::tuple<Rest...>>::type,
                                  here>;
};
template <class T, class Dev, class M>
struct second_order_gap {
  static auto find() {
    if constexpr (SecondOrder<M, T, Dev>) {
      return std::type_identity<void>{};
    } else if constexpr (requires { typename M::children; }) {
      using inside = typename first_second_order_gap<T, Dev, typename M::children>::type;
      return std::type_identity<std::conditional_t<std::is_void_v<inside>, M, inside>>{};
    } else {
      return std::type_identity<M>{};
    }
  }
  using type = typename decltype(find())::type;
};
}  // namespace detail

template <class M, class T, class Dev>
concept BoundModule = HasShapes<M> && HasCounts<M> && HasSizes<M> && HasFlops<M> && Describes<M> &&
    Visits<M, T, Dev> && Forwards<M, T, Dev> && Backwards<M, T, Dev>;

// A layer spec: its shape rule and its module for an input shape.
template <class L, class In, class T, class Dev>
concept LayerSpec = requires {
  L::template check<In>();
  typename L::template Module<In, T, Dev>;
};

// What a spec or its module lacks, as the contract error names it.
template <FixedString What>
struct lacks {};

// Where a layer breaks the contract: reported like a shape error, once.
template <class Where, class Lacks>
struct contract_error {
  static_assert(sizeof(Where) == 0,
                "tessera: layer contract -- the line above names the layer (its state_dict path) and "
                "what it or its module lacks (docs/layers.md, \"The layer contract\")");
};

namespace detail {
// The first part of the contract that M does not meet.
template <class M, class T, class Dev>
consteval auto contract_gap() {
  if constexpr (!HasShapes<M>)
    return lacks<"input_shape, output_shape">{};
  else if constexpr (!HasCounts<M>)
    return lacks<"parameter/buffer_count">{};
  else if constexpr (!HasSizes<M>)
    return lacks<"keep/scratch/gradient_size">{};
  else if constexpr (!HasFlops<M>)
    return lacks<"flops">{};
  else if constexpr (!Describes<M>)
    return lacks<"static describe()">{};
  else if constexpr (!Visits<M, T, Dev>)
    return lacks<"visit(v)">{};
  else if constexpr (!Forwards<M, T, Dev>)
    return lacks<"forward(x, y, n, keep, cx)">{};
  else
    return lacks<"backward(x,y,dy,dx,n,keep,cx)">{};
}
}  // namespace detail


// The position that adds no index to the path: the model's top layer, or the block of a
// Residual; a Named layer still adds its name.
inline constexpr std::size_t inline_position = std::size_t(-1);

namespace detail {
template <std::size_t N>
consteval auto index_text() {
  constexpr std::size_t digits = [] {
    std::size_t d = 1;
    for (std::size_t v = N; v >= 10; v /= 10) ++d;
    return d;
  }();
  char text[digits + 1] = {};
  std::size_t v = N;
  for (std::size_t i = digits; i-- > 0; v /= 10) text[i] = char('0' + v % 10);
  return FixedString<digits + 1>(text);
}

// "a.b" from "a" and "b"; an empty part adds nothing.
template <FixedString A, FixedString B>
consteval auto join_path() {
  constexpr std::size_t a = sizeof(A.text) - 1, b = sizeof(B.text) - 1;
  if constexpr (b == 0) {
    return A;
  } else if constexpr (a == 0) {
    return B;
  } else {
    char text[a + b + 2] = {};
    for (std::size_t i = 0; i < a; ++i) text[i] = A.text[i];
    text[a] = '.';
    for (std::size_t i = 0; i < b; ++i) text[a + 1 + i] = B.text[i];
    return FixedString<a + b + 2>(text);
  }
}

// The path segment of layer L at Position in its parent, as the state_dict names it (its index, or
// its name when Named), and where in L a rule of L's own is anchored (a UBlock's: its Down).
template <class L, std::size_t Position>
consteval auto segment_text() {
  if constexpr (requires { L::segment_name; })
    return L::segment_name;
  else if constexpr (Position == inline_position)
    return FixedString("");
  else
    return index_text<Position>();
}
template <class L>
consteval auto rule_anchor() {
  if constexpr (requires { L::rule_anchor; })
    return L::rule_anchor;
  else
    return FixedString("");
}

template <FixedString Segment, class Failure>
struct prefixed;
template <FixedString Segment, FixedString Path, class Input, class Broken>
struct prefixed<Segment, shape_failure<Path, Input, Broken>> {
  using type = shape_failure<join_path<Segment, Path>(), Input, Broken>;
};
template <FixedString Segment, FixedString Path, class Lacks>
struct prefixed<Segment, contract_failure<Path, Lacks>> {
  using type = contract_failure<join_path<Segment, Path>(), Lacks>;
};
template <FixedString Segment, class S>
using prefixed_shape = BrokenShape<typename prefixed<Segment, typename first_broken_t<S>::failure>::type>;

template <class L, class In, class T, class Dev, std::size_t Position>
consteval auto bind_layer() {
  constexpr auto segment = segment_text<L, Position>();
  if constexpr (broken_v<In>) {
    return std::type_identity<InvalidModule<In, first_broken_t<In>>>{};
  } else if constexpr (!LayerSpec<L, In, T, Dev>) {
    return std::type_identity<InvalidModule<
        In, BrokenShape<contract_failure<segment, lacks<"check<In>() or Module<In, T, Dev>">>>>>{};
  } else {
    using Checked = decltype(L::template check<In>());
    if constexpr (requires { typename Checked::reported; }) {
      return std::type_identity<InvalidModule<In, prefixed_shape<segment, typename Checked::reported>>>{};
    } else if constexpr (!std::is_same_v<Checked, ShapeOk>) {
      constexpr auto where = join_path<segment, rule_anchor<L>()>();
      return std::type_identity<InvalidModule<In, BrokenShape<shape_failure<where, In, Checked>>>>{};
    } else {
      using M = typename L::template Module<In, T, Dev>;
      if constexpr (!BoundModule<M, T, Dev>)
        return std::type_identity<InvalidModule<
            In, BrokenShape<contract_failure<segment, decltype(contract_gap<M, T, Dev>())>>>>{};
      else if constexpr (broken_v<typename M::output_shape>)
        return std::type_identity<InvalidModule<In, prefixed_shape<segment, typename M::output_shape>>>{};
      else
        return std::type_identity<M>{};
    }
  }
}

// Reports a failure that reached the model: the one error of a broken model.
template <class Failure>
struct report;
template <FixedString Path, class Input, class Broken>
struct report<shape_failure<Path, Input, Broken>> {
#if defined(__clang__)
  shape_error<at<Path>, Input, Broken, typename rule_words<Broken>::type> error;
#else
  shape_error<at<Path>, Input, Broken> error;
#endif
};
template <FixedString Path, class Lacks>
struct report<contract_failure<Path, Lacks>> {
  contract_error<at<Path>, Lacks> error;
};

template <class L, class In, class T, class Dev>
consteval auto bind_model() {
  using M = typename decltype(bind_layer<L, In, T, Dev, inline_position>())::type;
  if constexpr (broken_v<typename M::output_shape>)
    [[maybe_unused]] report<typename first_broken_t<typename M::output_shape>::failure> r;
  return std::type_identity<M>{};
}
}  // namespace detail

// The module of layer spec L for input shape In, as the child at Position of a combinator. A
// broken shape rule or layer contract makes it a stand-in whose output shape carries the failure
// up; the model reports it.
template <class L, class In, class T, class Dev, std::size_t Position = inline_position>
using bind_t = typename decltype(detail::bind_layer<L, In, T, Dev, Position>())::type;

// A model's top module: bind_t, and the report of a failure inside it, the one error.
template <class L, class In, class T, class Dev>
using bind_model_t = typename decltype(detail::bind_model<L, In, T, Dev>())::type;

// The output shape of layer L on input In, for a combinator's rule. Shapes depend on neither the
// scalar nor the device, so the CPU binding stands in; no code is generated for it.
template <class L, class In>
using shape_after_t = typename bind_t<L, In, float, Cpu>::output_shape;

// Elements per sample a forward needs at `keep` when cx.backward_follows is false: a combinator declares its
// own inference_size; a leaf layer fills its keep_size as part of its forward either way.
template <class M>
constexpr std::size_t inference_size_of() {
  if constexpr (requires { M::inference_size; })
    return M::inference_size;
  else
    return M::keep_size;
}

// Defaults for a leaf layer's module; a layer overrides what it needs.
struct LeafModule {
  static constexpr std::size_t parameter_count = 0, buffer_count = 0, keep_size = 0, scratch_size = 0,
                               gradient_size = 0;
  template <class V>
  void visit(V&) {}
};

// Defaults for a layer that maps each element on its own (activations): same shape out as in.
template <class In, int FlopsPerElement = 1>
struct ElementwiseModule : LeafModule {
  using input_shape = In;
  using output_shape = In;
  static constexpr double flops = FlopsPerElement * double(In::size);
};

// The rule of layers that take exactly one tensor of any shape.
template <FixedString Layer, class In>
constexpr auto one_tensor_check() {
  if constexpr (SingleShape<In>)
    return ShapeOk{};
  else
    return Rule<Layer>{};
}

// Naming of children: `Named<"encoder", L>` puts a name where the index would be.
template <class L>
struct segment_of {
  static constexpr std::string_view name{};
  static constexpr bool named = false;
};

// A child's index as its segment ("3"), held in place: a combinator's visit passes one for each
// child, and a std::string built and freed there each time was code in every combinator's visit.
class IndexSegment {
 public:
  explicit IndexSegment(std::size_t position) {
    do {
      text_[--start_] = char('0' + position % 10);
      position /= 10;
    } while (position);
  }
  operator std::string_view() const { return {text_ + start_, sizeof text_ - start_}; }

 private:
  char text_[20];  // the digits of any std::size_t
  std::size_t start_ = sizeof text_;
};

// The segment a combinator names its child by: the name of a Named child, else its index. Either
// converts to the std::string_view that v.child takes.
template <class L>
auto child_segment(std::size_t position) {
  if constexpr (segment_of<L>::named)
    return segment_of<L>::name;
  else
    return IndexSegment(position);
}

// Whether a layer adds a bias: `Conv2d<64, 3, 1, 0, no_bias>`.
enum class Bias { with_bias, no_bias };
inline constexpr Bias with_bias = Bias::with_bias;
inline constexpr Bias no_bias = Bias::no_bias;

// "0.2", as PyTorch prints a hyperparameter: shortest form that reads back the same.
inline std::string number_text(double v) {
  char buf[32];
  for (int precision = 1; precision < 18; ++precision) {
    std::snprintf(buf, sizeof buf, "%.*g", precision, v);
    if (std::strtod(buf, nullptr) == v) break;
  }
  return buf;
}

// "(3, 3)", as PyTorch prints a square kernel size or stride.
inline std::string pair_text(int a) { return "(" + std::to_string(a) + ", " + std::to_string(a) + ")"; }

// A module's describe() is a call of a plain function like these, with its hyperparameters as
// arguments: the text is built by code compiled once, not once per module type (a model names
// dozens; docs/performance.md, "Compile time").
namespace detail {
// "LeakyReLU(negative_slope=0.2)": a description whose one hyperparameter is a number.
inline std::string text_with_number(std::string_view before, double value, std::string_view after) {
  std::string s(before);
  s += number_text(value);
  s += after;
  return s;
}

// "Conv2d(3, 64, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))", as PyTorch prints a
// convolution or (with an output padding) a transposed one; options at their defaults are left out.
inline std::string conv_text(std::string_view name, int in, int out, int kernel, int stride, int padding,
                             int output_padding, int dilation, bool bias) {
  std::string s = std::string(name) + "(" + std::to_string(in) + ", " + std::to_string(out) +
                  ", kernel_size=" + pair_text(kernel) + ", stride=" + pair_text(stride);
  if (padding) s += ", padding=" + pair_text(padding);
  if (output_padding) s += ", output_padding=" + pair_text(output_padding);
  if (dilation != 1) s += ", dilation=" + pair_text(dilation);
  return s + (bias ? ")" : ", bias=False)");
}
}  // namespace detail

}  // namespace tessera
