// Training-iteration timings of the seed-004 GANs on the CPU, tessera side by side with the same
// models built from libtorch's torch::nn modules and trained the same way, in one Google Benchmark
// run: the fully connected GAN at batch 100 and the DCGAN (tutorial form) at batch 64 and 16; and
// one critic step of examples/wgan.cpp's WGAN-GP and SNGAN at batch 64 (below).
//
// Build and run (from the repository root), with the environment of bench_forward (see there and
// docs/performance.md: OpenBLAS picks this CPU's kernels, glibc keeps freed blocks):
//   cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release
//   cmake --build build --target bench_train
//   env -u OPENBLAS_CORETYPE MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=4294967296
//   MALLOC_TOP_PAD_=268435456 build/benchmarks/bench_train --benchmark_repetitions=5
//   --benchmark_report_aggregates_only=true --benchmark_min_time=2
//
// libtorch is optional, as for bench_forward: benchmarks/CMakeLists.txt compiles the libtorch half
// (and defines TESSERA_BENCH_WITH_LIBTORCH) only when find_package(Torch) succeeds.
//
// One iteration, as PyTorch's DCGAN tutorial trains (both libraries do the same work):
//   D step: D.zero_grad; out = D(real); BCE(out, 1).backward; fake = G(z);
//           out = D(fake.detach()); BCE(out, 0).backward; optD.step
//   G step: G.zero_grad; out = D(fake) (D just updated, the D step's fake reused);
//           BCE(out, 1).backward into G; optG.step
// with Adam(lr 2e-4, betas (0.5, 0.999), eps 1e-8) for each network (tessera::Adam,
// torch::optim::Adam), BCE with mean reduction (tessera::bce_loss, torch::binary_cross_entropy),
// both networks in training mode (BatchNorm on batch statistics, running statistics updated on
// every D and G forward, as in PyTorch). z and the real batch are drawn once and reused by every
// iteration (no data loading or noise generation is timed, on either side).
//
// The one difference, by design: in the G step tessera freezes D (d.requires_grad(false)), so D's
// backward computes only the gradient at D's input, which is all the G step needs. libtorch, as the
// tutorial does, also computes D's parameter gradients there (they are thrown away by the next
// D.zero_grad); that is the work a user of PyTorch's tutorial pays for, so it is timed as is.
//
// The critic steps take examples/wgan.cpp's 32x32 critics (examples/common/wgan_critics.hpp: four
// 4x4 convolutions with biases, 1 -> 32 -> 64 -> 128 channels at stride 2, then 128 -> 1, LeakyReLU
// 0.2 between) on a 1x32x32 real batch and a fake one, both fixed inputs (no G: a critic step sees
// G's output detached), in training mode:
//   wgan_gp_critic: the WGAN loss mean D(fake) - mean D(real) plus the gradient penalty, lambda 10,
//     alpha drawn per sample and step; Adam(lr 1e-4, betas (0, 0.9)). tessera as the example's gp
//     variant: D(real) and D(fake) forward and backward (examples::wasserstein_term), then
//     ts::gradient_penalty (forward at x_hat, input gradient, double backward), Adam's step.
//     libtorch in the seed's PyTorch form: D(real), D(fake); x_hat = alpha real + (1 - alpha) fake
//     with requires_grad; g = autograd::grad(D(x_hat), x_hat, ones, retain_graph, create_graph);
//     loss = mean D(fake) - mean D(real) + lambda mean (||g_i||_2 - 1)^2; loss.backward; Adam's
//     step.
//   sngan_critic: SnCritic32, every convolution spectrally normalised (one power iteration per
//     training forward, so two per step, on both sides); the hinge loss mean relu(1 - D(real)) +
//     mean relu(1 + D(fake)); Adam(lr 2e-4, betas (0.5, 0.999)), the example's sn variant. libtorch
//     has no spectral_norm in its C++ API: SpectralNormConv2d below computes what PyTorch's hook
//     does.
//
// Names: <model>_train/<tessera|libtorch>/<batch>. Counters: items_per_second is samples (real
// images, i.e. the batch) per second of real time; faults is the process's minor page faults per
// iteration. At the end a table gives each model's median (or mean) time per iteration per library
// and the speed-up, libtorch time / tessera time (> 1: tessera is faster).
//
// Checked before timing: both libraries start from the same weights (tessera's initialisation,
// PyTorch's default one, copied into libtorch by state_dict name) and the same inputs, run one
// iteration, and the run prints how far apart they are: the largest differences of the three D
// outputs, the fake batch, the three losses and the BatchNorm running statistics after the
// iteration (it stops at 1e-3 or more), and, relative in the 2-norm, D's and G's parameter
// gradients just before their Adam steps and the gradient at D's input in the G step (it stops
// at 3e-2 or more; see norm_error in common.hpp for why so loose, and why not the largest
// difference). BENCH_TRAIN_VERBOSE=1 adds each parameter's gradient. (The weights after the first
// Adam step would say little: that step moves every weight by about lr in the direction of its
// gradient's sign, whatever its size.) The critic steps are checked the same way
// (CriticFixture::check): one step from the same weights, spectral norm's u and v included, inputs
// and alphas; the penalty and the critic loss must agree to 1e-4 relative, the scores of the first
// two forwards and u and v to 1e-4 absolute, the gradients to 1e-3 relative.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <tessera/models/dcgan.hpp>
#include <tessera/models/mlp_gan.hpp>
#include <tessera/tessera.hpp>
#include <tessera/train/adam.hpp>
#include <tessera/train/loss.hpp>
#include <tessera/train/penalty.hpp>
#include <tuple>
#include <type_traits>
#include <vector>

