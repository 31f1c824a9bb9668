// The big convolution workloads on the CPU, tessera side by side with the same models built from
// libtorch's torch::nn modules, in one Google Benchmark run, with the machine's FMA peak measured
// first so that each workload's GFLOP/s can be read as a share of it:
//   unet572_train/<tessera|libtorch>/1     one training step of the seed U-Net at 1x572x572
//   unet572_forward/<tessera|libtorch>/1   its inference (eval mode)
//   pix2pix256_train/<tessera|libtorch>/1  one pix2pix iteration (D step + G step) of seed 003 at
//                                          3x256x256, batch 1
//
// Build and run (from the repository root), in the environment of bench_forward and bench_train
// (see there and docs/performance.md: OpenBLAS picks this CPU's kernels, glibc keeps freed blocks):
//   cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release
//   cmake --build build --target bench_big
//   env -u OPENBLAS_CORETYPE MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=4294967296
//   MALLOC_TOP_PAD_=268435456 build/benchmarks/bench_big --benchmark_repetitions=3
//   --benchmark_report_aggregates_only=true --benchmark_min_time=0.01
// A step takes seconds (a U-Net training step is about 1,000 GFLOP), so any min_time below a step
// gives one iteration per repetition; each side is warmed up by one untimed step the first time it
// is entered. Per workload and side that run takes one checked step, one warm-up and three timed
// ones: on one thread of the 2-core development machine (beside other work) a U-Net training step
// took 10.3 s (tessera) and 14.0 s (libtorch), a U-Net forward 2.9 s and 4.1 s, a pix2pix iteration
// 1.1 s and 1.7 s, so the whole run takes about 3.5 minutes on one thread and, if the two threads
// scale, about 2 minutes on two (70% of it the U-Net training). It needs about 12 GB of memory
// (9.6 GB for the U-Net training alone: both libraries' activations at 572x572 for backward).
// --check_only builds and checks the workloads that --benchmark_filter picks and times nothing,
// e.g. `bench_big --check_only --benchmark_filter=pix2pix`.
//
// libtorch is optional, as for bench_forward: benchmarks/CMakeLists.txt compiles the libtorch half
// (and defines TESSERA_BENCH_WITH_LIBTORCH) only when find_package(Torch) succeeds and its headers
// compile with this compiler; otherwise only tessera runs.
//
// The workloads:
//   unet572: models::SeedUNet<2> (the seed's Unet of seeds 000/001: four levels 64-1024 of valid
//     3x3 DoubleConv with BatchNorm, skips resized bilinearly to the decoder's size, as the seed's
//     transforms.functional.resize does; the 2015 paper's crop, PaperUNet, would give the same
//     shapes) on 1x572x572 -> 2x388x388, 39,393,410 parameters. Training mode (BatchNorm on the
//     batch's statistics, running statistics updated): zero_grad, forward, per-pixel cross-entropy
//     (mean) against fixed labels in {0, 1} (ts::cross_entropy_loss, F.cross_entropy), backward,
//     Adam(lr 1e-3, betas (0.9, 0.999), eps 1e-8). The forward benchmark runs the model in eval
//     mode (running statistics) without keeping anything for backward: tessera's predict(),
//     libtorch's forward under NoGradGuard and InferenceMode.
//   pix2pix256: seed 003's Pix2PixGenerator003<3, 64, 8> (the book's UNetGenerator at full depth,
//     54,409,603 parameters) and PatchGAN Pix2PixDiscriminator003<64> on cat(x, y) (6 channels,
//     one logit per 16x16-pixel patch: 1x16x16), both in training mode (G's Dropout(0.5) on), one
//     iteration as examples/pix2pix.cpp takes it (x the input image, y its target, both fixed):
//       D step: zero_grad; fake = G(x);
//               0.5 (BCE_logits(D(x, y), 1) + BCE_logits(D(x, fake.detach()), 0)) backward;
//               Adam step
//       G step: D frozen; zero_grad; BCE_logits(D(x, fake), 1) + 100 L1(fake, y) backward (through
//               the updated D, the D step's fake reused); Adam step
//     with Adam(lr 2e-4, betas (0.5, 0.999)) for each network. tessera adds the two gradients at
//     G's output itself (the example's way); libtorch sums the losses and calls backward once.
//
// tessera's convolutions run in the process's default setting (ts::ConvolutionAlgorithm::fastest:
// Winograd's algorithm for the 3x3 stride-1 ones where it timed faster, on the first step);
// TESSERA_CONVOLUTION_ALGORITHM=direct gives the direct algorithm's times.
//
// Fairness: both sides are float32 and use every OpenMP thread (torch::set_num_threads to the
// thread count tessera's OpenMP uses); inputs, labels and targets are made once (nothing is loaded
// or drawn in a timed step except Dropout's masks, on both sides); the models are built once and
// warmed up untimed (oneDNN primitive creation and tessera's arena sizing are not timed). In the
// G step both sides freeze D (tessera's requires_grad(false); libtorch sets requires_grad_(false)
// on D's parameters for the step, as the official PyTorch pix2pix code does with
// set_requires_grad(netD, False)), so neither computes D's parameter gradients there. libtorch
// allocates its activations in every step (the MALLOC_* settings keep that cheap); tessera
// allocates nothing once reserved.
//
// Counters: GFLOP/s is a FLOP count per iteration, the same for both libraries, over the measured
// real time, and %peak that over the FMA peak below. The count is tessera's constexpr forward
// count (Model::flops_per_sample, a multiply-add counts 2, as fvcore counts): a forward counts F, a
// backward with parameter gradients 2 F (the input and the weight gradients), one that gives only
// the input gradient F. So unet572_train counts 3 F_unet, unet572_forward F_unet, pix2pix256_train
// 3 F_G + 8 F_D (D: three forwards, two full backwards, the frozen one). These are nominal counts
// of the convolutions' arithmetic; the first layer's unneeded input gradient, the norms and the
// optimizer are not in them.
//
// Peak: before the workloads, every OpenMP thread runs a loop of 12 independent vector FMAs on
// registers (_mm512_fmadd_ps where __AVX512F__ is defined, else _mm256_fmadd_ps under __FMA__,
// else std::fma), the count doubled until a run takes 0.2 s, then the best of three runs:
// GFLOP/s = threads * iterations * 12 * lanes * 2 / seconds. The run prints it with the time of
// half the iterations, which must be about half (else the loop was not what ran). It is the
// frequency the machine holds under that load, so it includes any AVX-512 downclocking and, on a
// shared machine, the other processes' share.
//
// Checked before timing (libtorch built): libtorch's twin gets tessera's weights and buffers by
// state_dict name, both run one iteration from them on the same inputs, and the run prints
// `check: ...` lines: the largest differences of the outputs, the losses and BatchNorm's running
// statistics after the step (it stops at 1e-3 or more), and, relative in the 2-norm, the
// parameter gradients just before the optimizer steps and the gradient at G's output (it stops at
// 3e-2 or more: float rounding moves a few pre-activations across a ReLU's kink, see bench_train's
// norm_error). pix2pix's check runs G in eval mode, on both sides, so that Dropout (whose masks the
// two libraries draw differently) is off; InstanceNorm has no running statistics, so that changes
// nothing else. The U-Net forward is checked in eval mode, as timed.
//
// Names: <workload>/<tessera|libtorch>/<batch>. At the end a table gives each workload's median
// (or mean) time per iteration per library, its GFLOP/s and % of the peak, and the speed-up,
// libtorch time / tessera time (> 1: tessera is faster).
#if defined(__AVX512F__) || defined(__FMA__)
#include <immintrin.h>
#endif

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <tessera/models/patchgan.hpp>
#include <tessera/models/pix2pix.hpp>
#include <tessera/models/unet.hpp>
#include <tessera/tessera.hpp>
#include <tessera/train/adam.hpp>
#include <tessera/train/loss.hpp>
#include <vector>

