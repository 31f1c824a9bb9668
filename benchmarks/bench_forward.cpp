// Forward-pass timings of the seed generators (DCGAN, CycleGAN, the MLP GAN) on the CPU, tessera
// side by side with the same architecture built from libtorch's torch::nn modules, in one Google
// Benchmark run.
//
// Build and run (from the repository root). OPENBLAS_CORETYPE is unset so that OpenBLAS picks its
// own kernels for this CPU rather than a forced Haswell; both libraries use every OpenMP thread.
// The MALLOC_* settings keep glibc from handing large freed blocks back to the kernel: libtorch
// allocates its activations and convolution buffers in every forward, and without them each call
// page-faults that memory in afresh (tessera allocates nothing once reserved, so they do not
// change its times). docs/performance.md gives the results with and without them.
//   cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release
//   cmake --build build --target bench_forward
//   env -u OPENBLAS_CORETYPE MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=4294967296
//   MALLOC_TOP_PAD_=268435456 build/benchmarks/bench_forward --benchmark_repetitions=5
//   --benchmark_report_aggregates_only=true --benchmark_min_time=2
//
// libtorch is optional: benchmarks/CMakeLists.txt compiles the libtorch half (and defines
// TESSERA_BENCH_WITH_LIBTORCH) only when find_package(Torch) succeeds; otherwise only tessera runs.
//
// Names: <model>_forward/<tessera|libtorch>/<batch>. Counters: GFLOP/s is tessera's constexpr
// forward FLOP count (Model::flops_per_sample, a multiply-add counts 2) over the measured real
// time, the same count for both libraries; faults is the process's minor page faults per forward
// (memory allocated and touched afresh in each call). At the end a table gives each model's
// median (or mean) real time per library and the speed-up, libtorch time / tessera time (> 1:
// tessera is faster).
//
// Fairness: both sides run in eval mode, float32, from a model built once per (model, batch) and
// warmed up by one forward each time a benchmark is entered (oneDNN primitive creation and
// tessera's per-batch plans are never timed). libtorch runs under NoGradGuard and InferenceMode
// with torch::set_num_threads(omp_get_max_threads()), the thread count tessera's OpenMP uses.
// Before timing, the libtorch model receives tessera's weights and buffers by state_dict name, and
// the run prints the largest difference between the two outputs, so the two models are checked
// to be the same function, not just the same shapes.
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <tessera/models/cyclegan.hpp>
#include <tessera/models/dcgan.hpp>
#include <tessera/models/mlp_gan.hpp>
#include <tessera/tessera.hpp>
#include <vector>

#include "common.hpp"

namespace ts = tessera;
using namespace bench;

using DcganG = ts::Model<ts::models::DcganGenerator<>, ts::Shape<100, 1, 1>>;
using CycleG = ts::Model<ts::models::CycleganGenerator<>, ts::Shape<3, 256, 256>>;
using MlpG = ts::Model<ts::models::MlpGanGenerator<>, ts::Shape<64>>;  // -> 784

constexpr const char* model_name(const DcganG*) { return "dcgan_generator"; }
constexpr const char* model_name(const CycleG*) { return "cyclegan_generator"; }
constexpr const char* model_name(const MlpG*) {
  return "mlp_gan_generator";
}

// Each (model, batch) gets its own model, input and (below) libtorch twin, made on first use with
// seed 0, so the two libraries see the same weights and the same input.
template <class Model>
struct Fixture {
  Model model{0};
  ts::Tensor<typename Model::Input> x;
  explicit Fixture(ts::index batch) : x(batch) {
    model.eval();
    for (std::size_t i = 0; i < x.size(); ++i) x[i] = float(model.generator().normal());
    model.reserve(batch);
  }
};

template <class Model>
Fixture<Model>& fixture(ts::index batch) {
  static std::map<ts::index, std::unique_ptr<Fixture<Model>>> made;
  auto& f = made[batch];
  if (!f) f = std::make_unique<Fixture<Model>>(batch);
  return *f;
}

template <class Model>
void set_counters(benchmark::State& state, ts::index batch, long faults) {
  state.counters["GFLOP/s"] = benchmark::Counter(Model::flops_per_sample * double(batch) / 1e9,
                                                 benchmark::Counter::kIsIterationInvariantRate);
  state.counters["batch"] = double(batch);
  // Page faults per forward: memory the forward allocates afresh and touches each time.
  state.counters["faults"] = benchmark::Counter(double(faults), benchmark::Counter::kAvgIterations);
}

