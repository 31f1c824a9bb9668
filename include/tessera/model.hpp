// `Model<Spec, Input, Device, Scalar>` binds a layer spec to its input shape(s) and owns what the
// spec only describes: the parameters and gradients (two contiguous blocks), the buffers, the
// layers' working state, the activation arena (all in the device's memory), the train/eval modes
// and the random generator. Its views and tensors are the device's: forward takes and returns
// View<S, T, Dev>.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include "tessera/core/module.hpp"
#include "tessera/core/summary.hpp"
#include "tessera/core/tensor.hpp"
#include "tessera/core/tensor_entry.hpp"
#include "tessera/detail/layout.hpp"
#include "tessera/io/weights.hpp"
#include "tessera/ops/elementwise/elementwise.hpp"

namespace tessera {

namespace detail {
// Counts the elements of the layers' working state (v.state), before the blocks are laid out.
template <class T, class Dev>
struct StateSize {
  std::size_t total = 0;
  template <class P>
  void parameter(std::string_view, P&, Dims, Init) {}
  template <class P>
  void buffer(std::string_view, P&, Dims, Init) {}
  void state(std::string_view, Ptr<T, Dev>&, Dims dims) { total += Layout<T, Dev>::count(dims); }
  void counter(std::string_view, std::int64_t&) {}
  void mode(Mode&) {}
  void scalar(std::string_view, double&) {}
  template <class M>
  void child(std::string_view, M& m) {
    m.visit(*this);
  }
};

// The values an Init gives one tensor, drawn in order from rng.
template <class T>
void draw_initial(const Init& init, std::vector<T>& values, Generator& rng) {
  double squares = 0;
  for (T& v : values) {
    switch (init.kind) {
      case Init::Kind::constant: v = T(init.a); break;
      case Init::Kind::uniform: v = T(rng.uniform(init.a, init.b)); break;
      case Init::Kind::normal: v = T(rng.normal(init.a, init.b)); break;
      case Init::Kind::unit_normal:
        v = T(rng.normal(0, 1));
        squares += double(v) * double(v);
        break;
    }
  }
  if (init.kind == Init::Kind::unit_normal) {
    const double length = std::max(std::sqrt(squares), init.a);
    for (T& v : values) v = T(double(v) / length);
  }
}

// n elements of device memory, zeroed.
template <class T, class Dev>
Buffer<T, Dev> zeroed(std::size_t n) {
  Buffer<T, Dev> b(n);
  ops::fill(Dev{}, b.data(), n, T(0));
  return b;
}

// The batch of the first of several views (forward's inputs, backward's gradients).
template <class First, class... Rest>
index first_batch(const First& first, const Rest&...) {
  return index(first.batch());
}

}  // namespace detail

template <class Spec, AnyShape In, class Dev = Cpu, class T = float>
class Model {
 public:
  using module_type = bind_model_t<Spec, In, T, Dev>;
  using Input = In;
  // After a shape error (reported by bind_t, the only error) the model compiles on quietly with a
  // stand-in output.
  using Output = std::conditional_t<broken_v<typename module_type::output_shape>, In,
                                    typename module_type::output_shape>;
  using scalar = T;
  using device = Dev;

  static constexpr Input input_shape{};
  // The top module's path: "", or a Named spec's name (every state_dict key starts with it).
  static constexpr std::string_view root = segment_of<Spec>::name;
  static constexpr Output output_shape{};
  static constexpr std::size_t parameter_count = module_type::parameter_count;
  static constexpr std::size_t buffer_count = module_type::buffer_count;
  // Forward FLOPs for one sample (a multiply-add counts 2), as fvcore/ptflops count them.
  static constexpr double flops_per_sample = module_type::flops;
  // Arena bytes per sample for a forward: the kept activations, the output and the scratch.
  static constexpr std::size_t activation_bytes_per_sample =
      (module_type::keep_size + Output::size + module_type::scratch_size) * sizeof(T);
  // Arena bytes per sample for predict(), which keeps nothing for backward.
  static constexpr std::size_t inference_bytes_per_sample =
      (In::size + Output::size + inference_size_of<module_type>() + module_type::scratch_size) * sizeof(T);
  // What a backward adds per sample: the input gradient, those between layers and, for several
  // outputs, their gradients gathered into one pack.
  static constexpr std::size_t gradient_bytes_per_sample =
      ((SingleShape<Output> ? 0 : Output::size) + In::size + module_type::gradient_size) * sizeof(T);

