// Tests for tessera/io/png.hpp: image grids against torchvision's save_image(make_grid(...)) for
// the cases in tests/fixtures/make_grid_fixtures.py, PNG files read back with stb_image, and the
// errors for an unwritable path or an empty batch.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "../support/temp_dir.hpp"
#include "tessera/io/png.hpp"
#include "tessera/io/safetensors.hpp"

// stb_image decodes the written files; test-only, so its implementation lives here.
#define STB_IMAGE_STATIC
#define STB_IMAGE_IMPLEMENTATION
#define STBI_ONLY_PNG
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wpedantic"
#if __has_include(<stb/stb_image.h>)
#include <stb/stb_image.h>
#else
#include <stb_image.h>
#endif
#pragma GCC diagnostic pop

namespace fs = std::filesystem;
namespace ts = tessera;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;
using ts::io::GridOptions;
using ts::io::RgbImage;

namespace {

const ts::io::SafetensorsFile& fixtures() {
  static const auto file = ts::io::read_safetensors(std::string(TESSERA_TEST_DATA_DIR) +
                                                    "/fixtures/make_grid.safetensors");
  return file;
}

std::vector<float> floats(const ts::io::TensorRecord& r) {
  std::vector<float> v(r.data.size() / 4);
  std::memcpy(v.data(), r.data.data(), r.data.size());
  return v;
}

RgbImage read_png(const fs::path& path) {
  int w = 0, h = 0, channels = 0;
  unsigned char* data = stbi_load(path.c_str(), &w, &h, &channels, 3);
  REQUIRE(data != nullptr);
  RgbImage image(w, h);
  std::memcpy(image.pixels.data(), data, image.pixels.size());
  stbi_image_free(data);
  return image;
}

// grid_image of the fixture's input must give the fixture's pixels exactly, and so must the PNG
// that save_image_grid writes.
template <class S>
void check_case(const std::string& name, const std::string& options_json,
                const GridOptions& options) {
  INFO("case " << name);
  REQUIRE(fixtures().metadata.at(name) == options_json);  // the options below are the script's
  const auto input = ts::Tensor<S>::from(floats(fixtures().tensors.at(name + ".input")));
  const auto& expected_record = fixtures().tensors.at(name + ".expected");
  const std::vector<float> expected = floats(expected_record);

  const RgbImage grid = ts::io::grid_image(input, options);
  REQUIRE(grid.height == expected_record.shape[0]);
  REQUIRE(grid.width == expected_record.shape[1]);
  int mismatches = 0;
  for (std::size_t i = 0; i < expected.size(); ++i)
    mismatches += grid.pixels[i] != std::uint8_t(expected[i]);
  CHECK(mismatches == 0);

  ts::testing::TempDir dir("tessera_png");
  ts::io::save_image_grid(input, dir / (name + ".png"), options);
  const RgbImage back = read_png(dir / (name + ".png"));
  CHECK(back.width == grid.width);
  CHECK(back.height == grid.height);
  CHECK(back.pixels == grid.pixels);
}

}  // namespace

TEST_CASE("grid_image matches torchvision's save_image(make_grid(...)) pixel for pixel", "[png]") {
  INFO("fixtures from " << fixtures().metadata.at("source"));
  check_case<ts::Shape<1, 4, 3>>("gray_range",
                                 R"({"nrow": 3, "normalize": true, "value_range": [-1.0, 1.0]})",
                                 {.nrow = 3, .normalize = true, .value_range = {{-1.0f, 1.0f}}});
  check_case<ts::Shape<1, 4, 3>>(
      "gray_minmax", R"({"nrow": 2, "padding": 1, "normalize": true, "pad_value": 0.5})",
      {.nrow = 2, .padding = 1, .pad_value = 0.5f, .normalize = true});
  check_case<ts::Shape<1, 3, 3>>(
      "gray_scale_each", R"({"nrow": 4, "padding": 0, "normalize": true, "scale_each": true})",
      {.nrow = 4, .padding = 0, .normalize = true, .scale_each = true});
  check_case<ts::Shape<3, 3, 4>>("rgb_plain", "{}", {});
  check_case<ts::Shape<3, 2, 2>>(
      "rgb_range",
      R"({"nrow": 2, "padding": 3, "pad_value": 1.0, "normalize": true, "value_range": [-0.5, 0.5]})",
      {.nrow = 2,
       .padding = 3,
       .pad_value = 1.0f,
       .normalize = true,
       .value_range = {{-0.5f, 0.5f}}});
  check_case<ts::Shape<1, 3, 2>>("single", R"({"normalize": true, "value_range": [-1.0, 1.0]})",
                                 {.normalize = true, .value_range = {{-1.0f, 1.0f}}});
}

