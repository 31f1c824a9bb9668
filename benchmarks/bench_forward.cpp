// Forward-pass timings of the seed generators on the CPU. Run from the build tree:
//   build/benchmarks/bench_forward --benchmark_counters_tabular=true
// Counters: GFLOP/s is the model's constexpr forward FLOP count over the measured time.
#include <benchmark/benchmark.h>

#include <tessera/models/cyclegan.hpp>
#include <tessera/models/dcgan.hpp>
#include <tessera/tessera.hpp>

namespace ts = tessera;

template <class Model>
static void forward(benchmark::State& state) {
  static Model model;  // built once: its parameters and arena are not what is measured
  model.eval();
  const ts::index batch = state.range(0);
  ts::Tensor<typename Model::Input> x(batch);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = float(model.generator().normal());
  model.reserve(batch);
  for (auto _ : state) {
    auto y = model.forward(x);
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  state.counters["GFLOP/s"] = benchmark::Counter(Model::flops_per_sample * double(batch) / 1e9,
                                                 benchmark::Counter::kIsIterationInvariantRate);
  state.counters["batch"] = double(batch);
}

using DcganG = ts::Model<ts::models::DcganGenerator<>, ts::Shape<100, 1, 1>>;
using CycleG = ts::Model<ts::models::CycleganGenerator<>, ts::Shape<3, 256, 256>>;

BENCHMARK(forward<DcganG>)->Name("dcgan_generator_forward")->Arg(64)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(forward<CycleG>)->Name("cyclegan_generator_forward")->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();

BENCHMARK_MAIN();
