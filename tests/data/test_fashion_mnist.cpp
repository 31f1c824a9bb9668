// Tests for tessera/data/fashion_mnist.hpp: a small dataset written here in the distributed file
// layout, the errors for bad labels, sizes and missing files, and the real Fashion-MNIST files
// when Debian's dataset-fashion-mnist package is installed (skipped with a warning otherwise).
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "../support/idx_files.hpp"
#include "../support/temp_dir.hpp"
#include "tessera/data/fashion_mnist.hpp"

namespace fs = std::filesystem;
namespace ts = tessera;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;
using ts::testing::Bytes;
using ts::testing::gzip_bytes;
using ts::testing::idx_bytes;
using ts::testing::TempDir;
using ts::testing::write_bytes;

namespace {
// n 28x28 images whose pixel (i, r, c) is (i + r * 28 + c) % 256, and labels i % 10.
void write_split(const fs::path& dir, const std::string& prefix, std::uint32_t n, bool gz,
                 std::uint8_t bad_label_at = 255) {
  Bytes pixels(std::size_t(n) * 28 * 28);
  for (std::size_t i = 0; i < pixels.size(); ++i)
    pixels[i] = std::uint8_t((i / 784 + i % 784) % 256);
  Bytes labels(n);
  for (std::uint32_t i = 0; i < n; ++i) labels[i] = std::uint8_t(i == bad_label_at ? 10 : i % 10);
  const Bytes images_file = idx_bytes(0x08, {n, 28, 28}, pixels);
  const Bytes labels_file = idx_bytes(0x08, {n}, labels);
  const std::string ext = gz ? ".gz" : "";
  write_bytes(dir / (prefix + "-images-idx3-ubyte" + ext),
              gz ? gzip_bytes(images_file) : images_file);
  write_bytes(dir / (prefix + "-labels-idx1-ubyte" + ext),
              gz ? gzip_bytes(labels_file) : labels_file);
}
}  // namespace

TEST_CASE("Fashion-MNIST: pixels map to [-1, 1] as torchvision's ToTensor + Normalize(0.5, 0.5)",
          "[fashion_mnist]") {
  CHECK(ts::data::pixel_to_unit_range(0) == -1.0f);
  CHECK(ts::data::pixel_to_unit_range(255) == 1.0f);
  // torch: (torch.tensor([51, 128], dtype=torch.uint8).float().div(255) - 0.5) / 0.5
  CHECK(ts::data::pixel_to_unit_range(51) == -0.6f);
  CHECK(ts::data::pixel_to_unit_range(128) == 0.003921628f);
  for (int p = 0; p < 256; ++p) {
    const float a = float(p) / 255.0f;
    CHECK(ts::data::pixel_to_unit_range(std::uint8_t(p)) == (a - 0.5f) / 0.5f);
  }
}

TEST_CASE("Fashion-MNIST: both splits load from a directory, gzip or plain", "[fashion_mnist]") {
  TempDir dir("tessera_fmnist");
  write_split(dir.path(), "train", 12, true);
  write_split(dir.path(), "t10k", 5, false);

  const auto train = ts::data::load_fashion_mnist(ts::data::Split::train, dir.path());
  REQUIRE(train.size() == 12);
  REQUIRE(train.labels.size() == 12);
  CHECK(train.labels[3] == 3);
  CHECK(train.labels[11] == 1);
  CHECK(train.images.at(2, 0, 0, 0) == ts::data::pixel_to_unit_range(2));
  CHECK(train.images.at(2, 0, 1, 3) == ts::data::pixel_to_unit_range(2 + 28 + 3));
  CHECK(train.images.at(11, 0, 27, 27) ==
        ts::data::pixel_to_unit_range(std::uint8_t((11 + 783) % 256)));
  REQUIRE(train.class_names.size() == 10);
  CHECK(train.class_names[0] == "T-shirt/top");
  CHECK(train.class_names[9] == "Ankle boot");

  const auto test = ts::data::load_fashion_mnist(ts::data::Split::test, dir.path());
  CHECK(test.size() == 5);
  CHECK(test.labels == std::vector<std::int64_t>{0, 1, 2, 3, 4});
}

