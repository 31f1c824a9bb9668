// ts::ImagePool against the CycleGAN implementation's ImagePool, by what its algorithm implies:
// the first `capacity` images pass through and are stored in order; after that every image is
// either returned as it is (the pool unchanged) or swapped for a stored one, so the pool and the
// returned batch together always hold exactly the images that went in; the swap happens with
// probability 1/2 and picks every slot alike (binomial and chi-square bounds at about 5 sigma);
// capacity 0 passes everything through. Then the state file: a round trip, and each kind of bad
// file refused with the file's name, the pool unchanged.
#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <map>
#include <vector>

#include "../support/temp_dir.hpp"
#include "tessera/io/safetensors.hpp"
#include "tessera/train/image_pool.hpp"

namespace ts = tessera;

namespace {

using Image = ts::Shape<1, 2, 3>;

// A batch of images whose every pixel is the image's id, so that an image is known by its value.
ts::Tensor<Image> images_with_ids(std::vector<float> ids) {
  ts::Tensor<Image> t(ts::index(ids.size()));
  for (std::size_t i = 0; i < ids.size(); ++i)
    for (std::size_t k = 0; k < Image::size; ++k) t.data()[i * Image::size + k] = ids[i];
  return t;
}

std::vector<float> ids_of(ts::View<Image, const float> v) {
  std::vector<float> ids;
  for (ts::index i = 0; i < v.batch(); ++i) {
    const float* image = v.data() + i * Image::size;
    for (std::size_t k = 1; k < Image::size; ++k) REQUIRE(image[k] == image[0]);  // not mixed
    ids.push_back(image[0]);
  }
  return ids;
}

std::map<float, int> count(const std::vector<float>& a, const std::vector<float>& b = {}) {
  std::map<float, int> m;
  for (float v : a) ++m[v];
  for (float v : b) ++m[v];
  return m;
}

}  // namespace

TEST_CASE("ImagePool passes the first images through and keeps them in order", "[train][pool]") {
  ts::ImagePool<Image> pool(5, 1);
  CHECK(pool.size() == 0);
  CHECK(ids_of(pool.query(images_with_ids({1, 2, 3}))) == std::vector<float>{1, 2, 3});
  CHECK(ids_of(pool.images()) == std::vector<float>{1, 2, 3});
  // Two more fill it (stored and returned); the third of the batch is the first that may swap.
  const auto out = ids_of(pool.query(images_with_ids({4, 5, 6})));
  CHECK(out[0] == 4);
  CHECK(out[1] == 5);
  CHECK(pool.size() == 5);
  CHECK(count({out[2]}, ids_of(pool.images())) == count({1, 2, 3, 4, 5, 6}));
}

TEST_CASE("ImagePool of capacity 0 returns every batch as it is", "[train][pool]") {
  ts::ImagePool<Image> pool(0, 1);
  for (int round = 0; round < 3; ++round)
    CHECK(ids_of(pool.query(images_with_ids({7, 8, 9}))) == std::vector<float>{7, 8, 9});
  CHECK(pool.size() == 0);
  CHECK_THROWS_AS(ts::ImagePool<Image>(-1), std::invalid_argument);
}