#include "common.hpp"

namespace ts = tessera;
using namespace bench;

// ---- The models ---------------------------------------------------------------------------------
using UNet = ts::Model<ts::models::SeedUNet<2>, ts::Shape<1, 572, 572>>;  // -> 2x388x388
using Image256 = ts::Shape<3, 256, 256>;
using P2pG = ts::Model<ts::models::Pix2PixGenerator003<3, 64, 8>, Image256>;
using P2pD = ts::Model<ts::models::Pix2PixDiscriminator003<64>,
                       ts::Shapes<Image256, Image256>>;  // -> 1x16x16
static_assert(UNet::output_shape == ts::Shape<2, 388, 388>{});
static_assert(UNet::parameter_count == 39'393'410);

// GFLOP per iteration of each workload (see the header comment).
constexpr double unet_train_gflop = 3 * UNet::flops_per_sample / 1e9;
constexpr double unet_forward_gflop = UNet::flops_per_sample / 1e9;
constexpr double pix2pix_train_gflop =
    (3 * P2pG::flops_per_sample + 8 * P2pD::flops_per_sample) / 1e9;

bool check_only = false;  // --check_only: build and check the workloads, time nothing
double peak_gflops = 0;   // the FMA peak, measured in main

// What one iteration produced, for the agreement check: named outputs and losses (compared by
// their largest difference), and every parameter's gradient before its optimizer step and every
// buffer after the step, by "<net>." + state_dict name.
struct Record {
  std::map<std::string, std::vector<float>> outputs;
  std::map<std::string, double> losses;
  std::map<std::string, std::vector<float>> grads, buffers;
};

template <class M>
void record_tessera(const M& m, const std::string& prefix,
                    std::map<std::string, std::vector<float>>& to, bool buffers) {
  using Kind = ts::TensorEntry<float>::Kind;
  for (const auto& e : m.tensors()) {
    if (!buffers && e.kind == Kind::parameter)
      to[prefix + e.name] = std::vector<float>(e.grad, e.grad + e.size());
    if (buffers && e.kind == Kind::buffer)
      to[prefix + e.name] = std::vector<float>(e.value, e.value + e.size());
  }
}

// ---- tessera ------------------------------------------------------------------------------------
// The U-Net, its fixed input and per-pixel labels (388 x 388 in {0, 1}).
struct TesseraUNet {
  UNet net{1};
  ts::Tensor<UNet::Input> x{1};
  std::vector<std::int64_t> labels;
  ts::Tensor<UNet::Output> grad{1};  // dL/d(logits)
  ts::Adam<float> opt;

  explicit TesseraUNet(bool train)
      : labels(std::size_t(UNet::output_shape.dims[1] * UNet::output_shape.dims[2])),
        opt(net.parameters(), {.lr = 1e-3, .betas = {0.9, 0.999}, .eps = 1e-8}) {
    ts::Generator rng(3);
    for (auto& v : x.span()) v = float(rng.normal());
    for (auto& l : labels) l = rng.uniform() < 0.5 ? 0 : 1;
    net.train(train);
    if (train) net.reserve(1);  // predict() sizes its own, smaller arena on first use
  }