#include "common.hpp"               // benchmarks/common.hpp
#include "common/wasserstein.hpp"   // examples/common: the critic losses of examples/wgan.cpp
#include "common/wgan_critics.hpp"  // and its critics

using namespace bench;

namespace ts = tessera;

// ---- The models ----------------------------------------------------------------------------------
struct MlpGan {
  using G = ts::Model<ts::models::MlpGanGenerator<>, ts::Shape<64>>;      // 64 -> 784
  using D = ts::Model<ts::models::MlpGanDiscriminator<>, ts::Shape<784>>;  // 784 -> 1
  static constexpr const char* name = "mlp_gan";
};
struct Dcgan {
  using G = ts::Model<ts::models::DcganGenerator<>, ts::Shape<100, 1, 1>>;   // -> 3x64x64
  using D = ts::Model<ts::models::DcganDiscriminator<>, ts::Shape<3, 64, 64>>;  // -> 1x1x1
  static constexpr const char* name = "dcgan";
};
// The critic steps of examples/wgan.cpp's gp and sn variants, on its 1x32x32 critics of width 32:
// no G here, the fake batch is an input like the real one (a critic step sees G's output detached).
struct WganGp {
  using D =
      ts::Model<examples::GpCritic32<examples::wgan_width>, ts::Shape<1, 32, 32>>;  // -> 1x1x1
  static constexpr const char* name = "wgan_gp_critic";
  static constexpr bool hinge = false, penalty = true;  // the WGAN loss + lambda (||grad|| - 1)^2
  static constexpr double lambda = 10;
  static constexpr ts::AdamOptions adam{.lr = 1e-4, .betas = {0.0, 0.9}};
};
struct Sngan {
  using D = ts::Model<examples::SnCritic32<examples::wgan_width>, ts::Shape<1, 32, 32>>;
  static constexpr const char* name = "sngan_critic";
  static constexpr bool hinge = true, penalty = false;  // the hinge loss, no penalty
  static constexpr double lambda = 0;
  static constexpr ts::AdamOptions adam{.lr = 2e-4, .betas = {0.5, 0.999}};
};
// A GAN iteration (D step + G step) has a G; a critic step has not.
template <class W>
concept GanWorkload = requires {
  typename W::G;
};

// ---- Shared inputs and the one-iteration record ------------------------------------------------
template <class Gan>
struct Inputs {
  ts::Tensor<typename Gan::G::Input> z;
  ts::Tensor<typename Gan::D::Input> real;  // stands in for a batch of images in [-1, 1]
  explicit Inputs(ts::index batch) : z(batch), real(batch) {
    ts::Generator rng(3);
    for (auto& v : z.span()) v = float(rng.normal());
    for (auto& v : real.span()) v = float(rng.uniform(-1, 1));
  }
};

// What one iteration produced, for the agreement check.
struct Record {
  std::vector<float> d_real, fake, d_fake, d_g;  // D(real), G(z), D(fake) in the D step, D(fake) in the G step
  std::vector<float> d_input_grad;              // dL/d(fake) in the G step
  double loss_real = 0, loss_fake = 0, loss_g = 0;
  // Every parameter's gradient just before its optimizer step ("D." and "G." + state_dict name),
  // and every buffer (BatchNorm's running statistics) after the iteration.
  std::map<std::string, std::vector<float>> grads, buffers;
};

// ---- tessera -----------------------------------------------------------------------------------
// Every parameter's gradient, or every buffer's value, under prefix + its state_dict name.
template <class M>
void record_tessera_grads(const M& m, const std::string& prefix,
                          std::map<std::string, std::vector<float>>& to) {
  for (const auto& e : m.tensors())
    if (e.kind == ts::TensorEntry<float>::Kind::parameter)
      to[prefix + e.name] = std::vector<float>(e.grad, e.grad + e.size());
}
template <class M>
void record_tessera_buffers(const M& m, const std::string& prefix,
                            std::map<std::string, std::vector<float>>& to) {
  for (const auto& e : m.tensors())
    if (e.kind == ts::TensorEntry<float>::Kind::buffer)
      to[prefix + e.name] = std::vector<float>(e.value, e.value + e.size());
}

template <class Gan>
struct TesseraGan {
  using G = typename Gan::G;
  using D = typename Gan::D;
  using DOut = typename D::Output;
  G g{1};
  D d{2};
  const Inputs<Gan>& in;
  const ts::Tensor<DOut> ones, zeros;  // the targets
  ts::Tensor<DOut> dout;               // dL/d(D's output)
  ts::Adam<float> opt_d, opt_g;

