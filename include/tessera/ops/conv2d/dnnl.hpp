// Convolutions on the CPU through oneDNN, for float. A plan holds the primitives oneDNN chose for
// the layer's fixed shapes and the current batch size, made on the first call and again only when
// the batch size changes; the backward ones are made on the first backward, with the forward's
// primitive descriptor as their hint. The primitives pick their own (blocked) memory layouts;
// tensors stay NCHW between layers, so the plan reorders into and out of them around each
// primitive, as libtorch's oneDNN path does, but once per tensor and layout within a forward and
// its backward: the backward's primitives read the input and the weights the forward reordered,
// and the weight gradient's the output gradient the data gradient's reordered, where they want
// the same layout (about a third of the activation-sized reorders of a training step). Measured
// here at two to three times the speed of im2col + GEMM, forward and backward, except on tiny
// inputs (DCGAN's 1x1 -> 4x4 first layer). A 3x3 stride-1 convolution may run Winograd's
// algorithm instead of the direct one, each direction where it measured faster (see
// tessera/core/convolution_algorithm.hpp). Written on oneDNN's C API (dnnl.h): the C++ one
// (dnnl.hpp) is all inline code and cost about 0.4 s of parsing, and more of code generation, in
// every translation unit that includes tessera.
#pragma once

#include <dnnl.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <deque>
#include <initializer_list>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "tessera/core/convolution_algorithm.hpp"
#include "tessera/core/shape.hpp"
#include "tessera/ops/window.hpp"

namespace tessera::ops::cpu {

namespace dnnl_c {
inline void check(dnnl_status_t status, const char* what) {
  if (status != dnnl_success)
    throw std::runtime_error(std::string("tessera: oneDNN's ") + what + " failed (dnnl_status_t " +
                             std::to_string(int(status)) + ")");
}

// One oneDNN object, destroyed with it; movable, not copyable.
template <class H, dnnl_status_t (*Destroy)(H)>
class Handle {
 public:
  Handle() = default;
  Handle(Handle&& other) noexcept : handle_(std::exchange(other.handle_, nullptr)) {}
  Handle& operator=(Handle&& other) noexcept {
    if (this != &other) {
      reset();
      handle_ = std::exchange(other.handle_, nullptr);
    }
    return *this;
  }
  ~Handle() { reset(); }
  void reset() {
    if (handle_) Destroy(handle_);
    handle_ = nullptr;
  }
  H get() const { return handle_; }
  // Where a create function writes the new object (after releasing the old one).
  H* out() {
    reset();
    return &handle_;
  }
  explicit operator bool() const { return handle_ != nullptr; }