  using Entry = TensorEntry<T, Dev>;

  explicit Model(std::uint64_t seed = 0) : rng_(seed) {
    detail::StateSize<T, Dev> states;
    module_->visit(states);
    values_ = detail::zeroed<T, Dev>(parameter_count);
    grads_ = detail::zeroed<T, Dev>(parameter_count);
    buffers_ = detail::zeroed<T, Dev>(buffer_count);
    states_ = detail::zeroed<T, Dev>(states.total);
    modes_.add_module(std::string(root));
    detail::Layout<T, Dev> layout{values_.data(),
                                  grads_.data(),
                                  buffers_.data(),
                                  states_.data(),
                                  entries_,
                                  modes_,
                                  scalars_,
                                  std::string(root),
                                  detail::layer_type(module_type::describe())};
    module_->visit(layout);
    if (layout.next_value != values_.data() + values_.size() ||
        layout.next_buffer != buffers_.data() + buffers_.size())
      throw std::logic_error("tessera: a layer's parameter_count disagrees with what it visits");
    reset_parameters();
  }
  Model(const Model&) = delete;
  Model& operator=(const Model&) = delete;
  // A model can be moved (returned from a function, kept in a vector) because nothing points into
  // the Model object itself: the tensor table points into the three blocks and into the module
  // (BatchNorm's num_batches_tracked), and the module points into the blocks; a moved vector keeps
  // its heap block and the module lives on the heap. A moved-from model may only be assigned to
  // or destroyed; anything else throws std::logic_error.
  Model(Model&&) noexcept = default;
  Model& operator=(Model&&) noexcept = default;

  // PyTorch's default initialisation of every parameter and buffer, from the model's generator
  // (drawn on the host, so that a seed gives the same model on every device).
  void reset_parameters() {
    std::vector<T> values;
    for (auto& e : entries_) {
      if (e.kind == Entry::Kind::counter) {
        *e.count = 0;
        continue;
      }
      values.resize(e.size());
      detail::draw_initial(e.init, values, rng_);
      ops::from_host(Dev{}, values.data(), e.value, values.size());
    }
  }

  // Sizes the arena for batches up to n now, so that no later forward or backward of that size
  // allocates.
  void reserve(index n) {
    live("reserve");
    if (n <= arena_batch_) return;
    arena_ = detail::zeroed<T, Dev>(std::size_t(n) * per_sample);
    arena_batch_ = n;
    last_batch_ = 0;  // the kept activations are gone
    input_gradient_ready_ = false;
  }

  // One view (or tensor) per model input; returns a view of the output, or a tuple of views for
  // several outputs, valid until the next forward.
  template <class... X>
  auto forward(const X&... xs) {
    live("forward");
    const index n = detail::first_batch(xs...);
    if (n <= 0) throw std::invalid_argument("tessera::Model::forward: the batch is empty");
    reserve(n);
    const CPtr x = gather_inputs(input_data(n), "forward", xs...);
    Context<T, Dev> cx{scratch_data(n), &rng_};
    module_->forward(x, output_data(n), n, kept_data(n), cx);
    input_gradient_ready_ = false;
    last_input_ = x;
    last_batch_ = n;
    return outputs_at(output_data(n), n);
  }