  TesseraGan(const Inputs<Gan>& inputs, ts::index batch)
      : in(inputs),
        ones(batch, 1.0f),
        zeros(batch, 0.0f),
        dout(batch),
        opt_d(d.parameters(), {.lr = 2e-4, .betas = {0.5, 0.999}, .eps = 1e-8}),
        opt_g(g.parameters(), {.lr = 2e-4, .betas = {0.5, 0.999}, .eps = 1e-8}) {
    g.train();
    d.train();
    g.reserve(batch);
    d.reserve(batch);
  }

  // One training iteration; returns the G loss.
  float step(Record* r) {
    // D step: real labelled 1, fake labelled 0; the fake's gradient stops at D (detach).
    d.requires_grad(true);
    d.zero_grad();
    auto out = d.forward(in.real);
    if (r) r->d_real = to_vector(out);
    float loss = ts::bce_loss(out, ones, dout);
    if (r) r->loss_real = loss;
    d.backward(dout.view());
    auto fake = g.forward(in.z);  // G's arena: stays valid until G's next forward
    if (r) r->fake = to_vector(fake);
    out = d.forward(fake);
    if (r) r->d_fake = to_vector(out);
    loss = ts::bce_loss(out, zeros, dout);
    if (r) r->loss_fake = loss;
    d.backward(dout.view());
    if (r) record_grads(d, "D.", *r);
    opt_d.step();

    // G step: D frozen, so its backward gives only dL/d(fake), which G's backward takes.
    d.requires_grad(false);
    g.zero_grad();
    out = d.forward(fake);
    if (r) r->d_g = to_vector(out);
    loss = ts::bce_loss(out, ones, dout);
    if (r) r->loss_g = loss;
    auto dfake = d.backward_to_input(dout.view());
    if (r) r->d_input_grad = to_vector(dfake);
    g.backward(dfake);
    if (r) record_grads(g, "G.", *r);
    opt_g.step();
    return loss;
  }

  template <class M>
  static void record_grads(const M& m, const std::string& prefix, Record& r) {
    record_tessera_grads(m, prefix, r.grads);
  }
  void record_buffers(Record& r) const {
    record_tessera_buffers(g, "G.", r.buffers);
    record_tessera_buffers(d, "D.", r.buffers);
  }
};

// ---- The critic steps, tessera -----------------------------------------------------------------
template <class W>
struct CriticInputs {
  // Stand in for a batch of images in [-1, 1] and for G's (tanh) output.
  ts::Tensor<typename W::D::Input> real, fake;
  // The penalty's alpha for the agreement check; the timed steps draw their own, as a training loop
  // does.
  std::vector<float> alpha;
  explicit CriticInputs(ts::index batch) : real(batch), fake(batch), alpha(std::size_t(batch)) {
    ts::Generator rng(4);
    for (auto& v : real.span()) v = float(rng.uniform(-1, 1));
    for (auto& v : fake.span()) v = float(rng.uniform(-1, 1));
    for (auto& a : alpha) a = float(rng.uniform());
  }
};

// What one critic step produced, for the agreement check.
struct CriticRecord {
  std::vector<float> d_real, d_fake;  // the step's first two forwards
  double loss = 0, penalty = 0;       // the critic loss (penalty included) and the penalty alone
  // Every parameter's gradient just before the Adam step, and every buffer (spectral norm's u and
  // v) after the step, by state_dict name.
  std::map<std::string, std::vector<float>> grads, buffers;
};

template <class W>
struct TesseraCritic {
  using D = typename W::D;
  D d{2};
  const CriticInputs<W>& in;
  ts::Tensor<typename D::Output> grad;  // dL/d(D's output)
  ts::Generator rng{5};                 // the penalty's alphas
  ts::Adam<float> opt;

  TesseraCritic(const CriticInputs<W>& inputs, ts::index batch)
      : in(inputs), grad(batch), opt(d.parameters(), W::adam) {
    ts::dcgan_init(d);  // as examples/wgan.cpp starts its critics
    d.train();
    d.reserve(batch);
  }

  // One critic step as examples/wgan.cpp takes it: the loss's term on the real batch, forward and
  // backward; the same on the fake batch; for WGAN-GP the penalty, at alpha if given, else at
  // alphas drawn from rng (ts::gradient_penalty adds its parameter gradients); Adam's step. Returns
  // the critic loss.
  float step(CriticRecord* r, std::span<const float> alpha = {}) {
    d.zero_grad();
    auto out = d.forward(in.real);
    if (r) r->d_real = to_vector(out);
    const auto on_real = examples::wasserstein_term(out, grad.view(), -1, W::hinge);
    d.backward(grad.view());
    out = d.forward(in.fake);
    if (r) r->d_fake = to_vector(out);
    const auto on_fake = examples::wasserstein_term(out, grad.view(), +1, W::hinge);
    d.backward(grad.view());
    double penalty = 0;
    if constexpr (W::penalty)
      penalty = alpha.empty() ? ts::gradient_penalty(d, in.real, in.fake, rng, W::lambda)
                              : ts::gradient_penalty(d, in.real, in.fake, alpha, W::lambda);
    if (r) record_tessera_grads(d, "D.", r->grads);
    opt.step();
    const float loss = on_real.loss + on_fake.loss + float(penalty);
    if (r) {
      r->loss = loss;
      r->penalty = penalty;
      record_tessera_buffers(d, "D.", r->buffers);
    }
    return loss;
  }
};

