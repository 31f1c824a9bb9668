// PNG output: an RGB image type, write_png, and save_image_grid, which tiles a batch of images
// into one picture exactly as torchvision's save_image(make_grid(...)) does, so that samples from
// a GAN look the same as the PyTorch original's. PNG encoding is stb_image_write's.
//   io::save_image_grid(fake, "samples/epoch_003.png", {.nrow = 8, .normalize = true,
//                                                       .value_range = {{-1.0f, 1.0f}}});
#pragma once

#include <algorithm>
#include <array>
#include <cerrno>
#include <cmath>
#include <concepts>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

#include "tessera/core/shape.hpp"
#include "tessera/core/tensor.hpp"
#include "tessera/io/file_error.hpp"

// stb_image_write is a single-file library: its functions are compiled where a file defines
// STB_IMAGE_WRITE_IMPLEMENTATION. Defining it here with STB_IMAGE_WRITE_STATIC gives every
// translation unit its own private copy, so a header-only library can use it without asking the
// user to compile it somewhere. A program that already included stb_image_write.h itself keeps its
// own declarations (and its own implementation file); to mix the two, include that first.
#ifndef INCLUDE_STB_IMAGE_WRITE_H
#define STB_IMAGE_WRITE_STATIC
#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STBI_WRITE_NO_STDIO  // we write the file ourselves, to report errors with their reason
#if defined(__GNUC__)
// Its code is C-style; warnings in it are not the user's to fix, whichever flags they compile with.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"  // the encoders we do not call
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wsign-conversion"
#pragma GCC diagnostic ignored "-Wconversion"
#pragma GCC diagnostic ignored "-Wold-style-cast"
#pragma GCC diagnostic ignored "-Wcast-qual"
#pragma GCC diagnostic ignored "-Wdouble-promotion"
#if !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuseless-cast"
#endif
#endif
#if __has_include(<stb/stb_image_write.h>)
#include <stb/stb_image_write.h>  // Debian's libstb-dev
#else
#include <stb_image_write.h>
#endif
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif
#undef STB_IMAGE_WRITE_IMPLEMENTATION
#undef STBI_WRITE_NO_STDIO
#endif

namespace tessera::io {

// Writing an image failed. what() is "<path>: <problem>".
class ImageWriteError : public FileError {
 public:
  using FileError::FileError;
};

struct Rgb {
  std::uint8_t r = 0, g = 0, b = 0;
  friend bool operator==(const Rgb&, const Rgb&) = default;
};

// An 8-bit RGB image, rows top to bottom, each pixel's three bytes together (what PNG stores).
struct RgbImage {
  int width = 0;
  int height = 0;
  std::vector<std::uint8_t> pixels;  // height * width * 3

  RgbImage() = default;
  RgbImage(int w, int h, Rgb fill = {})
      : width(w), height(h), pixels(std::size_t(std::max(w, 0)) * std::size_t(std::max(h, 0)) * 3) {
    if (w < 0 || h < 0) throw std::invalid_argument("tessera::io::RgbImage: negative size");
    for (std::size_t i = 0; i < pixels.size(); i += 3) {
      pixels[i] = fill.r;
      pixels[i + 1] = fill.g;
      pixels[i + 2] = fill.b;
    }
  }

  Rgb at(int x, int y) const {
    const std::uint8_t* p =
        pixels.data() + (std::size_t(y) * std::size_t(width) + std::size_t(x)) * 3;
    return {p[0], p[1], p[2]};
  }
  void set(int x, int y, Rgb c) {
    std::uint8_t* p = pixels.data() + (std::size_t(y) * std::size_t(width) + std::size_t(x)) * 3;
    p[0] = c.r;
    p[1] = c.g;
    p[2] = c.b;
  }
};

// Encodes `image` as PNG and writes it to `path`, replacing any file there.
inline void write_png(const std::filesystem::path& path, const RgbImage& image) {
  if (image.width <= 0 || image.height <= 0)
    throw ImageWriteError(path, "cannot write an empty image (" + std::to_string(image.width) +
                                    " x " + std::to_string(image.height) + ")");
  std::vector<unsigned char> png;
  const auto append = [](void* context, void* data, int size) {
    auto* out = static_cast<std::vector<unsigned char>*>(context);
    const auto* bytes = static_cast<const unsigned char*>(data);
    out->insert(out->end(), bytes, bytes + size);
  };
  if (!stbi_write_png_to_func(append, &png, image.width, image.height, 3, image.pixels.data(),
                              image.width * 3))
    throw ImageWriteError(path, "PNG encoding failed");

  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) {
    const int error = errno;
    throw ImageWriteError(path,
                          "cannot open for writing: " + std::generic_category().message(error));
  }
  const bool written = std::fwrite(png.data(), 1, png.size(), f) == png.size();
  const int write_error = errno;
  const bool closed = std::fclose(f) == 0;
  if (!written || !closed)
    throw ImageWriteError(
        path, "write failed: " + std::generic_category().message(written ? errno : write_error));
}

