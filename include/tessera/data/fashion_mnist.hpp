// Fashion-MNIST (Zalando's 28x28 grayscale clothing images, 10 classes; 60,000 train and 10,000
// test samples) loaded from its IDX files into memory, pixels scaled to [-1, 1] as GANs with a tanh
// output expect. Debian's dataset-fashion-mnist package installs the files in the default dir.
//   auto train = data::load_fashion_mnist(data::Split::train);
//   train.images.at(0, 0, 14, 14);   // a pixel in [-1, 1]
//   train.class_names[train.labels[0]];   // "Ankle boot"
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tessera/core/shape.hpp"
#include "tessera/core/tensor.hpp"
#include "tessera/data/dataset.hpp"
#include "tessera/io/idx.hpp"

namespace tessera::data {

enum class Split { train, test };

// Where Debian's dataset-fashion-mnist package puts the files.
inline constexpr std::string_view fashion_mnist_default_dir = "/usr/share/datasets/fashion-mnist";

// In label order, as Zalando's README names them.
inline constexpr std::array<std::string_view, 10> fashion_mnist_classes{
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};

// Pixel value p in 0..255 as the float x/255*2-1. Computed in float in this order it equals
// torchvision's ToTensor() then Normalize((0.5,), (0.5,)) bit for bit: (a - 0.5) / 0.5 and
// a * 2 - 1 round the same way, since scaling by 2 is exact.
inline float pixel_to_unit_range(std::uint8_t p) {
  return float(p) / 255.0f * 2.0f - 1.0f;
}

// Reads an IDX images file and its labels file into a LabelledImages of single-channel images:
// the loader for any MNIST-format dataset (MNIST itself, Fashion-MNIST, KMNIST). The images must be
// Shape<1, H, W>'s H x W and every label below class_names.size(); otherwise IdxError names the
// file and, for a label, its index.
template <SingleShape S>
requires(S::rank == 3 && S::dims[0] == 1) LabelledImages<S> load_idx_dataset(
    const std::filesystem::path& images_path, const std::filesystem::path& labels_path,
    std::span<const std::string_view> class_names) {
  constexpr std::size_t rows = std::size_t(S::dims[1]), cols = std::size_t(S::dims[2]);
  const io::IdxLabelledImages raw = io::read_idx_labelled(images_path, labels_path);
  if (raw.images.rows != rows || raw.images.cols != cols)
    throw io::IdxError(images_path, "images are " + std::to_string(raw.images.rows) + " x " +
                                        std::to_string(raw.images.cols) + ", expected " +
                                        std::to_string(rows) + " x " + std::to_string(cols));

  LabelledImages<S> out;
  out.class_names = class_names;
  out.labels.resize(raw.labels.size());
  for (std::size_t i = 0; i < raw.labels.size(); ++i) {
    if (raw.labels[i] >= class_names.size())
      throw io::IdxError(labels_path, "label " + std::to_string(raw.labels[i]) + " at index " +
                                          std::to_string(i) + " is outside 0.." +
                                          std::to_string(class_names.size() - 1));
    out.labels[i] = raw.labels[i];
  }
  out.images = Tensor<S, float>(index(raw.images.count));
  float* dst = out.images.data();
  for (const std::uint8_t p : raw.images.pixels) *dst++ = pixel_to_unit_range(p);
  return out;
}

namespace detail {
// The file `name` in dir, preferring the gzip-compressed `name.gz` as distributed and falling back
// to an uncompressed copy (what torchvision's download leaves in raw/).
inline std::filesystem::path idx_file_in(const std::filesystem::path& dir,
                                         const std::string& name) {
  const std::filesystem::path gz = dir / (name + ".gz"), plain = dir / name;
  if (std::filesystem::exists(gz)) return gz;
  if (std::filesystem::exists(plain)) return plain;
  throw io::IdxError(gz, "file not found (nor " + name +
                             " without .gz); the dataset-fashion-mnist "
                             "package installs Fashion-MNIST in " +
                             std::string(fashion_mnist_default_dir));
}
}  // namespace detail

// Loads a split of Fashion-MNIST from dir, which holds the files under their original names
// (train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz,
// t10k-labels-idx1-ubyte.gz), compressed or not.
inline LabelledImages<Shape<1, 28, 28>> load_fashion_mnist(
    Split split, const std::filesystem::path& dir = fashion_mnist_default_dir) {
  const std::string prefix = split == Split::train ? "train" : "t10k";
  // Images first, in separate statements: a directory missing both reports the images file.
  const auto images = detail::idx_file_in(dir, prefix + "-images-idx3-ubyte");
  const auto labels = detail::idx_file_in(dir, prefix + "-labels-idx1-ubyte");
  return load_idx_dataset<Shape<1, 28, 28>>(images, labels, fashion_mnist_classes);
}

}  // namespace tessera::data
