// Builds the seed-004 DCGAN and CycleGAN generators, prints their summaries (shapes and parameter
// counts are compile-time facts), runs a forward pass of each and reports its time.
//   summary [--batch N]     (DCGAN batch, default 64; CycleGAN runs one 256x256 image)
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <string>

#include <tessera/models/cyclegan.hpp>
#include <tessera/models/dcgan.hpp>
#include <tessera/tessera.hpp>

namespace ts = tessera;

template <class Model>
void run(const std::string& title, ts::index batch) {
  Model model(/*seed=*/1);
  model.eval();
  std::cout << "\n" << title << "\n" << model.summary(batch);
  ts::Tensor<typename Model::Input> x(batch);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = float(model.generator().normal());
  model.reserve(batch);
  model.forward(x);  // warm-up: page in the arena, start the threads
  const auto start = std::chrono::steady_clock::now();
  constexpr int repeats = 3;
  float checksum = 0;
  for (int r = 0; r < repeats; ++r) checksum += model.forward(x)[0];
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() / repeats;
  std::cout << "forward of batch " << batch << ": " << seconds * 1e3 << " ms, "
            << Model::flops_per_sample * double(batch) / seconds / 1e9 << " GFLOP/s"
            << "  (first output " << checksum / repeats << ")\n";
}

int main(int argc, char** argv) {
  ts::index batch = 64;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--batch" && i + 1 < argc) {
      batch = std::atol(argv[++i]);
    } else {
      std::cout << "usage: summary [--batch N]\n"
                   "Builds the seed DCGAN and CycleGAN generators, prints their summaries and times "
                   "a forward pass.\n";
      return arg == "--help" || arg == "-h" ? 0 : 2;
    }
  }
  if (batch < 1) {
    std::cerr << "summary: --batch must be at least 1\n";
    return 2;
  }
  run<ts::Model<ts::models::DcganGenerator<>, ts::Shape<100, 1, 1>>>(
      "DCGAN generator (seed 004): 100x1x1 noise -> 3x64x64 image", batch);
  run<ts::Model<ts::models::CycleganGenerator<>, ts::Shape<3, 256, 256>>>(
      "CycleGAN generator (seed 004): 3x256x256 -> 3x256x256, 9 residual blocks", 1);
}