// ---- libtorch ------------------------------------------------------------------------------------
#ifdef TESSERA_BENCH_WITH_LIBTORCH
// A Sequential under a name (`self.main` in the tutorial), or a bare one (the MLP GAN's nets).
struct TorchNet {
  std::shared_ptr<tn::Module> root;  // the state_dict names are root's
  tn::Sequential body;
  torch::Tensor forward(const torch::Tensor& x) { return body->forward(x); }
};
TorchNet bare(tn::Sequential s) { return {s.ptr(), s}; }
TorchNet named(const std::string& name, tn::Sequential s) {
  NamedSequential n(name, s);
  return {n.ptr(), s};
}

tn::LeakyReLU leaky() { return tn::LeakyReLU(tn::LeakyReLUOptions().negative_slope(0.2)); }
tn::ConvTranspose2d deconv(std::int64_t in, std::int64_t out, std::int64_t k, std::int64_t s, std::int64_t p) {
  return tn::ConvTranspose2d(tn::ConvTranspose2dOptions(in, out, k).stride(s).padding(p).bias(false));
}
tn::Conv2d conv(std::int64_t in, std::int64_t out, std::int64_t k, std::int64_t s, std::int64_t p) {
  return tn::Conv2d(tn::Conv2dOptions(in, out, k).stride(s).padding(p).bias(false));
}

// The seed's MLP GAN: nn.Sequential(Linear(64, 256), ReLU, Linear(256, 256), ReLU, Linear(256, 784),
// Tanh) and nn.Sequential(Linear(784, 256), LeakyReLU(0.2), Linear(256, 256), LeakyReLU(0.2),
// Linear(256, 1), Sigmoid).
TorchNet torch_g(const MlpGan*) {
  return bare(tn::Sequential(tn::Linear(64, 256), tn::ReLU(), tn::Linear(256, 256), tn::ReLU(),
                             tn::Linear(256, 784), tn::Tanh()));
}
TorchNet torch_d(const MlpGan*) {
  return bare(tn::Sequential(tn::Linear(784, 256), leaky(), tn::Linear(256, 256), leaky(),
                             tn::Linear(256, 1), tn::Sigmoid()));
}
// The PyTorch DCGAN tutorial's networks (nz 100, ngf = ndf = 64, nc 3).
TorchNet torch_g(const Dcgan*) {
  return named("main", tn::Sequential(deconv(100, 512, 4, 1, 0), tn::BatchNorm2d(512), tn::ReLU(),
                                      deconv(512, 256, 4, 2, 1), tn::BatchNorm2d(256), tn::ReLU(),
                                      deconv(256, 128, 4, 2, 1), tn::BatchNorm2d(128), tn::ReLU(),
                                      deconv(128, 64, 4, 2, 1), tn::BatchNorm2d(64), tn::ReLU(),
                                      deconv(64, 3, 4, 2, 1), tn::Tanh()));
}
TorchNet torch_d(const Dcgan*) {
  return named("main", tn::Sequential(conv(3, 64, 4, 2, 1), leaky(),                             //
                                      conv(64, 128, 4, 2, 1), tn::BatchNorm2d(128), leaky(),     //
                                      conv(128, 256, 4, 2, 1), tn::BatchNorm2d(256), leaky(),    //
                                      conv(256, 512, 4, 2, 1), tn::BatchNorm2d(512), leaky(),    //
                                      conv(512, 1, 4, 1, 0), tn::Sigmoid()));
}

// Every parameter's gradient, or every buffer's value (num_batches_tracked aside, which tessera
// keeps as a counter), under prefix + its state_dict name.
void record_torch_grads(const TorchNet& net, const std::string& prefix,
                        std::map<std::string, std::vector<float>>& to) {
  for (const auto& p : net.root->named_parameters())
    to[prefix + p.key()] = to_vector(p.value().grad());
}
void record_torch_buffers(const TorchNet& net, const std::string& prefix,
                          std::map<std::string, std::vector<float>>& to) {
  for (const auto& b : net.root->named_buffers())
    if (b.key().find("num_batches_tracked") == std::string::npos)
      to[prefix + b.key()] = to_vector(b.value());
}

template <class Gan>
struct TorchGan {
  TorchNet g, d;
  torch::Tensor z, real, ones, zeros;
  std::unique_ptr<torch::optim::Adam> opt_d, opt_g;

  TorchGan(const TesseraGan<Gan>& from, ts::index batch)
      : g(torch_g(static_cast<const Gan*>(nullptr))), d(torch_d(static_cast<const Gan*>(nullptr))) {
    copy_weights(from.g, *g.root);
    copy_weights(from.d, *d.root);
    g.root->train();
    d.root->train();
    z = torch::from_blob(const_cast<float*>(from.in.z.data()), torch_sizes<typename Gan::G::Input>(batch),
                         torch::kFloat).clone();
    real = torch::from_blob(const_cast<float*>(from.in.real.data()), torch_sizes<typename Gan::D::Input>(batch),
                            torch::kFloat).clone();
    ones = torch::ones(torch_sizes<typename Gan::D::Output>(batch));
    zeros = torch::zeros(torch_sizes<typename Gan::D::Output>(batch));
    const auto options = torch::optim::AdamOptions(2e-4).betas({0.5, 0.999}).eps(1e-8);
    opt_d = std::make_unique<torch::optim::Adam>(d.root->parameters(), options);
    opt_g = std::make_unique<torch::optim::Adam>(g.root->parameters(), options);
  }