TEST_CASE("grid_image: layout, channel repetition and rounding, by hand", "[png]") {
  // Three 1x1x2 images [0, 1], [0.5, 0.2], [NaN, 2] in rows of 2 with padding 1.
  const auto images =
      ts::Tensor<ts::Shape<1, 1, 2>>::from({0.0f, 1.0f, 0.5f, 0.2f, std::nanf(""), 2.0f});
  const RgbImage g = ts::io::grid_image(images, {.nrow = 2, .padding = 1, .pad_value = 0.25f});
  REQUIRE(g.width == 2 * (2 + 1) + 1);
  REQUIRE(g.height == 2 * (1 + 1) + 1);
  const ts::io::Rgb pad{64, 64, 64};  // 0.25 * 255 + 0.5 = 64.25
  CHECK(g.at(0, 0) == pad);
  CHECK(g.at(3, 1) == pad);  // between the two images of the first row
  CHECK(g.at(1, 1) == ts::io::Rgb{0, 0, 0});
  CHECK(g.at(2, 1) == ts::io::Rgb{255, 255, 255});
  CHECK(g.at(4, 1) == ts::io::Rgb{128, 128, 128});  // 0.5 * 255 + 0.5 = 128
  CHECK(g.at(5, 1) == ts::io::Rgb{51, 51, 51});     // 0.2 * 255 + 0.5 = 51.5
  CHECK(g.at(1, 3) == ts::io::Rgb{0, 0, 0});        // NaN
  CHECK(g.at(2, 3) == ts::io::Rgb{255, 255, 255});  // clamped
  CHECK(g.at(4, 3) == pad);                         // the empty cell

  // Views, const or not, work as well as tensors.
  const ts::View<ts::Shape<1, 1, 2>, const float> view = images;
  auto mutable_images = images;
  CHECK(ts::io::grid_image(view, {.nrow = 2, .padding = 1, .pad_value = 0.25f}).pixels == g.pixels);
  CHECK(ts::io::grid_image(mutable_images.view(), {.nrow = 2, .padding = 1, .pad_value = 0.25f})
            .pixels == g.pixels);
}

TEST_CASE("grid_image and write_png refuse what they cannot do", "[png]") {
  const ts::Tensor<ts::Shape<3, 2, 2>> none(0);
  CHECK_THROWS_AS(ts::io::grid_image(none), std::invalid_argument);
  const ts::Tensor<ts::Shape<3, 2, 2>> two(2);
  CHECK_THROWS_AS(ts::io::grid_image(two, {.nrow = 0}), std::invalid_argument);

  ts::testing::TempDir dir("tessera_png");
  const fs::path path = dir / "no_such_dir" / "grid.png";
  REQUIRE_THROWS_AS(ts::io::save_image_grid(two, path), ts::io::ImageWriteError);
  REQUIRE_THROWS_WITH(ts::io::save_image_grid(two, path),
                      StartsWith(path.string() + ": cannot open for writing") &&
                          Contains("No such file or directory"));
  CHECK_THROWS_AS(ts::io::write_png(dir / "empty.png", RgbImage()), ts::io::ImageWriteError);
}
