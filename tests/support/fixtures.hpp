// Reading the PyTorch fixtures under tests/fixtures (written by the make_*fixtures.py scripts
// there: float32, float64 and int64 tensors) and comparing against them with a tolerance.
#pragma once

#include <algorithm>
#include <bit>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <sstream>
#include <string>
#include <vector>

#include "tessera/io/safetensors.hpp"

namespace tessera::testing {

static_assert(std::endian::native == std::endian::little,
              "the fixtures are read by copying little-endian bytes");

// tests/fixtures/<case>.safetensors: the path, for Model::load of a <case>_state_dict, and the file
inline std::string fixture_path(const std::string& case_name) {
  return std::string(TESSERA_TEST_DATA_DIR) + "/fixtures/" + case_name + ".safetensors";
}

inline io::SafetensorsFile fixture(const std::string& case_name) {
  return io::read_safetensors(fixture_path(case_name));
}

// tests/fixtures/train/<case>.safetensors (make_training_fixtures.py)
inline io::SafetensorsFile training_fixture(const std::string& case_name) {
  return io::read_safetensors(std::string(TESSERA_TEST_DATA_DIR) + "/fixtures/train/" + case_name +
                              ".safetensors");
}

inline const io::TensorRecord& fixture_record(const io::SafetensorsFile& file,
                                              const std::string& name) {
  const auto it = file.tensors.find(name);
  INFO("fixture tensor '" << name << "'");
  REQUIRE(it != file.tensors.end());
  return it->second;
}

// A float32 or float64 record's elements, converted to T.
template <class T>
std::vector<T> record_values(const io::TensorRecord& r) {
  REQUIRE((r.dtype == io::Dtype::F64 || r.dtype == io::Dtype::F32));
  const auto read = [&]<class Stored>(Stored) {
    std::vector<T> out(r.data.size() / sizeof(Stored));
    for (std::size_t i = 0; i < out.size(); ++i) {
      Stored v;
      std::memcpy(&v, r.data.data() + i * sizeof v, sizeof v);
      out[i] = T(v);
    }
    return out;
  };
  return r.dtype == io::Dtype::F64 ? read(double{}) : read(float{});
}

// The same for the file's tensor `name`.
template <class T>
std::vector<T> fixture_values(const io::SafetensorsFile& file, const std::string& name) {
  return record_values<T>(fixture_record(file, name));
}

inline double fixture_scalar(const io::SafetensorsFile& file, const std::string& name) {
  const std::vector<double> v = fixture_values<double>(file, name);
  REQUIRE(v.size() == 1);
  return v[0];
}

// An int64 record's elements; record_integer: its one element (a num_batches_tracked).
inline std::vector<std::int64_t> record_integers(const io::TensorRecord& r) {
  REQUIRE(r.dtype == io::Dtype::I64);
  std::vector<std::int64_t> out(r.data.size() / sizeof(std::int64_t));
  if (!out.empty()) std::memcpy(out.data(), r.data.data(), r.data.size());
  return out;
}

inline std::int64_t record_integer(const io::TensorRecord& r) {
  const std::vector<std::int64_t> v = record_integers(r);
  REQUIRE(v.size() == 1);
  return v[0];
}

inline std::vector<std::int64_t> fixture_integers(const io::SafetensorsFile& file,
                                                  const std::string& name) {
  return record_integers(fixture_record(file, name));
}

// Checks |got - want| <= rtol |want| + atol elementwise (NaN fails); on failure names the first
// few elements that differ and the worst error as a multiple of the tolerance. The defaults suit
// float32 fixtures.
template <class T, class U>
void check_close(const std::string& what, const T* got, const std::vector<U>& want, double rtol = 1e-4,
                 double atol = 1e-5) {
  std::size_t bad = 0;
  double worst = 0;
  std::ostringstream first;
  for (std::size_t i = 0; i < want.size(); ++i) {
    const double a = double(got[i]), b = double(want[i]);
    const double allowed = rtol * std::abs(b) + atol;
    const double err = std::abs(a - b);
    worst = std::max(worst, err / allowed);
    if (!(err <= allowed)) {
      if (bad < 5) first << "  [" << i << "] got " << a << ", PyTorch " << b << "\n";
      ++bad;
    }
  }
  INFO(what << ": " << bad << " of " << want.size() << " elements differ (worst error " << worst
            << " times the tolerance)\n"
            << first.str());
  CHECK(bad == 0);
}

}  // namespace tessera::testing