TEST_CASE("ImagePool swaps each image with probability 1/2, for a uniformly chosen slot",
          "[train][pool]") {
  constexpr int capacity = 50, batches = 800, batch = 25;
  ts::ImagePool<Image> pool(capacity, 42);
  std::vector<float> first(capacity);
  for (int i = 0; i < capacity; ++i) first[std::size_t(i)] = float(i);
  pool.query(images_with_ids(first));

  float next_id = capacity;
  int swapped = 0, kept = 0;
  std::vector<int> slot_hits(capacity, 0);
  for (int b = 0; b < batches; ++b) {
    std::vector<float> in(batch);
    for (float& id : in) id = next_id++;
    const auto before = ids_of(pool.images());
    const auto out = ids_of(pool.query(images_with_ids(in)));
    const auto after = ids_of(pool.images());
    // Nothing made, nothing lost: the pool and the returned batch hold what went in.
    REQUIRE(count(out, after) == count(in, before));
    for (std::size_t i = 0; i < in.size(); ++i) {
      if (out[i] == in[i]) {
        ++kept;
      } else {
        ++swapped;
        REQUIRE(out[i] < in[i]);  // an earlier image, from the pool
      }
    }
    // The slot each new image went to: where a batch's image now sits.
    for (int s = 0; s < capacity; ++s)
      if (after[std::size_t(s)] >= in[0]) ++slot_hits[std::size_t(s)];
  }
  // Binomial(20,000, 1/2): sd 70.7; 5 sd = 354. (Images swapped in and out again within one batch
  // are counted once per slot, so the slot counts are below `swapped`.)
  const int n = batches * batch;
  CHECK(swapped + kept == n);
  CHECK(std::abs(swapped - n / 2) < 354);
  // Chi-square over the 50 slots (49 degrees of freedom): mean 49, sd 9.9; below 49 + 5 sd.
  double total = 0;
  for (int h : slot_hits) total += h;
  const double expected = total / capacity;
  double chi2 = 0;
  for (int h : slot_hits) chi2 += (h - expected) * (h - expected) / expected;
  CHECK(chi2 < 49 + 5 * 9.9);
  CHECK(total > 0.9 * expected * capacity);
}

TEST_CASE("ImagePool saves and loads its images; a bad file is refused and changes nothing",
          "[train][pool]") {
  ts::testing::TempDir dir("image_pool");
  ts::ImagePool<Image> pool(4, 3);
  pool.query(images_with_ids({1, 2, 3}));
  const std::string file = (dir / "pool.safetensors").string();
  pool.save(file);

  ts::ImagePool<Image> back(4, 9);
  back.load(file);
  CHECK(ids_of(back.images()) == std::vector<float>{1, 2, 3});
  // The loaded pool goes on filling: one free slot left.
  CHECK(ids_of(back.query(images_with_ids({4}))) == std::vector<float>{4});
  CHECK(back.size() == 4);

  auto refused = [&](ts::ImagePool<Image>& target, const std::string& path,
                     const std::string& says) {
    const auto before = ids_of(target.images());
    try {
      target.load(path);
      FAIL("loaded " << path);
    } catch (const ts::io::FileError& e) {
      CHECK_THAT(e.what(), Catch::Contains(path) && Catch::Contains(says));
    }
    CHECK(ids_of(target.images()) == before);
  };
  // More images than the capacity.
  ts::ImagePool<Image> small(2, 1);
  small.query(images_with_ids({5}));
  refused(small, file, "more than this pool's capacity 2");
  // Images of another shape.
  ts::ImagePool<ts::Shape<1, 3, 2>> other(4, 1);
  try {
    other.load(file);
    FAIL("loaded images of another shape");
  } catch (const ts::ImagePoolError& e) {
    CHECK_THAT(e.what(), Catch::Contains("[3, 1, 2, 3]") && Catch::Contains("Shape<1, 3, 2>"));
  }
  // A value that is not finite.
  auto records = ts::io::read_safetensors(file);
  auto& images = records.tensors.at("images");
  const float nan = std::numeric_limits<float>::quiet_NaN();
  std::memcpy(images.data.data() + 4 * sizeof(float), &nan, sizeof nan);
  const std::string damaged = (dir / "nan.safetensors").string();
  ts::io::write_safetensors(damaged, {images}, records.metadata);
  refused(back, damaged, "image 0 holds a value that is not finite");
  // Not a pool's file at all.
  const std::string foreign = (dir / "weights.safetensors").string();
  ts::io::write_safetensors(foreign, {images});
  refused(back, foreign, "not an image pool file");
  refused(back, (dir / "missing.safetensors").string(), "");
}