  // After a forward: dys holds dL/d(output), one view per output (zeros for an output the loss does
  // not use). Adds dL/d(parameter) to the gradients (as PyTorch accumulates; see zero_grad) unless
  // the model is frozen. The inputs given to forward must still hold their values.
  template <class... G>
  void backward(const G&... dys) {
    run_backward(false, true, dys...);
  }
  // The same, and returns dL/d(input): a view (a tuple of views for several inputs), valid until
  // the next forward or backward. This is how a loss on D(G(z)) reaches G: the gradient at D's
  // input is handed to G's backward.
  template <class... G>
  auto backward_to_input(const G&... dys) {
    run_backward(true, true, dys...);
    const index n = last_batch_;
    if constexpr (SingleShape<In>) {
      return View<In, const T, Dev>(input_grad_data(n), n);
    } else {
      return [&]<std::size_t... I>(std::index_sequence<I...>) {
        return std::tuple{View<shape_at<I, In>, const T, Dev>(
            input_grad_data(n) + std::size_t(n) * pack_offset<I, In>(), n)...};
      }(std::make_index_sequence<In::count>{});
    }
  }

  // Second order: a loss on an input gradient, as WGAN-GP's and R1's penalties are
  // (train/penalty.hpp builds them on these two calls; one input, one output). After a forward,
  // input_gradient(dy) returns g = d<dy, output>/d(input), what
  // torch.autograd.grad(output, input, dy, create_graph=True) returns, valid until the next
  // forward or backward; the parameter gradients are left alone, and dy is copied.
  // (The return type is deduced so that a Model of a pack input, which has no such View, still
  // declares it: clang 16 checks a member's declared return type with the class.)
  template <class G>
  auto input_gradient(const G& dy) {
    static_assert(SingleShape<In> && SingleShape<Output>,
                  "tessera: input_gradient and double_backward take a model with one input and one "
                  "output");
    if constexpr (SingleShape<In> && SingleShape<Output>) {
      run_backward(true, false, dy);
      const index n = last_batch_;
      if (tangent_arena_.size() < std::size_t(n) * tangent_per_sample)
        tangent_arena_ = detail::zeroed<T, Dev>(std::size_t(n) * tangent_per_sample);
      ops::copy(Dev{}, View<Output, const T, Dev>(dy).data(), tangent_dy(n), std::size_t(n) * Output::size);
      input_gradient_ready_ = true;
      return View<In, const T, Dev>(input_grad_data(n), n);
    }
  }
  // Then, given dg = dL/dg for a loss L on that g, adds dL/d(parameter) to the gradients (unless
  // frozen), as loss.backward() does after autograd.grad(create_graph=True). It runs the model's
  // tangent along dg and that tangent's backward (core/module.hpp, "Second order"): every layer
  // needs a second-order rule, and the first without one is a compile error that names it. The
  // forward's input must still hold its values.
  template <class G>
  void double_backward(const G& dg) {
    if constexpr (!SecondOrder<module_type, T, Dev>) {
      [[maybe_unused]] no_second_order_rule<
          typename detail::second_order_gap<T, Dev, module_type>::type> lacking;
    } else {
      live("double_backward");
      if (!input_gradient_ready_)
        throw std::logic_error(
            "tessera::Model::double_backward: call input_gradient after the forward first");
      const View<In, const T, Dev> u(dg);
      const index n = last_batch_;
      if (index(u.batch()) != n)
        throw std::invalid_argument("tessera::Model::double_backward: the batch of dg (" +
                                    std::to_string(u.batch()) + ") differs from the forward's (" +
                                    std::to_string(n) + ")");
      const P y_tangent = tangent_arena_.data();
      const P keep_tangent = y_tangent + std::size_t(n) * Output::size;
      const P gradients_tangent = tangent_dy(n) + std::size_t(n) * Output::size;
      const Dual<CPtr> x{last_input_, u.data()};
      const Dual<P> keep{kept_data(n), keep_tangent};
      Context<T, Dev> cx{scratch_data(n), &rng_};
      module_->tangent(x, Dual<P>{output_data(n), y_tangent}, n, keep, cx);
      Context<T, Dev> bx{scratch_data(n), &rng_, gradients_data(n), trainable()};
      bx.tangent_gradients = gradients_tangent;
      module_->tangent_backward(x, Dual<CPtr>{output_data(n), y_tangent}, Dual<CPtr>{CPtr{}, tangent_dy(n)},
                                Dual<P>{}, n, keep, bx);
    }
  }