TEST_CASE("Fashion-MNIST: a label outside 0..9 names the file and the index", "[fashion_mnist]") {
  TempDir dir("tessera_fmnist");
  write_split(dir.path(), "train", 8, true, /*bad_label_at=*/6);
  const fs::path labels = dir / "train-labels-idx1-ubyte.gz";
  REQUIRE_THROWS_AS(ts::data::load_fashion_mnist(ts::data::Split::train, dir.path()),
                    ts::io::IdxError);
  REQUIRE_THROWS_WITH(ts::data::load_fashion_mnist(ts::data::Split::train, dir.path()),
                      labels.string() + ": label 10 at index 6 is outside 0..9");
}

TEST_CASE("Fashion-MNIST: images of another size are refused", "[fashion_mnist]") {
  TempDir dir("tessera_fmnist");
  write_bytes(dir / "t10k-images-idx3-ubyte", idx_bytes(0x08, {2, 32, 32}, Bytes(2 * 32 * 32)));
  write_bytes(dir / "t10k-labels-idx1-ubyte", idx_bytes(0x08, {2}, {0, 1}));
  REQUIRE_THROWS_WITH(
      ts::data::load_fashion_mnist(ts::data::Split::test, dir.path()),
      (dir / "t10k-images-idx3-ubyte").string() + ": images are 32 x 32, expected 28 x 28");
}

TEST_CASE("Fashion-MNIST: a directory without the files says where the package puts them",
          "[fashion_mnist]") {
  TempDir dir("tessera_fmnist");
  REQUIRE_THROWS_AS(ts::data::load_fashion_mnist(ts::data::Split::test, dir.path()),
                    ts::io::IdxError);
  REQUIRE_THROWS_WITH(
      ts::data::load_fashion_mnist(ts::data::Split::test, dir.path()),
      StartsWith((dir / "t10k-images-idx3-ubyte.gz").string() + ": file not found") &&
          Contains("dataset-fashion-mnist"));
}

TEST_CASE("Fashion-MNIST: the real files load (dataset-fashion-mnist)", "[fashion_mnist][real]") {
  // TESSERA_FASHION_MNIST_DIR points the test at a copy elsewhere.
  const char* env = std::getenv("TESSERA_FASHION_MNIST_DIR");
  const fs::path dir = env && *env ? fs::path(env) : fs::path(ts::data::fashion_mnist_default_dir);
  if (!fs::is_directory(dir)) {
    WARN("skipped: " << dir.string() << " not found (install the dataset-fashion-mnist package)");
    return;
  }
  const auto train = ts::data::load_fashion_mnist(ts::data::Split::train, dir);
  const auto test = ts::data::load_fashion_mnist(ts::data::Split::test, dir);
  REQUIRE(train.size() == 60000);
  REQUIRE(test.size() == 10000);
  CHECK(std::vector<std::int64_t>(train.labels.begin(), train.labels.begin() + 10) ==
        std::vector<std::int64_t>{9, 0, 0, 3, 0, 2, 7, 2, 5, 5});
  CHECK(std::vector<std::int64_t>(test.labels.begin(), test.labels.begin() + 10) ==
        std::vector<std::int64_t>{9, 2, 1, 1, 6, 1, 4, 6, 5, 7});
  CHECK(train.class_names[std::size_t(train.labels[0])] == "Ankle boot");

  // Every class 6,000 times in train and 1,000 in test; pixels inside [-1, 1], with the mean
  // torchvision users know (0.2860 on the 0..1 scale).
  std::vector<int> per_class(10);
  for (const auto l : train.labels) ++per_class[std::size_t(l)];
  CHECK(per_class == std::vector<int>(10, 6000));
  double sum = 0;
  float low = 1, high = -1;
  for (const float v : train.images.span()) {
    sum += v;
    low = std::min(low, v);
    high = std::max(high, v);
  }
  CHECK(low == -1.0f);
  CHECK(high == 1.0f);
  CHECK((sum / double(train.images.size()) + 1) / 2 == Approx(0.2860).margin(5e-4));
}