  // One training iteration, as the tutorial's loop body; returns the G loss.
  torch::Tensor step(Record* r) {
    // D step.
    d.root->zero_grad();
    torch::Tensor out = d.forward(real);
    torch::Tensor loss_real = torch::binary_cross_entropy(out, ones);
    loss_real.backward();
    const torch::Tensor fake = g.forward(z);
    torch::Tensor out_fake = d.forward(fake.detach());
    torch::Tensor loss_fake = torch::binary_cross_entropy(out_fake, zeros);
    loss_fake.backward();
    if (r) record_grads(d, "D.", *r);
    opt_d->step();
    if (r) {
      r->d_real = to_vector(out);
      r->loss_real = loss_real.item<double>();
      r->fake = to_vector(fake);
      r->d_fake = to_vector(out_fake);
      r->loss_fake = loss_fake.item<double>();
    }
    // G step: the updated D on the same fake; D's parameter gradients are computed too, as in the
    // tutorial (and zeroed by the next D step).
    g.root->zero_grad();
    if (r) fake.retain_grad();
    torch::Tensor out_g = d.forward(fake);
    torch::Tensor loss_g = torch::binary_cross_entropy(out_g, ones);
    loss_g.backward();
    if (r) r->d_input_grad = to_vector(fake.grad());
    if (r) record_grads(g, "G.", *r);
    opt_g->step();
    if (r) {
      r->d_g = to_vector(out_g);
      r->loss_g = loss_g.item<double>();
    }
    return loss_g;
  }

  static void record_grads(const TorchNet& net, const std::string& prefix, Record& r) {
    record_torch_grads(net, prefix, r.grads);
  }
  void record_buffers(Record& r) {
    record_torch_buffers(g, "G.", r.buffers);
    record_torch_buffers(d, "D.", r.buffers);
  }
};

// PyTorch's torch.nn.utils.spectral_norm(nn.Conv2d(in, out, k, s, p)) written out, since libtorch
// 1.13's C++ API has no spectral_norm (torch::nn::utils has only the gradient clipping and
// parameter-vector functions). It computes what torch/nn/utils/spectral_norm.py's forward pre-hook
// does, with its state_dict: "bias" and "weight_orig" (parameters), "weight_u" (out) and "weight_v"
// (in k k) (buffers). In training mode each forward first runs one power iteration under no_grad,
// in place on the buffers, v = normalize(W^T u), u = normalize(W v), W = weight_orig as an
// out x (in k k) matrix and normalize x / max(||x||, 1e-12), then clones u and v (so that the next
// forward's in-place update leaves this forward's graph alone); sigma = u . (W v) with u and v
// constants, so the gradient reaches weight_orig through sigma too; the convolution runs with
// weight_orig / sigma. In evaluation mode u and v are used as they are. The values start as zeros:
// copy_weights gives it tessera's.
struct SpectralNormConv2dImpl : tn::Module {
  torch::Tensor bias, weight_orig, weight_u, weight_v;
  std::int64_t stride, padding;

  SpectralNormConv2dImpl(std::int64_t in, std::int64_t out, std::int64_t k, std::int64_t s,
                         std::int64_t p)
      : stride(s), padding(p) {
    bias = register_parameter("bias", torch::zeros({out}));
    weight_orig = register_parameter("weight_orig", torch::zeros({out, in, k, k}));
    weight_u = register_buffer("weight_u", torch::zeros({out}));
    weight_v = register_buffer("weight_v", torch::zeros({in * k * k}));
  }
  torch::Tensor forward(const torch::Tensor& x) {
    const torch::Tensor w = weight_orig.reshape({weight_orig.size(0), -1});
    torch::Tensor u = weight_u, v = weight_v;
    if (is_training()) {
      torch::NoGradGuard no_grad;
      const auto unit = tn::functional::NormalizeFuncOptions().dim(0).eps(1e-12);
      weight_v.copy_(tn::functional::normalize(torch::mv(w.t(), weight_u), unit));
      weight_u.copy_(tn::functional::normalize(torch::mv(w, weight_v), unit));
      u = weight_u.clone();
      v = weight_v.clone();
    }
    const torch::Tensor sigma = torch::dot(u, torch::mv(w, v));
    return torch::conv2d(x, weight_orig / sigma, bias, {stride, stride}, {padding, padding});
  }
};
TORCH_MODULE(SpectralNormConv2d);

