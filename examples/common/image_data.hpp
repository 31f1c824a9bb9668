// What the examples share around their data: Fashion-MNIST with pixels in [0, 1] (the range of a
// Sigmoid output and of a BCE target) for the autoencoders, or padded to 32x32 for the GANs that
// want a power of two, a wall clock, and copying weights between two models by parameter name. Not
// part of the library: examples only.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
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

// The 28x28 batch `images` (in [-1, 1]) in the middle of `framed`, Shape<1, Size, Size>, with a
// frame of -1, the background (black: what 0 is before the [-1, 1] scaling), so that every pixel
// stays as the data set has it (a bilinear resize by 8/7 softens the texture) and G only has to
// learn a constant frame. (ts::ZeroPad2d would pad with 0, a grey frame in [-1, 1].)
template <int Size>
void pad_into(ts::View<ts::Shape<1, 28, 28>, const float> images,
              ts::View<ts::Shape<1, Size, Size>> framed) {
  static_assert(Size >= 28 && Size % 2 == 0,
                "pad_into: the frame must be even and at least 28 pixels wide");
  constexpr int margin = (Size - 28) / 2;
  if (images.batch() > framed.batch())
    throw std::invalid_argument("pad_into: a batch of " + std::to_string(images.batch()) +
                                " images for " + std::to_string(framed.batch()) + " frames");
  for (ts::index i = 0; i < images.batch(); ++i) {
    float* out = framed.data() + i * Size * Size;
    std::fill_n(out, Size * Size, -1.0f);
    for (int y = 0; y < 28; ++y)
      std::memcpy(out + (y + margin) * Size + margin, images.data() + (i * 28 + y) * 28,
                  28 * sizeof(float));
  }
}
template <int Size>
void pad_into(ts::View<ts::Shape<1, 28, 28>, const float> images,
              ts::Tensor<ts::Shape<1, Size, Size>>& framed) {
  pad_into(images, framed.view());
}

// The first `count` images of three batches interleaved as x0, y0, z0, x1, y1, z1, ...: a grid of
// triplets (pix2pix's edges | garment | output, cyclegan's x | translated | back).
// Tensors or views of one image shape.
template <class X, class Y, class Z, class S = typename X::shape>
ts::Tensor<S> triplets(const X& x, const Y& y, const Z& z, ts::index count) {
  const ts::index k = std::min({count, x.batch(), y.batch(), z.batch()});
  ts::Tensor<S> grid(3 * k);
  for (ts::index i = 0; i < k; ++i) {
    std::copy_n(x.data() + i * S::size, S::size, grid.data() + (3 * i) * S::size);
    std::copy_n(y.data() + i * S::size, S::size, grid.data() + (3 * i + 1) * S::size);
    std::copy_n(z.data() + i * S::size, S::size, grid.data() + (3 * i + 2) * S::size);
  }
  return grid;
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