 private:
  H handle_ = nullptr;
};
using Engine = Handle<dnnl_engine_t, dnnl_engine_destroy>;
using Stream = Handle<dnnl_stream_t, dnnl_stream_destroy>;
using Memory = Handle<dnnl_memory_t, dnnl_memory_destroy>;
using PrimitiveDesc = Handle<dnnl_primitive_desc_t, dnnl_primitive_desc_destroy>;
using Primitive = Handle<dnnl_primitive_t, dnnl_primitive_destroy>;
using Attr = Handle<dnnl_primitive_attr_t, dnnl_primitive_attr_destroy>;
using PostOps = Handle<dnnl_post_ops_t, dnnl_post_ops_destroy>;

inline dnnl_memory_desc_t desc(std::initializer_list<dnnl_dim_t> dims, dnnl_format_tag_t tag) {
  dnnl_memory_desc_t md;
  dnnl_dims_t d{};
  int rank = 0;
  for (const dnnl_dim_t v : dims) d[rank++] = v;
  check(dnnl_memory_desc_init_by_tag(&md, rank, d, dnnl_f32, tag), "memory_desc_init_by_tag");
  return md;
}
// A memory object for md whose data pointer is set later (or allocated by oneDNN).
inline Memory memory(const dnnl_memory_desc_t& md, dnnl_engine_t engine, void* handle) {
  Memory m;
  check(dnnl_memory_create(m.out(), &md, engine, handle), "memory_create");
  return m;
}
inline const dnnl_memory_desc_t* desc_of(const_dnnl_memory_t m) {
  const dnnl_memory_desc_t* md = nullptr;
  check(dnnl_memory_get_memory_desc(m, &md), "memory_get_memory_desc");
  return md;
}
inline void* data_of(dnnl_memory_t m) {
  void* data = nullptr;
  check(dnnl_memory_get_data_handle(m, &data), "memory_get_data_handle");
  return data;
}
}  // namespace dnnl_c

class DnnlConvPlan {
 public:
  // oneDNN wants (big - window + padding_l + padding_r) / stride + 1 == small, where big and small
  // are the larger and smaller extent. A transposed convolution's output padding of a whole stride
  // or more (possible with dilation) breaks that with padding_r = padding; the rows it adds get no
  // input either way, so a padding_r that many strides smaller describes the same convolution. It
  // must not be negative, which leaves output padding larger than padding to im2col.
  static constexpr int transposed_padding_r(const WindowGeometry& g, int in, int out) {
    const int window = g.dilation * (g.kernel - 1) + 1;
    const int output_padding = out - ((in - 1) * g.stride - 2 * g.padding + window);
    return g.padding - output_padding / g.stride * g.stride;
  }
  static constexpr bool supports(const WindowGeometry& g, bool transposed) {
    return !transposed || (transposed_padding_r(g, g.in_h, g.out_h) >= 0 &&
                           transposed_padding_r(g, g.in_w, g.out_w) >= 0);
  }

  // y = conv(x, w) + b, or the transposed convolution; b may be null.
  void forward(const WindowGeometry& g, bool transposed, const float* x, const float* w,
               const float* b, float* y, index n) {
    if (n != batch_ || transposed != transposed_ || (b && !with_bias_))
      plan(g, transposed, n, b != nullptr);
    // A plan made with a bias runs a forward without one (second order's tangent pass) by adding
    // zeros, not by planning again at every switch.
    if (!b && with_bias_) {
      zero_bias_.assign(std::size_t(g.out_channels), 0.f);
      b = zero_bias_.data();
    }
    set(src_, x);
    set(weights_, w);
    set(bias_, b);
    set(dst_, y);
    run(forward_, false);
  }

  // After a forward of the same x and w: dx = dL/dx, weight_grad += dL/dw, bias_grad += dL/db, each
  // only where its pointer is not null.
  void backward(const WindowGeometry& g, bool transposed, const float* x, const float* w,
                const float* dy, float* dx, float* weight_grad, float* bias_grad, index n) {
    if (n != batch_ || transposed != transposed_ || (bias_grad && !with_bias_))
      plan(g, transposed, n, with_bias_ || bias_grad);
    set(src_, x);
    set(weights_, w);
    set(diff_dst_, dy);
    set(diff_src_, dx);
    set(diff_weights_, weight_grad);
    set(diff_bias_, bias_grad);
    if (dx) {
      if (!backward_data_.primitive) backward_data_ = plan_backward_data(g);
      run(backward_data_, true);
    }
    if (weight_grad || bias_grad) {
      if (!backward_weights_.primitive) backward_weights_ = plan_backward_weights(g);
      run(backward_weights_, true);
    }
    for (Staged& s : staged_) s.holds = nullptr;
  }

 private:
  static void set(const dnnl_c::Memory& m, const float* data) {
    dnnl_c::check(dnnl_memory_set_data_handle(m.get(), const_cast<float*>(data)),
                  "memory_set_data_handle");
  }

  // A user's input in a primitive's layout, shared by the steps that want that tensor in that
  // layout. `holds` is the user's data it was last filled from, while that copy may be read again:
  // from its reorder until the end of the next backward (a forward's input and weights, and the
  // output gradient, do not change before the backward that reads them).
  struct Staged {
    const dnnl_c::Memory* user;
    dnnl_c::Memory memory;
    const void* holds = nullptr;
  };
  struct Copy {
    dnnl_c::Primitive reorder;
    dnnl_memory_t from, to;
    Staged* staged = nullptr;  // inputs only
  };
  // A primitive with its arguments bound once: each is the user's memory where the primitive takes
  // the user's layout, else a staged copy filled by a reorder before the primitive runs (inputs) or
  // a memory of the step's own, copied out after it (outputs).
  struct Step {
    dnnl_c::Primitive primitive;
    std::vector<dnnl_exec_arg_t> args;
    std::vector<dnnl_c::Memory> own;
    std::vector<Copy> before, after;
  };