tn::Conv2d biased_conv(std::int64_t in, std::int64_t out, std::int64_t k, std::int64_t s,
                       std::int64_t p) {
  return tn::Conv2d(tn::Conv2dOptions(in, out, k).stride(s).padding(p));
}
// examples/wgan.cpp's critics (common/wgan_critics.hpp), F = 32: Conv2d(1, F, 4, 2, 1),
// LeakyReLU(0.2), Conv2d(F, 2F, 4, 2, 1), LeakyReLU(0.2), Conv2d(2F, 4F, 4, 2, 1), LeakyReLU(0.2),
// Conv2d(4F, 1, 4, 1, 0), with biases, as `self.main`; for SNGAN each Conv2d spectrally normalised.
TorchNet torch_d(const WganGp*) {
  constexpr std::int64_t f = examples::wgan_width;
  return named(
      "main",
      tn::Sequential(biased_conv(1, f, 4, 2, 1), leaky(), biased_conv(f, 2 * f, 4, 2, 1), leaky(),
                     biased_conv(2 * f, 4 * f, 4, 2, 1), leaky(), biased_conv(4 * f, 1, 4, 1, 0)));
}
TorchNet torch_d(const Sngan*) {
  constexpr std::int64_t f = examples::wgan_width;
  return named("main", tn::Sequential(SpectralNormConv2d(1, f, 4, 2, 1), leaky(),          //
                                      SpectralNormConv2d(f, 2 * f, 4, 2, 1), leaky(),      //
                                      SpectralNormConv2d(2 * f, 4 * f, 4, 2, 1), leaky(),  //
                                      SpectralNormConv2d(4 * f, 1, 4, 1, 0)));
}

template <class W>
struct TorchCritic {
  TorchNet d;
  torch::Tensor real, fake;
  std::unique_ptr<torch::optim::Adam> opt;

  TorchCritic(const TesseraCritic<W>& from, ts::index batch)
      : d(torch_d(static_cast<const W*>(nullptr))) {
    copy_weights(from.d, *d.root);
    d.root->train();
    const auto sizes = torch_sizes<typename W::D::Input>(batch);
    real = torch::from_blob(const_cast<float*>(from.in.real.data()), sizes, torch::kFloat).clone();
    fake = torch::from_blob(const_cast<float*>(from.in.fake.data()), sizes, torch::kFloat).clone();
    opt = std::make_unique<torch::optim::Adam>(
        d.root->parameters(), torch::optim::AdamOptions(W::adam.lr)
                                  .betas({W::adam.betas.beta1, W::adam.betas.beta2})
                                  .eps(W::adam.eps));
  }

  // One critic step in PyTorch's usual form: both forwards, the loss (for WGAN-GP with the seed's
  // penalty, through autograd.grad with create_graph), one backward, Adam's step. alpha: the
  // penalty's, else torch.rand((n, 1, 1, 1)) as the seed draws it. Returns the critic loss.
  torch::Tensor step(CriticRecord* r, const float* alpha = nullptr) {
    d.root->zero_grad();
    const torch::Tensor out_real = d.forward(real);
    const torch::Tensor out_fake = d.forward(fake);
    torch::Tensor loss = W::hinge
                             ? torch::relu(1 - out_real).mean() + torch::relu(1 + out_fake).mean()
                             : out_fake.mean() - out_real.mean();
    torch::Tensor penalty;
    if constexpr (W::penalty) {
      const std::int64_t n = real.size(0);
      const torch::Tensor a =
          alpha ? torch::from_blob(const_cast<float*>(alpha), {n, 1, 1, 1}, torch::kFloat)
                : torch::rand({n, 1, 1, 1});
      const torch::Tensor x_hat = (a * real + (1 - a) * fake).requires_grad_(true);
      const torch::Tensor d_hat = d.forward(x_hat);
      const torch::Tensor g =
          torch::autograd::grad({d_hat}, {x_hat}, {torch::ones_like(d_hat)},
                                /*retain_graph=*/true, /*create_graph=*/true)[0];
      penalty = W::lambda * (g.view({n, -1}).norm(2, 1) - 1).pow(2).mean();
      loss = loss + penalty;
    }
    loss.backward();
    if (r) record_torch_grads(d, "D.", r->grads);
    opt->step();
    if (r) {
      r->d_real = to_vector(out_real);
      r->d_fake = to_vector(out_fake);
      r->loss = loss.item<double>();
      if (penalty.defined()) r->penalty = penalty.item<double>();
      record_torch_buffers(d, "D.", r->buffers);
    }
    return loss;
  }
};

#endif

