// What bench_forward, bench_train and bench_big share: the run's context lines, page-fault
// counting, the reporter that keeps each run's time for the closing table, the agreement measures
// of the libtorch checks, and (with libtorch) copying tessera's weights into a libtorch twin by
// state_dict name. Each benchmark is one translation unit that includes this once.
#pragma once

#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <tessera/tessera.hpp>
#include <tuple>
#include <vector>

#ifdef TESSERA_BENCH_WITH_LIBTORCH
#include <ATen/Version.h>
#include <torch/torch.h>
#include <torch/version.h>
#endif

namespace bench {

namespace ts = tessera;

// The run's context lines: threads, OPENBLAS_CORETYPE, libtorch's version, threads and CPU
// capability; libtorch gets `threads` threads (tessera::num_threads(), read in main before
// libtorch is touched: libtorch would otherwise set OpenMP to its own default). `program` names the
// benchmark in the warning given when OPENBLAS_CORETYPE is set.
inline void add_context(const char* program, int threads) {
  benchmark::AddCustomContext("omp_threads", std::to_string(threads));
  const char* coretype = std::getenv("OPENBLAS_CORETYPE");
  benchmark::AddCustomContext("OPENBLAS_CORETYPE", coretype ? coretype : "(unset)");
#ifdef TESSERA_BENCH_WITH_LIBTORCH
  torch::set_num_threads(threads);
  benchmark::AddCustomContext("libtorch", TORCH_VERSION);
  benchmark::AddCustomContext("libtorch_threads", std::to_string(at::get_num_threads()));
  // The "CPU capability usage" line: which vector kernels ATen dispatches to.
  const std::string config = at::show_config();
  const std::string label = "CPU capability usage: ";
  if (const auto at = config.find(label); at != std::string::npos) {
    const auto from = at + label.size();
    benchmark::AddCustomContext("libtorch_cpu_capability",
                                config.substr(from, config.find('\n', from) - from));
  }
#else
  benchmark::AddCustomContext("libtorch", "not found at configure time: tessera only");
#endif
  if (coretype)
    std::fprintf(stderr,
                 "%s: OPENBLAS_CORETYPE=%s is set; run under `env -u OPENBLAS_CORETYPE` to let "
                 "OpenBLAS pick this CPU's kernels\n",
                 program, coretype);
}

// Minor page faults of the whole process so far (every thread).
inline long minor_faults() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_minflt;
}

// The console reporter, which also keeps each run's real time per iteration for the closing table.
// Benchmarks are named "<workload>/<library>" with the batch as their argument.
class RecordingReporter : public benchmark::ConsoleReporter {
 public:
  struct Key {
    std::string model, batch;
    bool operator<(const Key& o) const {
      return std::tie(model, batch) < std::tie(o.model, o.batch);
    }
  };
  std::vector<Key> order;  // the workloads as first reported

  // ms per iteration of a library on a workload: the median over repetitions when reported, else
  // the mean, else the median of the runs; -1 if it did not run.
  double ms(const Key& key, const std::string& library) const {
    const auto workload = table_.find(key);
    if (workload == table_.end()) return -1;
    const auto found = workload->second.find(library);
    if (found == workload->second.end()) return -1;
    const Times& t = found->second;
    if (t.median >= 0) return t.median;
    if (t.mean >= 0) return t.mean;
    if (t.runs.empty()) return -1;
    std::vector<double> r = t.runs;
    std::nth_element(r.begin(), r.begin() + std::ptrdiff_t(r.size() / 2), r.end());
    return r[r.size() / 2];
  }

  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& r : runs) {
      if (r.error_occurred) continue;
      const std::string& fn = r.run_name.function_name;
      const auto slash = fn.rfind('/');
      if (slash == std::string::npos) continue;
      const Key key{fn.substr(0, slash), r.run_name.args};
      const double ms =
          r.GetAdjustedRealTime() * 1e3 / benchmark::GetTimeUnitMultiplier(r.time_unit);
      if (!table_.count(key)) order.push_back(key);
      Times& t = table_[key][fn.substr(slash + 1)];
      if (r.run_type == Run::RT_Iteration)
        t.runs.push_back(ms);
      else if (r.aggregate_name == "median")
        t.median = ms;
      else if (r.aggregate_name == "mean")
        t.mean = ms;
    }
  }

 private:
  struct Times {
    std::vector<double> runs;  // ms, one per repetition when no aggregates are reported
    double median = -1, mean = -1;
  };
  std::map<Key, std::map<std::string, Times>> table_;  // workload -> library -> times
};

// ---- Agreement of the two libraries' results ---------------------------------------------------
template <class V>
std::vector<float> to_vector(const V& v) {
  return std::vector<float>(v.data(), v.data() + v.size());
}