  // `reuse`: an input whose staged copy already holds the user's data is not reordered again.
  void run(Step& step, bool reuse) {
    for (Copy& c : step.before) {
      const void* data = dnnl_c::data_of(c.from);
      if (reuse && c.staged->holds == data) continue;
      reorder(c);
      c.staged->holds = data;
    }
    dnnl_c::check(dnnl_primitive_execute(step.primitive.get(), stream_.get(), int(step.args.size()),
                                         step.args.data()),
                  "primitive_execute");
    // An output nobody asked for (a null bias gradient) is computed but not copied out.
    for (Copy& c : step.after)
      if (dnnl_c::data_of(c.to)) reorder(c);
    dnnl_c::check(dnnl_stream_wait(stream_.get()), "stream_wait");
  }
  void reorder(Copy& c) {
    const dnnl_exec_arg_t args[2] = {{DNNL_ARG_FROM, c.from}, {DNNL_ARG_TO, c.to}};
    dnnl_c::check(dnnl_primitive_execute(c.reorder.get(), stream_.get(), 2, args), "reorder");
  }
  dnnl_c::Primitive make_reorder(dnnl_memory_t from, dnnl_memory_t to, bool accumulate) {
    const dnnl_memory_desc_t *from_md = dnnl_c::desc_of(from), *to_md = dnnl_c::desc_of(to);
    dnnl_c::Attr attr;
    dnnl_c::PostOps sum;
    if (accumulate) {
      dnnl_c::check(dnnl_post_ops_create(sum.out()), "post_ops_create");
      dnnl_c::check(dnnl_post_ops_append_sum(sum.get(), 1.f), "post_ops_append_sum");
      dnnl_c::check(dnnl_primitive_attr_create(attr.out()), "primitive_attr_create");
      dnnl_c::check(dnnl_primitive_attr_set_post_ops(attr.get(), sum.get()), "set_post_ops");
    }
    dnnl_c::PrimitiveDesc pd;
    dnnl_c::check(dnnl_reorder_primitive_desc_create(pd.out(), from_md, engine_.get(), to_md,
                                                     engine_.get(), attr.get()),
                  "reorder_primitive_desc_create");
    dnnl_c::Primitive p;
    dnnl_c::check(dnnl_primitive_create(p.out(), pd.get()), "primitive_create");
    return p;
  }
  static const dnnl_memory_desc_t& query(const dnnl_c::PrimitiveDesc& pd, dnnl_query_t what,
                                         int index = 0) {
    return *dnnl_primitive_desc_query_md(pd.get(), what, index);
  }

  void input(Step& step, int arg, const dnnl_memory_desc_t& wanted, const dnnl_c::Memory& user,
             const dnnl_memory_desc_t& user_md) {
    if (dnnl_memory_desc_equal(&wanted, &user_md)) {
      step.args.push_back({arg, user.get()});
      return;
    }
    Staged* staged = nullptr;
    for (Staged& s : staged_)
      if (s.user == &user && dnnl_memory_desc_equal(&wanted, dnnl_c::desc_of(s.memory.get())))
        staged = &s;
    if (!staged)
      staged = &staged_.emplace_back(
          Staged{&user, dnnl_c::memory(wanted, engine_.get(), DNNL_MEMORY_ALLOCATE)});
    step.args.push_back({arg, staged->memory.get()});
    step.before.push_back({make_reorder(user.get(), staged->memory.get(), false), user.get(),
                           staged->memory.get(), staged});
  }
  // `accumulate`: the user's memory gets the result added (PyTorch's gradient accumulation);
  // oneDNN overwrites its outputs, so the result goes through the step's memory and a reorder that
  // sums into the user's.
  void output(Step& step, int arg, const dnnl_memory_desc_t& wanted, const dnnl_c::Memory& user,
              const dnnl_memory_desc_t& user_md, bool accumulate = false) {
    if (!accumulate && dnnl_memory_desc_equal(&wanted, &user_md)) {
      step.args.push_back({arg, user.get()});
      return;
    }
    dnnl_memory_t inner =
        step.own.emplace_back(dnnl_c::memory(wanted, engine_.get(), DNNL_MEMORY_ALLOCATE)).get();
    step.args.push_back({arg, inner});
    step.after.push_back({make_reorder(inner, user.get(), accumulate), inner, user.get()});
  }