  // One training step; returns the loss.
  float step(Record* r) {
    net.zero_grad();
    auto out = net.forward(x);
    const float loss = ts::cross_entropy_loss(out, labels, grad.view());
    net.backward(grad.view());
    if (r) {
      r->outputs["logits"] = to_vector(out);
      r->losses["cross-entropy"] = loss;
      record_tessera(net, "", r->grads, false);
    }
    opt.step();
    if (r) record_tessera(net, "", r->buffers, true);
    return loss;
  }
  // Inference (the model in eval mode): nothing kept for backward.
  auto infer() { return net.predict(x); }
};

// Seed 003's pix2pix: G, D, a fixed input/target pair in [-1, 1], and the iteration of
// examples/pix2pix.cpp.
struct TesseraPix2Pix {
  using Score = P2pD::Output;
  P2pG g{1};
  P2pD d{2};
  ts::Tensor<Image256> x{1}, y{1}, l1_grad{1}, g_grad{1};
  ts::Tensor<Score> ones{1, 1.0f}, zeros{1, 0.0f}, grad{1};
  ts::Adam<float> opt_d, opt_g;
  static constexpr float lambda = 100;

  TesseraPix2Pix()
      : opt_d(d.parameters(), {.lr = 2e-4, .betas = {0.5, 0.999}, .eps = 1e-8}),
        opt_g(g.parameters(), {.lr = 2e-4, .betas = {0.5, 0.999}, .eps = 1e-8}) {
    ts::Generator rng(4);
    for (auto& v : x.span()) v = float(rng.uniform(-1, 1));
    for (auto& v : y.span()) v = float(rng.uniform(-1, 1));
    g.train();
    d.train();
    g.reserve(1);
    d.reserve(1);
  }

  // One iteration; returns G's loss.
  float step(Record* r) {
    // D step: 0.5 (BCE(D(x, y), 1) + BCE(D(x, G(x)), 0)), the halving as the losses' weight; the
    // fake's gradient stops at D.
    d.requires_grad(true);
    d.zero_grad();
    auto out = d.forward(x, y);
    if (r) r->outputs["D(x, y)"] = to_vector(out);
    const float loss_real =
        ts::bce_with_logits_loss(out, ones, grad.view(), ts::Reduction::mean, 0.5);
    d.backward(grad.view());
    const auto fake = g.forward(x);  // G's arena: valid until G's next forward
    if (r) r->outputs["G(x)"] = to_vector(fake);
    out = d.forward(x, fake);
    if (r) r->outputs["D(x, G(x)) in D step"] = to_vector(out);
    const float loss_fake =
        ts::bce_with_logits_loss(out, zeros, grad.view(), ts::Reduction::mean, 0.5);
    d.backward(grad.view());
    if (r) record_tessera(d, "D.", r->grads, false);
    opt_d.step();

    // G step: D frozen, so its backward gives only the gradients at its inputs; the L1 term's
    // gradient is added at G's output, and G's backward takes the sum.
    d.requires_grad(false);
    g.zero_grad();
    out = d.forward(x, fake);
    if (r) r->outputs["D(x, G(x)) in G step"] = to_vector(out);
    const float adversarial = ts::bce_with_logits_loss(out, ones, grad.view());
    const auto [dx, dfake] = d.backward_to_input(grad.view());
    (void)dx;
    const float l1 = ts::l1_loss(fake, y, l1_grad.view(), ts::Reduction::mean, lambda);
    float* dy = g_grad.data();
    for (std::size_t i = 0; i < Image256::size; ++i) dy[i] = dfake.data()[i] + l1_grad.data()[i];
    g.backward(g_grad.view());
    if (r) {
      r->outputs["dL/dG(x) (rel)"] = to_vector(g_grad);
      record_tessera(g, "G.", r->grads, false);
      r->losses["D loss"] = loss_real + loss_fake;
      r->losses["G adversarial"] = adversarial;
      r->losses["G lambda L1"] = l1;
    }
    opt_g.step();
    d.requires_grad(true);
    return adversarial + l1;
  }
};

// ---- libtorch -----------------------------------------------------------------------------------
#ifdef TESSERA_BENCH_WITH_LIBTORCH
namespace tf = torch::nn::functional;

tn::Conv2d conv(std::int64_t in, std::int64_t out, std::int64_t k, std::int64_t s, std::int64_t p,
                bool bias = true) {
  return tn::Conv2d(tn::Conv2dOptions(in, out, k).stride(s).padding(p).bias(bias));
}
tn::ConvTranspose2d deconv(std::int64_t in, std::int64_t out) {  // (4, 2, 1), with bias
  return tn::ConvTranspose2d(tn::ConvTranspose2dOptions(in, out, 4).stride(2).padding(1));
}
tn::LeakyReLU leaky() {
  return tn::LeakyReLU(tn::LeakyReLUOptions().negative_slope(0.2));
}

// The seed's DoubleConv2d: its layers in `self.conv`.
struct DoubleConvImpl : tn::Module {
  tn::Sequential conv;
  DoubleConvImpl(std::int64_t in, std::int64_t out)
      : conv(register_module(
            "conv",
            tn::Sequential(::conv(in, out, 3, 1, 0, false), tn::BatchNorm2d(out), tn::ReLU(),
                           ::conv(out, out, 3, 1, 0, false), tn::BatchNorm2d(out), tn::ReLU()))) {}
  torch::Tensor forward(const torch::Tensor& x) { return conv->forward(x); }
};
TORCH_MODULE(DoubleConv);

