// A fresh directory under the system temp dir for a test's files, removed with everything in it
// when the test ends.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <random>
#include <string>
#include <system_error>

namespace tessera::testing {

class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "tessera_test") {
    // Random plus clock, so that parallel test runs never share a directory.
    const auto salt = std::random_device{}() ^
                      std::uint64_t(std::chrono::steady_clock::now().time_since_epoch().count());
    root_ = std::filesystem::temp_directory_path() / (prefix + "_" + std::to_string(salt));
    std::filesystem::create_directories(root_);
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(root_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return root_; }
  std::filesystem::path operator/(const std::string& name) const { return root_ / name; }

 private:
  std::filesystem::path root_;
};

}  // namespace tessera::testing