  void plan(const WindowGeometry& g, bool transposed, index n, bool with_bias) {
    // PyTorch's weights: conv (out, in, k, k) is oihw; transposed (in, out, k, k) is iohw.
    src_md_ = dnnl_c::desc({n, g.in_channels, g.in_h, g.in_w}, dnnl_nchw);
    dst_md_ = dnnl_c::desc({n, g.out_channels, g.out_h, g.out_w}, dnnl_nchw);
    weights_md_ = dnnl_c::desc({g.out_channels, g.in_channels, g.kernel, g.kernel},
                               transposed ? dnnl_iohw : dnnl_oihw);
    bias_md_ = dnnl_c::desc({g.out_channels}, dnnl_x);
    // The steps refer to the user memories: drop them before those are replaced.
    forward_ = Step{};
    backward_data_ = Step{};
    backward_weights_ = Step{};
    staged_.clear();
    for (auto [memory, md] : {std::pair{&src_, &src_md_},
                              {&weights_, &weights_md_},
                              {&dst_, &dst_md_},
                              {&bias_, &bias_md_},
                              {&diff_src_, &src_md_},
                              {&diff_weights_, &weights_md_},
                              {&diff_dst_, &dst_md_},
                              {&diff_bias_, &bias_md_}})
      *memory = dnnl_c::memory(*md, engine_.get(), DNNL_MEMORY_NONE);
    batch_ = n;
    transposed_ = transposed;
    with_bias_ = with_bias;
    forward_ = plan_forward(g);
  }

  // What every descriptor takes: the user's shapes with the layout left to oneDNN, strides,
  // dilations (oneDNN counts from 0) and padding.
  struct Window {
    dnnl_memory_desc_t src, weights, dst;
    dnnl_dims_t strides, dilates, padding_l, padding_r;
  };
  static dnnl_memory_desc_t any_layout(const dnnl_memory_desc_t& md) {
    dnnl_memory_desc_t any;
    dnnl_c::check(
        dnnl_memory_desc_init_by_tag(&any, md.ndims, md.dims, dnnl_f32, dnnl_format_tag_any),
        "memory_desc_init_by_tag");
    return any;
  }
  Window window(const WindowGeometry& g) const {
    Window w{};
    w.src = any_layout(src_md_);
    w.weights = any_layout(weights_md_);
    w.dst = any_layout(dst_md_);
    w.strides[0] = w.strides[1] = g.stride;
    w.dilates[0] = w.dilates[1] = g.dilation - 1;
    w.padding_l[0] = w.padding_l[1] = g.padding;
    w.padding_r[0] = transposed_ ? transposed_padding_r(g, g.in_h, g.out_h) : g.padding;
    w.padding_r[1] = transposed_ ? transposed_padding_r(g, g.in_w, g.out_w) : g.padding;
    return w;
  }
  dnnl_c::PrimitiveDesc make_pd(const dnnl_convolution_desc_t& d,
                                const_dnnl_primitive_desc_t hint) {
    dnnl_c::PrimitiveDesc pd;
    dnnl_c::check(dnnl_primitive_desc_create(pd.out(), &d, nullptr, engine_.get(), hint),
                  "primitive_desc_create");
    return pd;
  }
  static Step step_of(const dnnl_c::PrimitiveDesc& pd) {
    Step step;
    dnnl_c::check(dnnl_primitive_create(step.primitive.out(), pd.get()), "primitive_create");
    return step;
  }