  // Sets every parameter gradient to zero.
  void zero_grad() { ops::fill(Dev{}, grads_.data(), grads_.size(), T(0)); }
  // Freezes (false) or unfreezes the parameters whose names start with `prefix` (all by default):
  // optimizers skip frozen ones, and a fully frozen model computes no parameter gradients at all,
  // only input gradients (D during the G step of a GAN).
  void requires_grad(bool on, std::string_view prefix = "") {
    for (auto& e : entries_)
      if (e.kind == Entry::Kind::parameter && std::string_view(e.name).starts_with(prefix))
        e.requires_grad = on;
  }
  // The trainable parameters, for an optimizer.
  std::vector<Entry*> parameters() {
    std::vector<Entry*> out;
    for (auto& e : entries_)
      if (e.kind == Entry::Kind::parameter && e.requires_grad) out.push_back(&e);
    return out;
  }

  // Forward without keeping anything for backward (PyTorch's torch.no_grad()), in its own, smaller
  // arena: the activations pass through two buffers. The mode (train/eval) is the model's; the
  // result is valid until the next predict.
  template <class... X>
  auto predict(const X&... xs) {
    live("predict");
    const index n = detail::first_batch(xs...);
    if (n <= 0) throw std::invalid_argument("tessera::Model::predict: the batch is empty");
    constexpr std::size_t per = In::size + Output::size + inference_size_of<module_type>() + module_type::scratch_size;
    if (std::size_t(n) * per > inference_arena_.size())
      inference_arena_ = detail::zeroed<T, Dev>(std::size_t(n) * per);
    const P in = inference_arena_.data();
    const P out = in + std::size_t(n) * In::size;
    const P keep = out + std::size_t(n) * Output::size;
    const P scratch = keep + std::size_t(n) * inference_size_of<module_type>();
    const CPtr x = gather_inputs(in, "predict", xs...);
    Context<T, Dev> cx{scratch, &rng_};
    cx.backward_follows = false;
    module_->forward(x, out, n, keep, cx);
    return outputs_at(out, n);
  }

  // Training or evaluation mode (BatchNorm's statistics, Dropout), as PyTorch's module.train(on)
  // and module.eval(): for the whole model, or for the submodule at a state_dict path and
  // everything below it ("encoder", "main.3"), so that, say, Dropout can be off in a model that
  // trains, or a frozen encoder keep its running statistics. A model starts in training mode.
  void train(bool on = true) { modes_.set(on, root, "train"); }
  void train(bool on, std::string_view path) { modes_.set(on, path, "train"); }
  void eval() { train(false); }
  void eval(std::string_view path) { modes_.set(false, path, "eval"); }
  // The mode of the whole model, or of the submodule at `path` (its own flag, as PyTorch's
  // module.training: a parent set to eval after a child was set to train says false).
  bool is_training() const { return modes_.training(root, "is_training"); }
  bool is_training(std::string_view path) const { return modes_.training(path, "is_training"); }
  Generator& generator() { return rng_; }

  // A layer's runtime scalar by path, e.g. ProGAN's fade-in: set_scalar("blocks.3.alpha", 0.4).
  // Read by the layer at every forward and backward; not a parameter, not in the weights file.
  void set_scalar(std::string_view path, double value) {
    double& target = scalars_.at(path, "set_scalar");
    if (!std::isfinite(value))
      throw std::invalid_argument("tessera::Model::set_scalar: '" + std::string(path) +
                                  "' must be finite, not " + std::to_string(value));
    target = value;
  }
  double get_scalar(std::string_view path) const { return scalars_.at(path, "get_scalar"); }