// ---- Fixtures: both sides of one (model, batch), made on first use -----------------------------
template <class Gan>
struct Fixture {
  Inputs<Gan> inputs;
  TesseraGan<Gan> tessera;
#ifdef TESSERA_BENCH_WITH_LIBTORCH
  TorchGan<Gan> torch;
#endif
  explicit Fixture(ts::index batch)
      : inputs(batch),
        tessera(inputs, batch)
#ifdef TESSERA_BENCH_WITH_LIBTORCH
        ,
        torch(tessera, batch)
#endif
  {
#ifdef TESSERA_BENCH_WITH_LIBTORCH
    check(batch);
#endif
  }

#ifdef TESSERA_BENCH_WITH_LIBTORCH
  // One iteration of each from the same weights and inputs; the largest differences are printed.
  void check(ts::index batch) {
    Record t, l;
    torch.step(&l);
    tessera.step(&t);
    torch.record_buffers(l);
    tessera.record_buffers(t);
    // Outputs (probabilities, images in [-1, 1]), losses and running statistics: the largest
    // absolute difference. Gradients: relative, in the 2-norm (see norm_error).
    std::vector<std::pair<std::string, double>> diffs{
        {"D(real)", max_diff(l.d_real, t.d_real)},
        {"G(z)", max_diff(l.fake, t.fake)},
        {"D(G(z)) in D step", max_diff(l.d_fake, t.d_fake)},
        {"D(G(z)) in G step", max_diff(l.d_g, t.d_g)},
        {"losses", std::max({std::abs(l.loss_real - t.loss_real), std::abs(l.loss_fake - t.loss_fake),
                             std::abs(l.loss_g - t.loss_g)})},
        {"running stats", max_diff(l.buffers, t.buffers)},
        {"D grads (rel)", norm_error(l.grads, t.grads, "D.")},
        {"dL/dG(z) (rel)", norm_error(l.d_input_grad, t.d_input_grad)},
        {"G grads (rel)", norm_error(l.grads, t.grads, "G.")}};
    std::printf("check: %s batch %lld, one iteration from the same weights, |libtorch - tessera|:", Gan::name,
                static_cast<long long>(batch));
    if (std::getenv("BENCH_TRAIN_VERBOSE")) {
      std::printf("\n");
      for (const auto& [name, values] : l.grads) {
        const auto other = t.grads.find(name);
        if (other == t.grads.end()) continue;
        std::printf("  grad %s: relative %.2g, largest difference %.2g, largest |libtorch| %.2g\n", name.c_str(),
                    norm_error(values, other->second), max_diff(values, other->second),
                    max_diff(values, std::vector<float>(values.size(), 0.0f)));
      }
    }
    bool ok = true;
    for (const auto& [what, diff] : diffs) {
      std::printf(" %s %.2g;", what.c_str(), diff);
      ok &= diff < (what.ends_with("(rel)") ? 3e-2 : 1e-3);
    }
    std::printf(" (libtorch's losses: D real %.4f, D fake %.4f, G %.4f)\n", l.loss_real, l.loss_fake, l.loss_g);
    std::fflush(stdout);
    if (!ok) {
      std::fprintf(stderr, "bench_train: libtorch and tessera disagree on %s batch %lld\n", Gan::name,
                   static_cast<long long>(batch));
      std::exit(1);
    }
  }
#endif
};

template <class W>
struct CriticFixture {
  CriticInputs<W> inputs;
  TesseraCritic<W> tessera;
#ifdef TESSERA_BENCH_WITH_LIBTORCH
  TorchCritic<W> torch;
#endif
  explicit CriticFixture(ts::index batch)
      : inputs(batch),
        tessera(inputs, batch)
#ifdef TESSERA_BENCH_WITH_LIBTORCH
        ,
        torch(tessera, batch)
#endif
  {
#ifdef TESSERA_BENCH_WITH_LIBTORCH
    check(batch);
#endif
  }

#ifdef TESSERA_BENCH_WITH_LIBTORCH
  // One critic step of each from the same weights (spectral norm's u and v included), inputs and
  // alphas. The penalty and the critic loss must agree to 1e-4 relative, so that both time the same
  // work; the scores of the first two forwards (for SNGAN the first forward runs the first power
  // iteration) to 1e-4 absolute, u and v after the step too, and the gradients before Adam's step
  // to 1e-3 relative in the 2-norm (float rounding at LeakyReLU's kink can move a few samples'
  // paths, see norm_error).
  void check(ts::index batch) {
    CriticRecord t, l;
    torch.step(&l, inputs.alpha.data());
    tessera.step(&t, inputs.alpha);
    const auto relative = [](double lt, double ts) {
      return std::abs(lt - ts) / std::max(std::abs(lt), 1e-30);
    };
    struct Diff {
      const char* what;
      double diff, bound;
    };
    std::vector<Diff> diffs{{"D(real)", max_diff(l.d_real, t.d_real), 1e-4},
                            {"D(fake)", max_diff(l.d_fake, t.d_fake), 1e-4},
                            {"loss (rel)", relative(l.loss, t.loss), 1e-4}};
    if (W::penalty) diffs.push_back({"penalty (rel)", relative(l.penalty, t.penalty), 1e-4});
    diffs.push_back({"D grads (rel)", norm_error(l.grads, t.grads, "D."), 1e-3});
    if (!l.buffers.empty() || !t.buffers.empty())
      diffs.push_back({"u, v after the step", max_diff(l.buffers, t.buffers), 1e-4});
    std::printf("check: %s batch %lld, one step from the same weights, |libtorch - tessera|:",
                W::name, static_cast<long long>(batch));
    bool ok = true;
    for (const auto& d : diffs) {
      std::printf(" %s %.2g;", d.what, d.diff);
      ok &= d.diff < d.bound;  // false for a NaN too
    }
    std::printf(" (libtorch's loss %.6f", l.loss);
    if (W::penalty)
      std::printf(", penalty %.6f; tessera's %.6f, %.6f", l.penalty, t.loss, t.penalty);
    else
      std::printf("; tessera's %.6f", t.loss);
    std::printf(")\n");
    std::fflush(stdout);
    if (!ok) {
      std::fprintf(stderr, "bench_train: libtorch and tessera disagree on %s batch %lld\n", W::name,
                   static_cast<long long>(batch));
      std::exit(1);
    }
  }
#endif
};