inline double max_diff(const std::vector<float>& a, const std::vector<float>& b) {
  if (a.size() != b.size()) return INFINITY;
  double m = 0;
  for (std::size_t i = 0; i < a.size(); ++i) m = std::max(m, double(std::abs(a[i] - b[i])));
  return m;
}
// |libtorch - tessera| / |libtorch| in the 2-norm, for gradients. Both libraries compute in float
// with different convolution algorithms (G(z) differs by about 3e-6), so a few pre-activations
// within rounding of a (Leaky)ReLU's kink take the other slope in one library: at DCGAN batch 64
// this moves dL/dG(z) by up to 1 % in a handful of samples and by about 3e-5 in all others
// (measured per sample), 1.6e-3 to 3.8e-3 overall; which elements flip depends even on the
// buffers' alignment (the MALLOC_* settings change it). In the same runs D's gradients agree to
// 1e-6 to 1.3e-4 and the MLP GAN's to below 1e-6. A wrong backward gives differences of order 1.
inline double norm_error(const std::vector<float>& lt, const std::vector<float>& ts) {
  if (lt.size() != ts.size()) return INFINITY;
  double d = 0, n = 0;
  for (std::size_t i = 0; i < lt.size(); ++i) {
    d += (double(lt[i]) - double(ts[i])) * (double(lt[i]) - double(ts[i]));
    n += double(lt[i]) * double(lt[i]);
  }
  return n > 0 ? std::sqrt(d / n) : std::sqrt(d);
}
// The same over every tensor whose name starts with prefix, as one vector (both sides must have
// the same names, at least one).
inline double norm_error(const std::map<std::string, std::vector<float>>& lt,
                         const std::map<std::string, std::vector<float>>& ts,
                         const std::string& prefix) {
  std::vector<float> a, b;
  std::size_t seen = 0, seen_ts = 0;
  for (const auto& [name, values] : lt) {
    if (!name.starts_with(prefix)) continue;
    ++seen;
    const auto other = ts.find(name);
    if (other == ts.end() || other->second.size() != values.size()) return INFINITY;
    a.insert(a.end(), values.begin(), values.end());
    b.insert(b.end(), other->second.begin(), other->second.end());
  }
  for (const auto& e : ts) seen_ts += e.first.starts_with(prefix);
  return seen == seen_ts && seen > 0 ? norm_error(a, b) : INFINITY;
}
inline double max_diff(const std::map<std::string, std::vector<float>>& lt,
                       const std::map<std::string, std::vector<float>>& ts) {
  if (lt.size() != ts.size()) return INFINITY;
  double m = 0;
  for (const auto& [name, values] : lt) {
    const auto other = ts.find(name);
    if (other == ts.end()) return INFINITY;
    m = std::max(m, max_diff(values, other->second));
  }
  return m;
}

#ifdef TESSERA_BENCH_WITH_LIBTORCH
// ---- libtorch twins -----------------------------------------------------------------------------
namespace tn = torch::nn;

inline std::vector<float> to_vector(const torch::Tensor& t) {
  const torch::Tensor c = t.detach().contiguous();
  return std::vector<float>(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
}

// A batch of per-sample shape S as libtorch's sizes: (batch, dims...).
template <ts::SingleShape S>
std::vector<std::int64_t> torch_sizes(ts::index batch) {
  std::vector<std::int64_t> s{batch};
  for (auto d : S::dims) s.push_back(d);
  return s;
}

// One Sequential under a name, as `self.main` / `self.model` in the PyTorch sources.
struct NamedSequentialImpl : tn::Module {
  tn::Sequential body;
  NamedSequentialImpl(const std::string& name, tn::Sequential s)
      : body(register_module(name, std::move(s))) {}
  torch::Tensor forward(const torch::Tensor& x) { return body->forward(x); }
};
TORCH_MODULE(NamedSequential);

// Copies every tessera parameter and buffer into the libtorch tensor of the same state_dict name
// under `to`; the two must hold the same tensors (else the run stops).
template <class Model>
void copy_weights(const Model& from, tn::Module& to) {
  torch::NoGradGuard no_grad;
  auto params = to.named_parameters();
  auto buffers = to.named_buffers();
  std::size_t copied = 0, torch_count = 0;
  for (const auto& p : params) torch_count += p.value().numel() > 0;
  for (const auto& b : buffers)
    torch_count += b.key().find("num_batches_tracked") == std::string::npos;
  for (const auto& e : from.tensors()) {
    if (e.kind == ts::TensorEntry<float>::Kind::counter) continue;
    torch::Tensor* t = e.kind == ts::TensorEntry<float>::Kind::parameter ? params.find(e.name)
                                                                         : buffers.find(e.name);
    if (!t || std::size_t(t->numel()) != e.size()) {
      std::fprintf(stderr, "copy_weights: libtorch has no tensor %s of %zu values\n",
                   e.name.c_str(), e.size());
      std::exit(1);
    }
    t->copy_(torch::from_blob(e.value, {std::int64_t(e.size())}, torch::kFloat).view(t->sizes()));
    ++copied;
  }
  if (copied != torch_count) {
    std::fprintf(stderr, "copy_weights: copied %zu tensors, libtorch has %zu\n", copied,
                 torch_count);
    std::exit(1);
  }
}
#endif

}  // namespace bench