  module_type& module() {
    live("module");
    return *module_;
  }
  // Every parameter, buffer and counter, in forward order, under its PyTorch state_dict name.
  const std::vector<Entry>& tensors() const { return entries_; }
  std::span<T> parameter_values() requires HostMemory<Dev> { return values_; }
  // Weights in safetensors with PyTorch state_dict names: a PyTorch model of the same nesting
  // reads this file with safetensors.torch.load_file, and its saved file loads here.
  void save(const std::string& path) const {
    live("save");
    save_weights(entries_, path);
  }
  // All or nothing: the file is checked against every tensor before any value changes.
  // load(path, {.prefix = "G", .strict = false}) reads the keys under "G." only and reports the
  // keys missing on either side instead of throwing (LoadOptions, LoadResult in io/weights.hpp).
  LoadResult load(const std::string& path, const LoadOptions& options = {}) {
    live("load");
    return load_weights(entries_, path, options);
  }
  std::span<T> parameter_grads() requires HostMemory<Dev> { return grads_; }

  // A table like torchinfo's: path, type, output shape, parameters; then the totals.
  std::string summary(index batch = 1) const {
    live("summary");
    detail::SummaryRows rows;
    rows.batch = batch;
    rows.child(segment_of<Spec>::name, *module_);
    return detail::summary_table(rows.rows, {.parameters = parameter_count,
                                             .buffers = buffer_count,
                                             .batch = batch,
                                             .gflops = flops_per_sample * double(batch) / 1e9,
                                             .parameter_mb = double(parameter_count * sizeof(T)) / 1e6,
                                             .arena_mb = double(activation_bytes_per_sample) * double(batch) / 1e6});
  }

 private:
  void live(const char* what) const {
    if (!module_)
      throw std::logic_error(std::string("tessera::Model::") + what +
                             ": the model was moved from (assign a model to it first)");
  }

  // Arena layout, each region n samples long:
  // [inputs][output][kept][scratch][output gradient][input gradient][gradients between layers].
  // A single output's gradient is read from the caller's memory; only a pack is gathered here.
  static constexpr std::size_t output_grad_size = SingleShape<Output> ? 0 : Output::size;
  static constexpr std::size_t per_sample = In::size + Output::size + module_type::keep_size +
                                            module_type::scratch_size + output_grad_size + In::size +
                                            module_type::gradient_size;
  using P = Ptr<T, Dev>;
  using CPtr = Ptr<const T, Dev>;
  P input_data(index) { return arena_.data(); }
  P output_data(index n) { return arena_.data() + std::size_t(n) * In::size; }
  P kept_data(index n) { return output_data(n) + std::size_t(n) * Output::size; }
  P scratch_data(index n) { return kept_data(n) + std::size_t(n) * module_type::keep_size; }
  P output_grad_data(index n) {
    return scratch_data(n) + std::size_t(n) * module_type::scratch_size;
  }
  P input_grad_data(index n) { return output_grad_data(n) + std::size_t(n) * output_grad_size; }
  P gradients_data(index n) { return input_grad_data(n) + std::size_t(n) * In::size; }

  // Second order's region, n samples long: [output tangent][kept tangents][dy][tangent gradients].
  static constexpr std::size_t tangent_per_sample =
      2 * Output::size + module_type::keep_size + module_type::gradient_size;
  P tangent_dy(index n) {
    return tangent_arena_.data() + std::size_t(n) * (Output::size + module_type::keep_size);
  }
  bool trainable() const {
    for (auto& e : entries_)
      if (e.kind == Entry::Kind::parameter && e.requires_grad) return true;
    return false;
  }