// torchvision.utils.make_grid's arguments, with its defaults.
struct GridOptions {
  int nrow = 8;            // images per row
  int padding = 2;         // pixels around and between images
  float pad_value = 0;     // the padding's value, on the same scale as the images after normalizing
  bool normalize = false;  // map values to [0, 1] before saving
  // With normalize: clamp to [low, high] and map that range to [0, 1]. Without one, the batch's
  // own minimum and maximum (each image's own with scale_each).
  std::optional<std::array<float, 2>> value_range = std::nullopt;
  bool scale_each = false;
};

// A batch of images: a Tensor or View of Shape<C, H, W> floats, C 1 (grayscale) or 3 (RGB).
template <class T>
concept ImageBatch = requires {
  typename T::shape;
}
&&ShapeOfRank<typename T::shape, 3>&&
    std::convertible_to<const T&, View<typename T::shape, const float>>;

namespace detail {
// save_image's conversion of a value in [0, 1] to a byte: x * 255 + 0.5, clamped, truncated, each
// step in float as PyTorch computes it. NaN, which PyTorch leaves undefined, becomes 0.
inline std::uint8_t unit_to_byte(float x) {
  float v = x * 255.0f;
  v = v + 0.5f;
  if (!(v >= 0.0f)) return 0;
  return std::uint8_t(std::min(v, 255.0f));
}

// What make_grid's norm_ip does to one value: clamp to [low, high], subtract low, divide by the
// range (at least 1e-5, computed in double as Python does, then used in float).
struct Normalizer {
  float low = 0, high = 0, range = 1;
  bool active = false;
  Normalizer() = default;
  Normalizer(float lo, float hi)
      : low(lo), high(hi), range(float(std::max(double(hi) - double(lo), 1e-5))), active(true) {}
  float operator()(float v) const {
    if (!active) return v;
    v = std::clamp(v, low, high);  // NaN passes through unchanged, as with torch.clamp
    return (v - low) / range;
  }
};

inline Normalizer value_span(const float* begin, const float* end) {
  float lo = std::numeric_limits<float>::infinity(), hi = -lo;
  for (const float* p = begin; p != end; ++p) {
    // torch.min/max propagate NaN; a NaN range then turns every value into NaN, and so black.
    if (std::isnan(*p)) return {std::nanf(""), std::nanf("")};
    lo = std::min(lo, *p);
    hi = std::max(hi, *p);
  }
  return {lo, hi};
}
}  // namespace detail

// The picture save_image(make_grid(images, ...)) would write: images in rows of nrow, padding
// around each, grayscale repeated into R, G and B. A batch of one is the image itself, unpadded,
// as in make_grid.
template <ImageBatch Images>
RgbImage grid_image(const Images& images, const GridOptions& options = {}) {
  using S = typename Images::shape;
  constexpr int C = S::dims[0], H = S::dims[1], W = S::dims[2];
  static_assert(C == 1 || C == 3,
                "tessera::io::grid_image: images must have 1 channel (grayscale) or 3 (RGB)");
  const View<S, const float> batch = images;
  const int n = int(batch.batch());
  if (n <= 0) throw std::invalid_argument("tessera::io::grid_image: no images to tile");
  if (options.nrow <= 0)
    throw std::invalid_argument("tessera::io::grid_image: nrow must be positive");
  if (options.padding < 0) throw std::invalid_argument("tessera::io::grid_image: negative padding");

  detail::Normalizer whole;
  if (options.normalize && !options.scale_each) {
    whole = options.value_range
                ? detail::Normalizer((*options.value_range)[0], (*options.value_range)[1])
                : detail::value_span(batch.data(), batch.data() + batch.size());
  }

  const int padding = n == 1 ? 0 : options.padding;
  const int columns = std::min(options.nrow, n);
  const int rows = (n + columns - 1) / columns;
  const int cell_h = H + padding, cell_w = W + padding;
  const std::uint8_t pad = detail::unit_to_byte(options.pad_value);
  RgbImage out(cell_w * columns + padding, cell_h * rows + padding, {pad, pad, pad});

  for (int k = 0; k < n; ++k) {
    const float* image = batch.data() + std::size_t(k) * S::size;
    detail::Normalizer norm = whole;
    if (options.normalize && options.scale_each) {
      norm = options.value_range
                 ? detail::Normalizer((*options.value_range)[0], (*options.value_range)[1])
                 : detail::value_span(image, image + S::size);
    }
    const int top = (k / columns) * cell_h + padding, left = (k % columns) * cell_w + padding;
    for (int y = 0; y < H; ++y) {
      for (int x = 0; x < W; ++x) {
        std::uint8_t rgb[3];
        for (int c = 0; c < 3; ++c) {
          const int channel = C == 1 ? 0 : c;
          rgb[c] = detail::unit_to_byte(
              norm(image[(std::size_t(channel) * H + std::size_t(y)) * W + std::size_t(x)]));
        }
        out.set(left + x, top + y, {rgb[0], rgb[1], rgb[2]});
      }
    }
  }
  return out;
}

// torchvision.utils.save_image(images, path, nrow=..., padding=..., normalize=..., ...): tiles the
// batch as grid_image does and writes it as a PNG.
template <ImageBatch Images>
void save_image_grid(const Images& images, const std::filesystem::path& path,
                     const GridOptions& options = {}) {
  write_png(path, grid_image(images, options));
}

}  // namespace tessera::io
