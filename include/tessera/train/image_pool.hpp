// CycleGAN's image pool (Zhu et al. 2017, after Shrivastava et al. 2017): the discriminators learn
// from a history of generated images, not only from the newest batch, which damps the oscillation
// of the two players. The PyTorch implementation's ImagePool(pool_size = 50), image by image:
//   - while the pool holds fewer than `capacity` images, the new image goes in and is returned;
//   - then, with probability 1/2, a stored image chosen uniformly is returned and the new one
//     takes its place; otherwise the new image is returned and the pool is unchanged.
// A capacity of 0 returns every batch as it is (the CycleGAN seed's own loop, which feeds D the
// newest fakes).
//   ts::ImagePool<Shape<1, 32, 32>> pool(50, seed);
//   const auto fakes_for_d = pool.query(fake_a);   // valid until the next query
// The draws come from the pool's own generator (generator() reseeds it), so that the training's
// are untouched. save/load keep the stored images in a safetensors file, as a checkpoint does for
// a run that resumes exactly. Host memory only.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "tessera/core/random.hpp"
#include "tessera/core/tensor.hpp"
#include "tessera/io/safetensors.hpp"
#include "tessera/io/weights.hpp"

namespace tessera {

// A pool state file that does not fit the pool loading it: what() is "<path>: <problem>".
class ImagePoolError : public io::FileError {
 public:
  using io::FileError::FileError;
};

template <SingleShape S, class T = float>
class ImagePool {
 public:
  explicit ImagePool(index capacity, std::uint64_t seed = 0) : capacity_(capacity), rng_(seed) {
    if (capacity < 0)
      throw std::invalid_argument("tessera::ImagePool: the capacity " + std::to_string(capacity) +
                                  " is negative");
    stored_.reserve(std::size_t(capacity) * S::size);
  }

  index capacity() const { return capacity_; }
  index size() const { return index(stored_.size() / S::size); }
  // The images held, oldest slot first (as the pool's list in PyTorch).
  View<S, const T> images() const { return {stored_.data(), size()}; }
  Generator& generator() { return rng_; }

  // The batch D is to see instead of `images`: each image in turn either returned as it is or
  // swapped for a stored one, as above. The view is the pool's and valid until the next query.
  View<S, const T> query(View<S, const T> images) {
    const index n = images.batch();
    out_.resize(std::size_t(n) * S::size);
    for (index i = 0; i < n; ++i) {
      const T* image = images.data() + std::size_t(i) * S::size;
      T* out = out_.data() + std::size_t(i) * S::size;
      if (capacity_ == 0) {
        std::copy_n(image, S::size, out);
      } else if (size() < capacity_) {
        stored_.insert(stored_.end(), image, image + S::size);
        std::copy_n(image, S::size, out);
      } else if (rng_.uniform() > 0.5) {
        T* slot = stored_.data() + std::size_t(rng_.next() % std::uint64_t(capacity_)) * S::size;
        std::copy_n(slot, S::size, out);
        std::copy_n(image, S::size, slot);
      } else {
        std::copy_n(image, S::size, out);
      }
    }
    return {out_.data(), n};
  }

  // The stored images as the tensor "images", (size, C, H, W), with the capacity in the metadata.
  void save(const std::string& path) const {
    io::TensorRecord r{"images", detail::dtype_of<T>(), {std::int64_t(size())}, {}};
    for (int d : S::dims) r.shape.push_back(d);
    r.data.resize(stored_.size() * sizeof(T));
    std::memcpy(r.data.data(), stored_.data(), r.data.size());
    io::write_safetensors(
        path, {r}, {{"format", "tessera-image-pool"}, {"capacity", std::to_string(capacity_)}});
  }

  // All or nothing: a file of this image shape and element type, at most `capacity` images, all
  // finite, or ImagePoolError naming the file and nothing changes.
  void load(const std::string& path) {
    const io::SafetensorsFile file = io::read_safetensors(path);
    auto fail = [&](const std::string& problem) { throw ImagePoolError(path, problem); };
    const auto format = file.metadata.find("format");
    if (format == file.metadata.end() || format->second != "tessera-image-pool")
      fail("not an image pool file (its metadata has no format \"tessera-image-pool\")");
    const auto found = file.tensors.find("images");
    if (found == file.tensors.end() || file.tensors.size() != 1)
      fail("an image pool file holds one tensor, \"images\"");
    const io::TensorRecord& r = found->second;
    if (r.dtype != detail::dtype_of<T>())
      fail("the images are " + std::string(io::dtype_name(r.dtype)) + ", this pool holds " +
           std::string(io::dtype_name(detail::dtype_of<T>())));
    std::vector<std::int64_t> want{r.shape.empty() ? 0 : r.shape[0]};
    for (int d : S::dims) want.push_back(d);
    if (r.shape != want)
      fail("the images are " + io::detail::shape_string(r.shape) + ", this pool holds images of " +
           S::to_string());
    if (r.shape[0] > capacity_)
      fail(std::to_string(r.shape[0]) + " images, more than this pool's capacity " +
           std::to_string(capacity_));
    std::vector<T> values(std::size_t(r.shape[0]) * S::size);
    std::memcpy(values.data(), r.data.data(), values.size() * sizeof(T));
    for (std::size_t k = 0; k < values.size(); ++k)
      if (!std::isfinite(values[k]))
        fail("image " + std::to_string(k / S::size) + " holds a value that is not finite");
    stored_ = std::move(values);
    stored_.reserve(std::size_t(capacity_) * S::size);
  }

 private:
  index capacity_;
  Generator rng_;
  std::vector<T> stored_, out_;
};

}  // namespace tessera