template <class Model>
static void tessera_forward(benchmark::State& state) {
  const ts::index batch = state.range(0);
  auto& f = fixture<Model>(batch);
  benchmark::DoNotOptimize(f.model.forward(f.x).data());  // warm-up, untimed
  const long faults = minor_faults();
  for (auto _ : state) {
    auto y = f.model.forward(f.x);
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  set_counters<Model>(state, batch, minor_faults() - faults);
}

#ifdef TESSERA_BENCH_WITH_LIBTORCH
// x + conv_block(x), named as in the PyTorch CycleGAN implementation ("conv_block.1.weight").
struct ResidualBlockImpl : tn::Module {
  tn::Sequential conv_block;
  explicit ResidualBlockImpl(std::int64_t c)
      : conv_block(register_module(
            "conv_block",
            tn::Sequential(tn::ReflectionPad2d(1), tn::Conv2d(tn::Conv2dOptions(c, c, 3)),
                           tn::InstanceNorm2d(c), tn::ReLU(), tn::ReflectionPad2d(1),
                           tn::Conv2d(tn::Conv2dOptions(c, c, 3)), tn::InstanceNorm2d(c)))) {}
  torch::Tensor forward(const torch::Tensor& x) { return x + conv_block->forward(x); }
};
TORCH_MODULE(ResidualBlock);

tn::ConvTranspose2d deconv(std::int64_t in, std::int64_t out, std::int64_t k, std::int64_t s, std::int64_t p,
                           std::int64_t output_padding, bool bias) {
  return tn::ConvTranspose2d(
      tn::ConvTranspose2dOptions(in, out, k).stride(s).padding(p).output_padding(output_padding).bias(bias));
}
tn::Conv2d conv(std::int64_t in, std::int64_t out, std::int64_t k, std::int64_t s = 1, std::int64_t p = 0) {
  return tn::Conv2d(tn::Conv2dOptions(in, out, k).stride(s).padding(p));
}

// The PyTorch DCGAN tutorial's generator (nz 100, ngf 64, nc 3).
NamedSequential torch_dcgan_generator() {
  tn::Sequential s(deconv(100, 512, 4, 1, 0, 0, false), tn::BatchNorm2d(512), tn::ReLU(),
                   deconv(512, 256, 4, 2, 1, 0, false), tn::BatchNorm2d(256), tn::ReLU(),
                   deconv(256, 128, 4, 2, 1, 0, false), tn::BatchNorm2d(128), tn::ReLU(),
                   deconv(128, 64, 4, 2, 1, 0, false), tn::BatchNorm2d(64), tn::ReLU(),
                   deconv(64, 3, 4, 2, 1, 0, false), tn::Tanh());
  return NamedSequential("main", std::move(s));
}

// CycleGAN's ResNet generator with 9 residual blocks.
NamedSequential torch_cyclegan_generator() {
  tn::Sequential s(tn::ReflectionPad2d(3), conv(3, 64, 7), tn::InstanceNorm2d(64), tn::ReLU(),
                   conv(64, 128, 3, 2, 1), tn::InstanceNorm2d(128), tn::ReLU(),
                   conv(128, 256, 3, 2, 1), tn::InstanceNorm2d(256), tn::ReLU());
  for (int i = 0; i < 9; ++i) s->push_back(ResidualBlock(256));
  s->push_back(deconv(256, 128, 3, 2, 1, 1, true));
  s->push_back(tn::InstanceNorm2d(128));
  s->push_back(tn::ReLU());
  s->push_back(deconv(128, 64, 3, 2, 1, 1, true));
  s->push_back(tn::InstanceNorm2d(64));
  s->push_back(tn::ReLU());
  s->push_back(tn::ReflectionPad2d(3));
  s->push_back(conv(64, 3, 7));
  s->push_back(tn::Tanh());
  return NamedSequential("model", std::move(s));
}

// The seed's MLP GAN generator: nn.Sequential(Linear(64, 256), ReLU, Linear(256, 256), ReLU,
// Linear(256, 784), Tanh), a bare Sequential ("0.weight").
tn::Sequential torch_mlp_gan_generator() {
  return tn::Sequential(tn::Linear(64, 256), tn::ReLU(), tn::Linear(256, 256), tn::ReLU(),
                        tn::Linear(256, 784), tn::Tanh());
}

NamedSequential torch_model(const DcganG*) { return torch_dcgan_generator(); }
NamedSequential torch_model(const CycleG*) { return torch_cyclegan_generator(); }
tn::Sequential torch_model(const MlpG*) {
  return torch_mlp_gan_generator();
}

template <class Model>
struct TorchFixture {
  decltype(torch_model(static_cast<const Model*>(nullptr))) net;
  torch::Tensor x;
  explicit TorchFixture(ts::index batch) : net(torch_model(static_cast<const Model*>(nullptr))) {
    auto& f = fixture<Model>(batch);
    copy_weights(f.model, *net);
    net->eval();
    x = torch::from_blob(f.x.data(), torch_sizes<typename Model::Input>(batch), torch::kFloat)
            .clone();

    // The same function: compare one forward of each.
    torch::NoGradGuard no_grad;
    c10::InferenceMode inference;
    const torch::Tensor y = net->forward(x);
    auto ty = f.model.forward(f.x);
    const torch::Tensor tessera_y = torch::from_blob(
        const_cast<float*>(ty.data()), torch_sizes<typename Model::Output>(batch), torch::kFloat);
    if (y.sizes() != tessera_y.sizes()) {
      std::fprintf(stderr, "bench_forward: libtorch and tessera outputs differ in shape\n");
      std::exit(1);
    }
    const double diff = (y - tessera_y).abs().max().item<double>();
    std::printf("check: %s batch %lld, max |libtorch - tessera| = %.3g\n",
                model_name(static_cast<const Model*>(nullptr)), static_cast<long long>(batch), diff);
    std::fflush(stdout);
    if (!(diff < 1e-3)) {
      std::fprintf(stderr, "bench_forward: libtorch and tessera disagree (max difference %g)\n", diff);
      std::exit(1);
    }
  }
};

template <class Model>
static void libtorch_forward(benchmark::State& state) {
  const ts::index batch = state.range(0);
  static std::map<ts::index, std::unique_ptr<TorchFixture<Model>>> made;
  auto& f = made[batch];
  if (!f) f = std::make_unique<TorchFixture<Model>>(batch);
  torch::NoGradGuard no_grad;
  c10::InferenceMode inference;
  benchmark::DoNotOptimize(f->net->forward(f->x).data_ptr());  // warm-up, untimed
  const long faults = minor_faults();
  for (auto _ : state) {
    torch::Tensor y = f->net->forward(f->x);
    benchmark::DoNotOptimize(y.data_ptr());
    benchmark::ClobberMemory();
  }
  set_counters<Model>(state, batch, minor_faults() - faults);
}
#endif

// Registered in pairs, so that each model's two timings are taken next to each other.
template <class Model>
void register_model(ts::index batch) {
  const std::string n = std::string(model_name(static_cast<const Model*>(nullptr))) + "_forward";
  benchmark::RegisterBenchmark((n + "/tessera").c_str(), tessera_forward<Model>)
      ->Arg(batch)->Unit(benchmark::kMillisecond)->UseRealTime();
#ifdef TESSERA_BENCH_WITH_LIBTORCH
  benchmark::RegisterBenchmark((n + "/libtorch").c_str(), libtorch_forward<Model>)
      ->Arg(batch)->Unit(benchmark::kMillisecond)->UseRealTime();
#endif
}

// The closing table: each model's time per library and the speed-up.
void print_table(const RecordingReporter& reporter) {
  std::printf("\n%-28s %6s %12s %12s %18s\n", "model", "batch", "tessera ms", "libtorch ms",
              "speed-up (lt/ts)");
  for (const auto& k : reporter.order) {
    const double ts_ms = reporter.ms(k, "tessera"), lt_ms = reporter.ms(k, "libtorch");
    char ts_s[32] = "-", lt_s[32] = "-", ratio[32] = "-";
    if (ts_ms > 0) std::snprintf(ts_s, sizeof ts_s, "%.3f", ts_ms);
    if (lt_ms > 0) std::snprintf(lt_s, sizeof lt_s, "%.3f", lt_ms);
    if (ts_ms > 0 && lt_ms > 0) std::snprintf(ratio, sizeof ratio, "%.2fx", lt_ms / ts_ms);
    std::printf("%-28s %6s %12s %12s %18s\n", k.model.c_str(), k.batch.c_str(), ts_s, lt_s, ratio);
  }
  std::printf(
      "(times: the median over repetitions when reported, else the mean, else the median "
      "of the runs; speed-up > 1 means tessera is faster)\n");
}

int main(int argc, char** argv) {
  add_context("bench_forward", ts::num_threads());

  register_model<DcganG>(64);
  register_model<DcganG>(16);
  register_model<CycleG>(1);
  register_model<MlpG>(100);

  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  RecordingReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  print_table(reporter);
  benchmark::Shutdown();
  return 0;
}
