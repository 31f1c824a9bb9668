// What the autoencoder, VAE and segmentation examples share: Fashion-MNIST with pixels in [0, 1]
// (the range of a Sigmoid output and of a BCE target), a wall clock, and copying weights between
// two models by parameter name. Not part of the library: examples only.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <tessera/tools.hpp>

namespace examples {

namespace ts = tessera;

using FashionImages = ts::data::LabelledImages<ts::Shape<1, 28, 28>>;

// A split of Fashion-MNIST with its pixels mapped from the loader's [-1, 1] back to [0, 1]
// (torchvision's plain ToTensor(), exactly: p / 255 * 2 - 1 then (x + 1) / 2 rounds to p / 255).
inline FashionImages load_fashion_mnist_unit(ts::data::Split split,
                                             const std::filesystem::path& dir) {
  FashionImages data = ts::data::load_fashion_mnist(split, dir);
  for (float& v : data.images.span()) v = (v + 1.0f) * 0.5f;
  return data;
}

// Seconds since construction.
class Stopwatch {
 public:
  double seconds() const { return std::chrono::duration<double>(Clock::now() - start_).count(); }

 private:
  using Clock = std::chrono::steady_clock;
  Clock::time_point start_ = Clock::now();
};

// Copies every parameter and buffer of `to` from the entry of `from` with the same name and shape:
// a VAE's decoder weights into a stand-alone decoder model. Throws if one is missing.
template <class From, class To>
void copy_by_name(const From& from, To& to) {
  for (const auto& dst : to.tensors()) {
    if (dst.value == nullptr) continue;  // a counter
    bool found = false;
    for (const auto& src : from.tensors()) {
      if (src.name != dst.name || src.value == nullptr) continue;
      if (src.dims != dst.dims)
        throw std::invalid_argument("copy_by_name: '" + dst.name + "' differs in shape");
      std::copy(src.values().begin(), src.values().end(), dst.values().begin());
      found = true;
    }
    if (!found)
      throw std::invalid_argument("copy_by_name: no tensor '" + dst.name + "' to copy from");
  }
}

// "12.3" with a fixed number of decimals, for result lines.
inline std::string fixed(double v, int decimals = 4) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", decimals, v);
  return buffer;
}

}  // namespace examples