// The seed's Unet (tests/fixtures/make_fixtures.py's SeedUnet, merge "resize"), its lists as
// ModuleLists (the same state_dict names as nn.Sequential's).
struct SeedUnetImpl : tn::Module {
  std::vector<DoubleConv> encoder, decoder;
  std::vector<tn::ConvTranspose2d> up;
  DoubleConv bottleneck{nullptr};
  tn::Conv2d output{nullptr};

  SeedUnetImpl() {
    const std::int64_t widths[] = {64, 128, 256, 512};
    tn::ModuleList enc, dec, ups;
    std::int64_t in = 1;
    for (auto w : widths) {
      encoder.push_back(DoubleConv(in, w));
      enc->push_back(encoder.back());
      in = w;
    }
    for (int i = 3; i >= 0; --i) {
      up.push_back(deconv(2 * widths[i], widths[i]));
      ups->push_back(up.back());
      decoder.push_back(DoubleConv(2 * widths[i], widths[i]));
      dec->push_back(decoder.back());
    }
    register_module("encoder_conv", enc);
    register_module("decoder_up", ups);
    register_module("decoder_conv", dec);
    bottleneck = register_module("bottleneck", DoubleConv(512, 1024));
    output = register_module("output", ::conv(64, 2, 3, 1, 1));
  }
  torch::Tensor forward(torch::Tensor x) {
    std::vector<torch::Tensor> skips;
    for (auto& block : encoder) {
      x = block->forward(x);
      skips.push_back(x);
      x = torch::max_pool2d(x, 2);
    }
    x = bottleneck->forward(x);
    for (std::size_t i = 0; i < up.size(); ++i) {
      x = up[i]->forward(x);
      const torch::Tensor skip = tf::interpolate(
          skips[skips.size() - 1 - i], tf::InterpolateFuncOptions()
                                           .size(std::vector<std::int64_t>{x.size(2), x.size(3)})
                                           .mode(torch::kBilinear)
                                           .align_corners(false));
      x = decoder[i]->forward(torch::cat({skip, x}, 1));
    }
    return output->forward(x);
  }
};
TORCH_MODULE(SeedUnet);

// Seed 003's blocks, their lists registered as nn.Sequential `layers` (SEEDS.md).
struct DownConvBlockImpl : tn::Module {
  tn::Sequential layers;
  DownConvBlockImpl(std::int64_t in, std::int64_t out, bool norm, bool dropout) {
    tn::Sequential s(conv(in, out, 4, 2, 1));
    if (norm) s->push_back(tn::InstanceNorm2d(out));
    s->push_back(leaky());
    if (dropout) s->push_back(tn::Dropout(0.5));
    layers = register_module("layers", s);
  }
  torch::Tensor forward(const torch::Tensor& x) { return layers->forward(x); }
};
TORCH_MODULE(DownConvBlock);
struct UpConvBlockImpl : tn::Module {
  tn::Sequential layers;
  UpConvBlockImpl(std::int64_t in, std::int64_t out, bool dropout) {
    tn::Sequential s(deconv(in, out), tn::InstanceNorm2d(out), tn::ReLU());
    if (dropout) s->push_back(tn::Dropout(0.5));
    layers = register_module("layers", s);
  }
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& enc) {
    return torch::cat({layers->forward(x), enc}, 1);
  }
};
TORCH_MODULE(UpConvBlock);

// Seed 003's UNetGenerator (make_fixtures.py's), nf 64.
struct UNetGeneratorImpl : tn::Module {
  std::vector<DownConvBlock> down;
  std::vector<UpConvBlock> up;
  tn::Conv2d conv_layer_1{nullptr};
  UNetGeneratorImpl() {
    const std::int64_t w[] = {64, 128, 256, 512, 512, 512, 512, 512};
    for (int k = 0; k < 8; ++k)
      down.push_back(
          register_module("down_conv_layer_" + std::to_string(k + 1),
                          DownConvBlock(k == 0 ? 3 : w[k - 1], w[k], k != 0 && k != 7, k >= 3)));
    for (int k = 0; k < 7; ++k)  // up_conv_layer_(k+1) reads enc(8-k) (and dec(k) cat enc(8-k))
      up.push_back(register_module("up_conv_layer_" + std::to_string(k + 1),
                                   UpConvBlock(k == 0 ? w[7] : 2 * w[7 - k], w[6 - k], k <= 3)));
    conv_layer_1 = register_module("conv_layer_1", conv(2 * w[0], 3, 4, 1, 1));
  }
  torch::Tensor forward(const torch::Tensor& x) {
    std::vector<torch::Tensor> enc{x};
    for (auto& d : down) enc.push_back(d->forward(enc.back()));
    torch::Tensor dec = enc[8];
    for (int k = 0; k < 7; ++k) dec = up[std::size_t(k)]->forward(dec, enc[std::size_t(7 - k)]);
    dec = tf::interpolate(
        dec,
        tf::InterpolateFuncOptions().scale_factor(std::vector<double>{2, 2}).mode(torch::kNearest));
    dec = torch::constant_pad_nd(dec, {1, 0, 1, 0});  // ZeroPad2d((1, 0, 1, 0))
    return torch::tanh(conv_layer_1->forward(dec));
  }
};
TORCH_MODULE(UNetGenerator);