  template <class... G>
  void run_backward(bool want_input, bool parameter_grads, const G&... dys) {
    live("backward");
    const index n = last_batch_;
    if (n == 0) throw std::logic_error("tessera::Model::backward: call forward first");
    if constexpr (SingleShape<Output>) {
      static_assert(sizeof...(G) == 1, "tessera: this model has one output; give backward one gradient");
    } else {
      static_assert(sizeof...(G) == Output::count, "tessera: give backward one gradient per model output");
    }
    if (((index(dys.batch()) != n) || ...))
      throw std::invalid_argument("tessera::Model::backward: the gradient's batch (" +
                                  std::to_string(detail::first_batch(dys...)) +
                                  ") differs from the forward's (" + std::to_string(n) + ")");
    // One output's gradient is read where it lies; several are gathered into one pack.
    CPtr dy{};
    if constexpr (SingleShape<Output>) {
      dy = (View<Output, const T, Dev>(dys), ...).data();
    } else {
      [&]<std::size_t... I>(std::index_sequence<I...>) {
        (copy_output_grad<I>(View<part_at<I, Output>, const T, Dev>(dys), n), ...);
      }(std::make_index_sequence<sizeof...(G)>{});
      dy = output_grad_data(n);
    }
    Context<T, Dev> cx{scratch_data(n), &rng_, gradients_data(n), parameter_grads && trainable()};
    module_->backward(last_input_, output_data(n), dy, want_input ? input_grad_data(n) : nullptr, n,
                      kept_data(n), cx);
  }
  template <std::size_t I>
  void copy_output_grad(View<part_at<I, Output>, const T, Dev> dy, index n) {
    ops::copy(Dev{}, dy.data(), output_grad_data(n) + std::size_t(n) * pack_offset<I, Output>(),
              dy.size());
  }

  // The model's input as one pointer: a single input is read where it lies; several, checked for
  // one batch size, are gathered into `pack` (n samples of In::size).
  template <class... X>
  static CPtr gather_inputs(P pack, const char* caller, const X&... xs) {
    if constexpr (SingleShape<In>) {
      static_assert(sizeof...(X) == 1, "tessera: this model takes one input");
      return (View<In, const T, Dev>(xs), ...).data();
    } else {
      static_assert(sizeof...(X) == In::count, "tessera: give the model one view per input");
      const index n = detail::first_batch(xs...);
      if (((xs.batch() != n) || ...))
        throw std::invalid_argument(std::string("tessera::Model::") + caller +
                                    ": the inputs have different batch sizes");
      [&]<std::size_t... I>(std::index_sequence<I...>) {
        (copy_to<I>(View<shape_at<I, In>, const T, Dev>(xs), pack, n), ...);
      }(std::make_index_sequence<In::count>{});
      return pack;
    }
  }
  template <std::size_t I>
  static void copy_to(View<shape_at<I, In>, const T, Dev> x, P inputs, index n) {
    ops::copy(Dev{}, x.data(), inputs + std::size_t(n) * pack_offset<I, In>(), x.size());
  }
  static auto outputs_at(CPtr out, index n) {
    if constexpr (SingleShape<Output>) {
      return View<Output, const T, Dev>(out, n);
    } else {
      return [&]<std::size_t... I>(std::index_sequence<I...>) {
        return std::tuple{View<shape_at<I, Output>, const T, Dev>(
            out + std::size_t(n) * pack_offset<I, Output>(), n)...};
      }(std::make_index_sequence<Output::count>{});
    }
  }

  // On the heap, so that the pointers into it (the counters in entries_) survive a move.
  std::unique_ptr<module_type> module_ = std::make_unique<module_type>();
  Buffer<T, Dev> values_, grads_, buffers_, states_;
  std::vector<Entry> entries_;
  Buffer<T, Dev> arena_;
  Buffer<T, Dev> inference_arena_;  // predict()'s
  Buffer<T, Dev> tangent_arena_;    // double_backward()'s
  bool input_gradient_ready_ = false;  // input_gradient() ran after the last forward
  index arena_batch_ = 0;
  CPtr last_input_{};              // the forward's input, read again by backward
  index last_batch_ = 0;           // 0: no forward since the arena was (re)made
  Generator rng_;
  detail::ModeTable modes_;
  detail::ScalarTable scalars_;
};

}  // namespace tessera