// Both sides of one (workload, batch), made, and checked, on first use.
template <class W>
using FixtureOf = std::conditional_t<GanWorkload<W>, Fixture<W>, CriticFixture<W>>;
template <class W>
FixtureOf<W>& fixture(ts::index batch) {
  static std::map<ts::index, std::unique_ptr<FixtureOf<W>>> made;
  auto& f = made[batch];
  if (!f) f = std::make_unique<FixtureOf<W>>(batch);
  return *f;
}

void set_counters(benchmark::State& state, ts::index batch, long faults) {
  state.SetItemsProcessed(state.iterations() * batch);
  state.counters["batch"] = double(batch);
  state.counters["faults"] = benchmark::Counter(double(faults), benchmark::Counter::kAvgIterations);
}

template <class Gan>
static void tessera_train(benchmark::State& state) {
  const ts::index batch = state.range(0);
  auto& f = fixture<Gan>(batch).tessera;
  benchmark::DoNotOptimize(f.step(nullptr));  // warm-up, untimed
  const long faults = minor_faults();
  for (auto _ : state) {
    benchmark::DoNotOptimize(f.step(nullptr));
    benchmark::ClobberMemory();
  }
  set_counters(state, batch, minor_faults() - faults);
}

#ifdef TESSERA_BENCH_WITH_LIBTORCH
template <class Gan>
static void libtorch_train(benchmark::State& state) {
  const ts::index batch = state.range(0);
  auto& f = fixture<Gan>(batch).torch;
  benchmark::DoNotOptimize(f.step(nullptr).data_ptr());  // warm-up, untimed
  const long faults = minor_faults();
  for (auto _ : state) {
    torch::Tensor loss = f.step(nullptr);
    benchmark::DoNotOptimize(loss.data_ptr());
    benchmark::ClobberMemory();
  }
  set_counters(state, batch, minor_faults() - faults);
}
#endif

// Registered in pairs, so that each model's two timings are taken next to each other.
template <class Gan>
void register_model(ts::index batch) {
  const std::string n = std::string(Gan::name) + "_train";
  benchmark::RegisterBenchmark((n + "/tessera").c_str(), tessera_train<Gan>)
        ->Arg(batch)->Unit(benchmark::kMillisecond)->UseRealTime();
#ifdef TESSERA_BENCH_WITH_LIBTORCH
  benchmark::RegisterBenchmark((n + "/libtorch").c_str(), libtorch_train<Gan>)
      ->Arg(batch)->Unit(benchmark::kMillisecond)->UseRealTime();
#endif
}

// The closing table: each workload's time and samples/s per library, and the speed-up.
void print_table(const RecordingReporter& reporter) {
  std::printf("\n%-20s %6s %12s %12s %16s %16s %18s\n", "model", "batch", "tessera ms",
              "libtorch ms", "tessera samp/s", "libtorch samp/s", "speed-up (lt/ts)");
  for (const auto& k : reporter.order) {
    const double ts_ms = reporter.ms(k, "tessera"), lt_ms = reporter.ms(k, "libtorch");
    const double batch = std::atof(k.batch.c_str());
    char ts_s[32] = "-", lt_s[32] = "-", ts_r[32] = "-", lt_r[32] = "-", ratio[32] = "-";
    if (ts_ms > 0) std::snprintf(ts_s, sizeof ts_s, "%.2f", ts_ms);
    if (lt_ms > 0) std::snprintf(lt_s, sizeof lt_s, "%.2f", lt_ms);
    if (ts_ms > 0) std::snprintf(ts_r, sizeof ts_r, "%.0f", batch * 1e3 / ts_ms);
    if (lt_ms > 0) std::snprintf(lt_r, sizeof lt_r, "%.0f", batch * 1e3 / lt_ms);
    if (ts_ms > 0 && lt_ms > 0) std::snprintf(ratio, sizeof ratio, "%.2fx", lt_ms / ts_ms);
    std::printf("%-20s %6s %12s %12s %16s %16s %18s\n", k.model.c_str(), k.batch.c_str(), ts_s,
                lt_s, ts_r, lt_r, ratio);
  }
  std::printf(
      "(ms per iteration, a GAN's D step + G step or one critic step: the median over "
      "repetitions when reported, else the mean, else the median of the runs; samples/s = batch / "
      "time; speed-up > 1 means tessera is faster)\n");
}

int main(int argc, char** argv) {
  add_context("bench_train", ts::num_threads());

  register_model<MlpGan>(100);
  register_model<Dcgan>(64);
  register_model<Dcgan>(16);
  register_model<WganGp>(64);
  register_model<Sngan>(64);

  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  RecordingReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  print_table(reporter);
  benchmark::Shutdown();
  return 0;
}