// Seed 003's Pix2PixDiscriminator (make_fixtures.py's Pix2Pix003Discriminator), width 64.
struct PatchGanImpl : tn::Module {
  tn::Sequential lyr1, lyr2, lyr3, lyr4;
  tn::Conv2d conv_layer_1{nullptr};
  PatchGanImpl() {
    auto block = [](std::int64_t in, std::int64_t out) {
      return tn::Sequential(conv(in, out, 4, 2, 1), tn::InstanceNorm2d(out), leaky());
    };
    lyr1 = register_module("lyr1", tn::Sequential(conv(6, 64, 4, 2, 1), leaky()));
    lyr2 = register_module("lyr2", block(64, 128));
    lyr3 = register_module("lyr3", block(128, 256));
    lyr4 = register_module("lyr4", block(256, 512));
    conv_layer_1 = register_module("conv_layer_1", conv(512, 1, 4, 1, 1));
  }
  torch::Tensor forward(const torch::Tensor& real, const torch::Tensor& translated) {
    torch::Tensor x = torch::cat({real, translated}, 1);
    x = lyr4->forward(lyr3->forward(lyr2->forward(lyr1->forward(x))));
    return conv_layer_1->forward(torch::constant_pad_nd(x, {1, 0, 1, 0}));
  }
};
TORCH_MODULE(PatchGan);

template <ts::SingleShape S>
torch::Tensor to_torch(const ts::Tensor<S>& t) {  // a copy, (1, dims...)
  return torch::from_blob(const_cast<float*>(t.data()), torch_sizes<S>(1), torch::kFloat).clone();
}

// Every parameter's gradient, or every buffer's value (num_batches_tracked aside, which tessera
// keeps as a counter), under prefix + its state_dict name.
void record_torch(const tn::Module& m, const std::string& prefix,
                  std::map<std::string, std::vector<float>>& to, bool buffers) {
  if (!buffers)
    for (const auto& p : m.named_parameters()) to[prefix + p.key()] = to_vector(p.value().grad());
  else
    for (const auto& b : m.named_buffers())
      if (b.key().find("num_batches_tracked") == std::string::npos)
        to[prefix + b.key()] = to_vector(b.value());
}

struct TorchUNet {
  SeedUnet net;
  torch::Tensor x, labels;
  std::unique_ptr<torch::optim::Adam> opt;

  TorchUNet(const TesseraUNet& from, bool train) {
    copy_weights(from.net, *net);
    net->train(train);
    x = to_torch(from.x);
    const auto& out = UNet::output_shape.dims;
    labels = torch::from_blob(const_cast<std::int64_t*>(from.labels.data()), {1, out[1], out[2]},
                              torch::kLong)
                 .clone();
    opt = std::make_unique<torch::optim::Adam>(
        net->parameters(), torch::optim::AdamOptions(1e-3).betas({0.9, 0.999}).eps(1e-8));
  }

  torch::Tensor step(Record* r) {
    net->zero_grad();
    const torch::Tensor out = net->forward(x);
    torch::Tensor loss = tf::cross_entropy(out, labels);
    loss.backward();
    if (r) {
      r->outputs["logits"] = to_vector(out);
      r->losses["cross-entropy"] = loss.item<double>();
      record_torch(*net, "", r->grads, false);
    }
    opt->step();
    if (r) record_torch(*net, "", r->buffers, true);
    return loss;
  }
  torch::Tensor infer() {
    torch::NoGradGuard no_grad;
    c10::InferenceMode inference;
    return net->forward(x);
  }
};

struct TorchPix2Pix {
  UNetGenerator g;
  PatchGan d;
  torch::Tensor x, y;
  std::unique_ptr<torch::optim::Adam> opt_d, opt_g;

  explicit TorchPix2Pix(const TesseraPix2Pix& from) {
    copy_weights(from.g, *g);
    copy_weights(from.d, *d);
    g->train();
    d->train();
    x = to_torch(from.x);
    y = to_torch(from.y);
    const auto options = torch::optim::AdamOptions(2e-4).betas({0.5, 0.999}).eps(1e-8);
    opt_d = std::make_unique<torch::optim::Adam>(d->parameters(), options);
    opt_g = std::make_unique<torch::optim::Adam>(g->parameters(), options);
  }
  void freeze_d(bool frozen) {
    for (auto& p : d->parameters()) p.requires_grad_(!frozen);
  }

  torch::Tensor step(Record* r) {
    // D step.
    d->zero_grad();
    const torch::Tensor out_real = d->forward(x, y);
    const torch::Tensor fake = g->forward(x);
    const torch::Tensor out_fake = d->forward(x, fake.detach());
    const torch::Tensor loss_d =
        0.5 * (tf::binary_cross_entropy_with_logits(out_real, torch::ones_like(out_real)) +
               tf::binary_cross_entropy_with_logits(out_fake, torch::zeros_like(out_fake)));
    loss_d.backward();
    if (r) record_torch(*d, "D.", r->grads, false);
    opt_d->step();
    // G step: D (just updated) frozen, the D step's fake reused.
    freeze_d(true);
    g->zero_grad();
    if (r) fake.retain_grad();
    const torch::Tensor out_g = d->forward(x, fake);
    const torch::Tensor adversarial =
        tf::binary_cross_entropy_with_logits(out_g, torch::ones_like(out_g));
    const torch::Tensor l1 = TesseraPix2Pix::lambda * tf::l1_loss(fake, y);
    const torch::Tensor loss_g = adversarial + l1;
    loss_g.backward();
    if (r) {
      r->outputs["D(x, y)"] = to_vector(out_real);
      r->outputs["G(x)"] = to_vector(fake);
      r->outputs["D(x, G(x)) in D step"] = to_vector(out_fake);
      r->outputs["D(x, G(x)) in G step"] = to_vector(out_g);
      r->outputs["dL/dG(x) (rel)"] = to_vector(fake.grad());
      record_torch(*g, "G.", r->grads, false);
      r->losses["D loss"] = loss_d.item<double>();
      r->losses["G adversarial"] = adversarial.item<double>();
      r->losses["G lambda L1"] = l1.item<double>();
    }
    opt_g->step();
    freeze_d(false);
    return loss_g;
  }
};