  // Winograd's algorithm (oneDNN's F(4x4, 3x3)) is a candidate for a 3x3 stride-1 convolution,
  // unless the process asked for direct ones; the fastest setting times it only from 100 MFLOP:
  // below that the difference is a few microseconds.
  enum class Direction { forward, backward_data, backward_weights };
  bool winograd_candidate(const WindowGeometry& g) const {
    const ConvolutionAlgorithm setting = convolution_algorithm();
    if (transposed_ || g.kernel != 3 || g.stride != 1 || g.dilation != 1 ||
        setting == ConvolutionAlgorithm::direct)
      return false;
    const double flops = 2.0 * double(batch_) * g.out_channels * g.out_h * g.out_w * g.in_channels *
                         g.kernel * g.kernel;
    return setting == ConvolutionAlgorithm::winograd || flops >= 1e8;
  }
  // One direction's primitive descriptor: `init` gives its descriptor for an algorithm. The
  // direct algorithm, or Winograd's where it is a candidate, oneDNN has it for these shapes and
  // the setting asks for it or it measured at least 10% faster: timed once per problem and
  // process, and remembered.
  template <class Init>
  dnnl_c::PrimitiveDesc choose_pd(Direction direction, const WindowGeometry& g, const Init& init,
                                  const_dnnl_primitive_desc_t hint) {
    dnnl_c::PrimitiveDesc direct = make_pd(init(dnnl_convolution_direct), hint);
    if (!winograd_candidate(g)) return direct;
    const dnnl_convolution_desc_t d = init(dnnl_convolution_winograd);
    dnnl_c::PrimitiveDesc winograd;
    if (dnnl_primitive_desc_create(winograd.out(), &d, nullptr, engine_.get(), hint) !=
        dnnl_success)
      return direct;  // not implemented for this CPU or these shapes
    if (convolution_algorithm() == ConvolutionAlgorithm::winograd) return winograd;
    using Problem = std::array<index, 10>;
    const Problem problem{index(direction), batch_,  g.in_channels, g.in_h,    g.in_w,
                          g.out_channels,   g.out_h, g.out_w,       g.padding, with_bias_};
    static std::mutex mutex;
    static std::map<Problem, bool> faster;  // Winograd's, by problem
    const std::lock_guard lock(mutex);
    auto [known, added] = faster.try_emplace(problem, false);
    if (added) known->second = seconds(winograd, direction) < 0.9 * seconds(direct, direction);
    return known->second ? std::move(winograd) : std::move(direct);
  }
  // The time of one run of pd's primitive, after one that generates its code and touches the
  // memory, on memory of the measurements'. One timed run: the choice asks for a clear difference
  // (10%), and every run adds to the cost of the first step (tens of milliseconds per layer and
  // direction in the U-Net 572). Called under choose_pd's lock.
  double seconds(const dnnl_c::PrimitiveDesc& pd, Direction direction) {
    struct Arg {
      int arg;
      dnnl_query_t what;
      int index;
    };
    const std::vector<Arg> args =
        direction == Direction::forward
            ? std::vector<Arg>{{DNNL_ARG_SRC, dnnl_query_src_md, 0},
                               {DNNL_ARG_WEIGHTS, dnnl_query_weights_md, 0},
                               {DNNL_ARG_BIAS, dnnl_query_weights_md, 1},
                               {DNNL_ARG_DST, dnnl_query_dst_md, 0}}
        : direction == Direction::backward_data
            ? std::vector<Arg>{{DNNL_ARG_DIFF_DST, dnnl_query_diff_dst_md, 0},
                               {DNNL_ARG_WEIGHTS, dnnl_query_weights_md, 0},
                               {DNNL_ARG_DIFF_SRC, dnnl_query_diff_src_md, 0}}
            : std::vector<Arg>{{DNNL_ARG_SRC, dnnl_query_src_md, 0},
                               {DNNL_ARG_DIFF_DST, dnnl_query_diff_dst_md, 0},
                               {DNNL_ARG_DIFF_WEIGHTS, dnnl_query_diff_weights_md, 0},
                               {DNNL_ARG_DIFF_BIAS, dnnl_query_diff_weights_md, 1}};
    // One buffer for all measurements, zeroed when it grows and kept for the process (the largest
    // problem's tensors, about 170 MB for the U-Net 572): fresh tensors for each problem cost more
    // in page faults than the runs themselves (14.6 s in the U-Net 572's first step on the
    // development VM).
    static std::vector<float> buffer;
    constexpr std::size_t align = 16;  // floats: 64 bytes
    std::vector<const dnnl_memory_desc_t*> mds;
    std::size_t floats = align;
    for (const Arg& a : args) {
      const dnnl_memory_desc_t* md = dnnl_primitive_desc_query_md(pd.get(), a.what, a.index);
      mds.push_back(md && md->ndims > 0 ? md : nullptr);  // null: no bias
      if (mds.back())
        floats += (dnnl_memory_desc_get_size(md) / sizeof(float) + align) / align * align;
    }
    if (buffer.size() < floats) {
      buffer = {};  // release before growing
      buffer.resize(floats);
    }
    float* next =
        buffer.data() + (align - std::uintptr_t(buffer.data()) / sizeof(float) % align) % align;
    Step step = step_of(pd);
    for (std::size_t i = 0; i < args.size(); ++i) {
      if (!mds[i]) continue;
      step.args.push_back(
          {args[i].arg, step.own.emplace_back(dnnl_c::memory(*mds[i], engine_.get(), next)).get()});
      next += (dnnl_memory_desc_get_size(mds[i]) / sizeof(float) + align) / align * align;
    }
    std::chrono::duration<double> took{};
    for (int run = 0; run < 2; ++run) {
      const auto start = std::chrono::steady_clock::now();
      dnnl_c::check(dnnl_primitive_execute(step.primitive.get(), stream_.get(),
                                           int(step.args.size()), step.args.data()),
                    "primitive_execute");
      dnnl_c::check(dnnl_stream_wait(stream_.get()), "stream_wait");
      took = std::chrono::steady_clock::now() - start;
    }
    return took.count();
  }

  Step plan_forward(const WindowGeometry& g) {
    const Window w = window(g);
    const dnnl_memory_desc_t* bias = with_bias_ ? &bias_md_ : nullptr;
    const auto init = [&](dnnl_alg_kind_t algorithm) {
      dnnl_convolution_desc_t d;
      dnnl_c::check(transposed_ ? dnnl_dilated_deconvolution_forward_desc_init(
                                      &d, dnnl_forward_training, dnnl_deconvolution_direct, &w.src,
                                      &w.weights, bias, &w.dst, w.strides, w.dilates, w.padding_l,
                                      w.padding_r)
                                : dnnl_dilated_convolution_forward_desc_init(
                                      &d, dnnl_forward_training, algorithm, &w.src, &w.weights,
                                      bias, &w.dst, w.strides, w.dilates, w.padding_l, w.padding_r),
                    "convolution_forward_desc_init");
      return d;
    };
    forward_pd_ = choose_pd(Direction::forward, g, init, nullptr);
    Step step = step_of(forward_pd_);
    input(step, DNNL_ARG_SRC, query(forward_pd_, dnnl_query_src_md), src_, src_md_);
    input(step, DNNL_ARG_WEIGHTS, query(forward_pd_, dnnl_query_weights_md), weights_, weights_md_);
    if (with_bias_)
      input(step, DNNL_ARG_BIAS, query(forward_pd_, dnnl_query_weights_md, 1), bias_, bias_md_);
    output(step, DNNL_ARG_DST, query(forward_pd_, dnnl_query_dst_md), dst_, dst_md_);
    return step;
  }