// Prints `check: <what>, |libtorch - tessera|: ...` for one iteration's records and stops the run
// when they are far apart: outputs, losses and buffers at 1e-3 absolute, gradients and entries
// named "(rel)" at 3e-2 relative in the 2-norm. grad_prefixes: the networks whose parameter
// gradients are compared ("" for all of them as one).
void compare(const char* what, const Record& l, const Record& t,
             const std::vector<std::string>& grad_prefixes) {
  std::vector<std::pair<std::string, double>> diffs;
  for (const auto& [name, values] : l.outputs) {
    const auto other = t.outputs.find(name);
    const std::vector<float> none;
    const auto& theirs = other == t.outputs.end() ? none : other->second;
    diffs.emplace_back(
        name, name.ends_with("(rel)") ? norm_error(values, theirs) : max_diff(values, theirs));
  }
  for (const auto& [name, value] : l.losses)
    diffs.emplace_back(name, t.losses.count(name) ? std::abs(value - t.losses.at(name)) : INFINITY);
  if (!l.buffers.empty() || !t.buffers.empty())
    diffs.emplace_back("running stats", max_diff(l.buffers, t.buffers));
  for (const auto& prefix : grad_prefixes)
    diffs.emplace_back(
        (prefix.empty() ? std::string("grads") : prefix.substr(0, prefix.size() - 1) + " grads") +
            " (rel)",
        norm_error(l.grads, t.grads, prefix));
  std::printf("check: %s, |libtorch - tessera|:", what);
  bool ok = true;
  for (const auto& [name, diff] : diffs) {
    std::printf(" %s %.2g;", name.c_str(), diff);
    ok &= diff < (name.ends_with("(rel)") ? 3e-2 : 1e-3);  // false for a NaN too
  }
  if (!l.losses.empty()) {
    std::printf(" (libtorch's losses:");
    for (const auto& [name, value] : l.losses) std::printf(" %s %.5f;", name.c_str(), value);
    std::printf(")");
  }
  std::printf("\n");
  std::fflush(stdout);
  if (!ok) {
    std::fprintf(stderr, "bench_big: libtorch and tessera disagree on %s\n", what);
    std::exit(1);
  }
}
#endif

// ---- Fixtures: both sides of one workload, made (and checked) on first use ----------------------
struct UNetTrainFixture {
  TesseraUNet tessera{true};
#ifdef TESSERA_BENCH_WITH_LIBTORCH
  TorchUNet torch{tessera, true};
#endif
  bool warm_tessera = false, warm_torch = false;
  UNetTrainFixture() {
#ifdef TESSERA_BENCH_WITH_LIBTORCH
    Record t, l;
    torch.step(&l);
    tessera.step(&t);
    compare("unet572_train batch 1, one step from the same weights", l, t, {""});
#endif
  }
};

struct UNetForwardFixture {
  TesseraUNet tessera{false};
#ifdef TESSERA_BENCH_WITH_LIBTORCH
  TorchUNet torch{tessera, false};
#endif
  bool warm_tessera = false, warm_torch = false;
  UNetForwardFixture() {
#ifdef TESSERA_BENCH_WITH_LIBTORCH
    Record t, l;
    t.outputs["logits"] = to_vector(tessera.infer());
    l.outputs["logits"] = to_vector(torch.infer());
    compare("unet572_forward batch 1, eval mode", l, t, {});
#endif
  }
};

struct Pix2PixFixture {
  TesseraPix2Pix tessera;
#ifdef TESSERA_BENCH_WITH_LIBTORCH
  TorchPix2Pix torch{tessera};
#endif
  bool warm_tessera = false, warm_torch = false;
  Pix2PixFixture() {
#ifdef TESSERA_BENCH_WITH_LIBTORCH
    // G in eval mode for the check, on both sides: Dropout off (the two libraries draw different
    // masks); InstanceNorm keeps no running statistics, so nothing else changes.
    Record t, l;
    tessera.g.eval();
    torch.g->eval();
    torch.step(&l);
    tessera.step(&t);
    tessera.g.train();
    torch.g->train();
    compare("pix2pix256_train batch 1, one iteration from the same weights, G without Dropout", l,
            t, {"D.", "G."});
#endif
  }
};

template <class F>
F& fixture() {
  static std::unique_ptr<F> made;
  if (!made) made = std::make_unique<F>();
  return *made;
}