  Step plan_backward_data(const WindowGeometry& g) {
    const Window w = window(g);
    const auto init = [&](dnnl_alg_kind_t algorithm) {
      dnnl_convolution_desc_t d;
      dnnl_c::check(transposed_ ? dnnl_dilated_deconvolution_backward_data_desc_init(
                                      &d, dnnl_deconvolution_direct, &w.src, &w.weights, &w.dst,
                                      w.strides, w.dilates, w.padding_l, w.padding_r)
                                : dnnl_dilated_convolution_backward_data_desc_init(
                                      &d, algorithm, &w.src, &w.weights, &w.dst, w.strides,
                                      w.dilates, w.padding_l, w.padding_r),
                    "convolution_backward_data_desc_init");
      return d;
    };
    const dnnl_c::PrimitiveDesc pd =
        choose_pd(Direction::backward_data, g, init, forward_pd_.get());
    Step step = step_of(pd);
    input(step, DNNL_ARG_DIFF_DST, query(pd, dnnl_query_diff_dst_md), diff_dst_, dst_md_);
    input(step, DNNL_ARG_WEIGHTS, query(pd, dnnl_query_weights_md), weights_, weights_md_);
    output(step, DNNL_ARG_DIFF_SRC, query(pd, dnnl_query_diff_src_md), diff_src_, src_md_);
    return step;
  }

  Step plan_backward_weights(const WindowGeometry& g) {
    const Window w = window(g);
    const dnnl_memory_desc_t* bias = with_bias_ ? &bias_md_ : nullptr;
    const auto init = [&](dnnl_alg_kind_t algorithm) {
      dnnl_convolution_desc_t d;
      dnnl_c::check(transposed_ ? dnnl_dilated_deconvolution_backward_weights_desc_init(
                                      &d, dnnl_deconvolution_direct, &w.src, &w.weights, bias,
                                      &w.dst, w.strides, w.dilates, w.padding_l, w.padding_r)
                                : dnnl_dilated_convolution_backward_weights_desc_init(
                                      &d, algorithm, &w.src, &w.weights, bias, &w.dst, w.strides,
                                      w.dilates, w.padding_l, w.padding_r),
                    "convolution_backward_weights_desc_init");
      return d;
    };
    const dnnl_c::PrimitiveDesc pd =
        choose_pd(Direction::backward_weights, g, init, forward_pd_.get());
    Step step = step_of(pd);
    input(step, DNNL_ARG_SRC, query(pd, dnnl_query_src_md), src_, src_md_);
    input(step, DNNL_ARG_DIFF_DST, query(pd, dnnl_query_diff_dst_md), diff_dst_, dst_md_);
    output(step, DNNL_ARG_DIFF_WEIGHTS, query(pd, dnnl_query_diff_weights_md), diff_weights_,
           weights_md_, true);
    if (with_bias_)
      output(step, DNNL_ARG_DIFF_BIAS, query(pd, dnnl_query_diff_weights_md, 1), diff_bias_,
             bias_md_, true);
    return step;
  }

  static dnnl_c::Engine make_engine() {
    dnnl_c::Engine engine;
    dnnl_c::check(dnnl_engine_create(engine.out(), dnnl_cpu, 0), "engine_create");
    return engine;
  }
  static dnnl_c::Stream make_stream(const dnnl_c::Engine& engine) {
    dnnl_c::Stream stream;
    dnnl_c::check(dnnl_stream_create(stream.out(), engine.get(), dnnl_stream_default_flags),
                  "stream_create");
    return stream;
  }

  dnnl_c::Engine engine_ = make_engine();
  dnnl_c::Stream stream_ = make_stream(engine_);
  index batch_ = -1;
  bool transposed_ = false, with_bias_ = false;
  // The user's tensors, NCHW and PyTorch's weight layout; their data pointers are set on each call.
  dnnl_memory_desc_t src_md_{}, dst_md_{}, weights_md_{}, bias_md_{};
  dnnl_c::Memory src_, weights_, dst_, bias_, diff_src_, diff_weights_, diff_dst_, diff_bias_;
  dnnl_c::PrimitiveDesc forward_pd_;
  // Steps without a primitive are not planned yet.
  Step forward_, backward_data_, backward_weights_;
  std::deque<Staged> staged_;     // a deque: the steps' copies point into it
  std::vector<float> zero_bias_;  // for a forward without a bias on a plan with one
};

}  // namespace tessera::ops::cpu