// ---- The benchmarks -----------------------------------------------------------------------------
// Runs `step` (one iteration of one side) under the benchmark loop, after one untimed warm-up the
// first time the side is entered. Counters: GFLOP/s and %peak over the loop's real time (measured
// here as well, so that they print as plain numbers rather than as Google Benchmark's "/s" rates;
// a step of seconds makes the loop's own overhead negligible).
template <class Step>
void run(benchmark::State& state, bool& warm, double gflop, Step step) {
  if (check_only) {
    state.SkipWithError("--check_only: checked, not timed");
    return;
  }
  if (!warm) step();
  warm = true;
  const auto t0 = std::chrono::steady_clock::now();
  for (auto _ : state) {
    step();
    benchmark::ClobberMemory();
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double gflops = gflop * double(state.iterations()) / seconds;
  state.counters["GFLOP/s"] = gflops;
  if (peak_gflops > 0) state.counters["%peak"] = 100 * gflops / peak_gflops;
}

void unet_train_tessera(benchmark::State& state) {
  auto& f = fixture<UNetTrainFixture>();
  run(state, f.warm_tessera, unet_train_gflop,
      [&] { benchmark::DoNotOptimize(f.tessera.step(nullptr)); });
}
void unet_forward_tessera(benchmark::State& state) {
  auto& f = fixture<UNetForwardFixture>();
  run(state, f.warm_tessera, unet_forward_gflop,
      [&] { benchmark::DoNotOptimize(f.tessera.infer().data()); });
}
void pix2pix_train_tessera(benchmark::State& state) {
  auto& f = fixture<Pix2PixFixture>();
  run(state, f.warm_tessera, pix2pix_train_gflop,
      [&] { benchmark::DoNotOptimize(f.tessera.step(nullptr)); });
}
#ifdef TESSERA_BENCH_WITH_LIBTORCH
void unet_train_libtorch(benchmark::State& state) {
  auto& f = fixture<UNetTrainFixture>();
  run(state, f.warm_torch, unet_train_gflop,
      [&] { benchmark::DoNotOptimize(f.torch.step(nullptr).data_ptr()); });
}
void unet_forward_libtorch(benchmark::State& state) {
  auto& f = fixture<UNetForwardFixture>();
  run(state, f.warm_torch, unet_forward_gflop,
      [&] { benchmark::DoNotOptimize(f.torch.infer().data_ptr()); });
}
void pix2pix_train_libtorch(benchmark::State& state) {
  auto& f = fixture<Pix2PixFixture>();
  run(state, f.warm_torch, pix2pix_train_gflop,
      [&] { benchmark::DoNotOptimize(f.torch.step(nullptr).data_ptr()); });
}
#endif

std::map<std::string, double> gflop_of;  // workload -> GFLOP per iteration, for the table

// Registered in pairs, so that each workload's two timings are taken next to each other.
void register_workload(const std::string& name, double gflop, void (*tessera)(benchmark::State&),
                       [[maybe_unused]] void (*libtorch)(benchmark::State&)) {
  gflop_of[name] = gflop;
  benchmark::RegisterBenchmark((name + "/tessera").c_str(), tessera)
      ->Arg(1)
      ->Unit(benchmark::kMillisecond)
      ->UseRealTime();
#ifdef TESSERA_BENCH_WITH_LIBTORCH
  benchmark::RegisterBenchmark((name + "/libtorch").c_str(), libtorch)
      ->Arg(1)
      ->Unit(benchmark::kMillisecond)
      ->UseRealTime();
#endif
}

// ---- The FMA peak -------------------------------------------------------------------------------
// `iterations` rounds of kAccumulators independent FMAs (acc = acc * m + c, which stays near 1) on
// registers, from `seed`; returns the sum of the accumulators' lanes, so that the loop is used.
constexpr int kAccumulators = 12;
#if defined(__AVX512F__)
constexpr int kLanes = 16;
constexpr const char* kIsa = "AVX-512 _mm512_fmadd_ps";
float fma_loop(long long iterations, float seed) {
  const __m512 m = _mm512_set1_ps(0.999999f), c = _mm512_set1_ps(1e-6f);
  __m512 acc[kAccumulators];
  for (int k = 0; k < kAccumulators; ++k) acc[k] = _mm512_set1_ps(seed + 0.01f * float(k));
  for (long long i = 0; i < iterations; ++i)
    for (int k = 0; k < kAccumulators; ++k) acc[k] = _mm512_fmadd_ps(acc[k], m, c);
  for (int k = 1; k < kAccumulators; ++k) acc[0] = _mm512_add_ps(acc[0], acc[k]);
  float lanes[16];  // (not _mm512_reduce_add_ps, whose g++ 12 header warns of an undefined value)
  _mm512_storeu_ps(lanes, acc[0]);
  float sum = 0;
  for (float v : lanes) sum += v;
  return sum;
}
#elif defined(__FMA__)
constexpr int kLanes = 8;
constexpr const char* kIsa = "AVX2 _mm256_fmadd_ps";
float fma_loop(long long iterations, float seed) {
  const __m256 m = _mm256_set1_ps(0.999999f), c = _mm256_set1_ps(1e-6f);
  __m256 acc[kAccumulators];
  for (int k = 0; k < kAccumulators; ++k) acc[k] = _mm256_set1_ps(seed + 0.01f * float(k));
  for (long long i = 0; i < iterations; ++i)
    for (int k = 0; k < kAccumulators; ++k) acc[k] = _mm256_fmadd_ps(acc[k], m, c);
  float lanes[8];
  for (int k = 1; k < kAccumulators; ++k) acc[0] = _mm256_add_ps(acc[0], acc[k]);
  _mm256_storeu_ps(lanes, acc[0]);
  float sum = 0;
  for (float v : lanes) sum += v;
  return sum;
}
#else
constexpr int kLanes = 1;
constexpr const char* kIsa = "scalar std::fma";
float fma_loop(long long iterations, float seed) {
  float acc[kAccumulators];
  for (int k = 0; k < kAccumulators; ++k) acc[k] = seed + 0.01f * float(k);
  for (long long i = 0; i < iterations; ++i)
    for (int k = 0; k < kAccumulators; ++k) acc[k] = std::fma(acc[k], 0.999999f, 1e-6f);
  float sum = 0;
  for (float v : acc) sum += v;
  return sum;
}
#endif

// Seconds for every OpenMP thread to run fma_loop(iterations); the threads' sums go to `sink`.
double time_fma(long long iterations, int threads, double& sink) {
  float total = 0;
  const auto t0 = std::chrono::steady_clock::now();
#if defined(_OPENMP)
#pragma omp parallel num_threads(threads) reduction(+ : total)
  total += fma_loop(iterations, 1.0f + 0.001f * float(omp_get_thread_num()));
#else
  (void)threads;
  total = fma_loop(iterations, 1.0f);
#endif
  const auto t1 = std::chrono::steady_clock::now();
  sink += total;
  return std::chrono::duration<double>(t1 - t0).count();
}

// The peak: the iteration count doubled until a run takes 0.2 s, then the best of three runs;
// prints it, with the time of half the iterations as a check that the loop is what ran.
double measure_peak(int threads) {
  double sink = 0;
  long long n = 1 << 16;
  while (time_fma(n, threads, sink) < 0.2) n *= 2;
  double best = INFINITY;
  for (int i = 0; i < 3; ++i) best = std::min(best, time_fma(n, threads, sink));
  double half = INFINITY;
  for (int i = 0; i < 3; ++i) half = std::min(half, time_fma(n / 2, threads, sink));
  benchmark::DoNotOptimize(sink);
  const double gflops = double(threads) * double(n) * kAccumulators * kLanes * 2 / best / 1e9;
  std::printf(
      "peak: %.1f GFLOP/s (%d threads, %s, %d accumulators x %d lanes, %lld iterations in %.3f s, "
      "half of them in %.3f s; sum %.6g)\n",
      gflops, threads, kIsa, kAccumulators, kLanes, n, best, half, sink);
  std::fflush(stdout);
  return gflops;
}

// ---- The report ---------------------------------------------------------------------------------
// The closing table: the peak, and each workload's time, GFLOP/s and share of the peak per
// library, and the speed-up.
void print_table(const RecordingReporter& reporter) {
  std::printf("\npeak: %.1f GFLOP/s\n", peak_gflops);
  std::printf("%-18s %5s %8s %11s %11s %9s %9s %7s %7s %9s\n", "workload", "batch", "GFLOP/it",
              "tessera ms", "libtorch ms", "ts GF/s", "lt GF/s", "ts %pk", "lt %pk", "lt/ts");
  for (const auto& k : reporter.order) {
    const double ts_ms = reporter.ms(k, "tessera"), lt_ms = reporter.ms(k, "libtorch");
    const double gflop = gflop_of.count(k.model) ? gflop_of.at(k.model) : 0;
    char ts_s[32] = "-", lt_s[32] = "-", ts_g[32] = "-", lt_g[32] = "-", ts_p[32] = "-",
         lt_p[32] = "-", ratio[32] = "-";
    if (ts_ms > 0) {
      std::snprintf(ts_s, sizeof ts_s, "%.1f", ts_ms);
      std::snprintf(ts_g, sizeof ts_g, "%.1f", gflop * 1e3 / ts_ms);
      if (peak_gflops > 0)
        std::snprintf(ts_p, sizeof ts_p, "%.1f", 100 * gflop * 1e3 / ts_ms / peak_gflops);
    }
    if (lt_ms > 0) {
      std::snprintf(lt_s, sizeof lt_s, "%.1f", lt_ms);
      std::snprintf(lt_g, sizeof lt_g, "%.1f", gflop * 1e3 / lt_ms);
      if (peak_gflops > 0)
        std::snprintf(lt_p, sizeof lt_p, "%.1f", 100 * gflop * 1e3 / lt_ms / peak_gflops);
    }
    if (ts_ms > 0 && lt_ms > 0) std::snprintf(ratio, sizeof ratio, "%.2fx", lt_ms / ts_ms);
    std::printf("%-18s %5s %8.1f %11s %11s %9s %9s %7s %7s %9s\n", k.model.c_str(), k.batch.c_str(),
                gflop, ts_s, lt_s, ts_g, lt_g, ts_p, lt_p, ratio);
  }
  std::printf(
      "(ms per iteration: the median over repetitions when reported, else the mean, else the "
      "median of the "
      "runs; GFLOP/it the nominal count of the header comment; %%pk the share of the FMA peak; "
      "lt/ts > 1 "
      "means tessera is faster)\n");
}

int main(int argc, char** argv) {
  const int threads = ts::num_threads();  // before libtorch is touched
  // --check_only is ours; Google Benchmark gets the rest.
  int kept = 1;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--check_only") == 0)
      check_only = true;
    else
      argv[kept++] = argv[i];
  }
  argc = kept;

  add_context("bench_big", threads);

  peak_gflops = measure_peak(threads);
  char peak_text[64];
  std::snprintf(peak_text, sizeof peak_text, "%.1f GFLOP/s (%s)", peak_gflops, kIsa);
  benchmark::AddCustomContext("fma_peak", peak_text);

#ifdef TESSERA_BENCH_WITH_LIBTORCH
  register_workload("unet572_train", unet_train_gflop, unet_train_tessera, unet_train_libtorch);
  register_workload("unet572_forward", unet_forward_gflop, unet_forward_tessera,
                    unet_forward_libtorch);
  register_workload("pix2pix256_train", pix2pix_train_gflop, pix2pix_train_tessera,
                    pix2pix_train_libtorch);
#else
  register_workload("unet572_train", unet_train_gflop, unet_train_tessera, nullptr);
  register_workload("unet572_forward", unet_forward_gflop, unet_forward_tessera, nullptr);
  register_workload("pix2pix256_train", pix2pix_train_gflop, pix2pix_train_tessera, nullptr);
#endif

  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  RecordingReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  print_table(reporter);
  benchmark::Shutdown();
  return 0;
}
