// The shape of every error about a file: what() is "<path>: <problem>", so that a message reaching
// a user from deep inside a model load or a data loader still names the file at fault. Each
// reader or writer derives its own type (SafetensorsError, IdxError, ImageWriteError, ...).
#pragma once

#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>

namespace tessera::io {

class FileError : public std::runtime_error {
 public:
  FileError(const std::filesystem::path& path, const std::string& problem)
      : std::runtime_error(path.string() + ": " + problem),
        detail_(std::make_shared<const Detail>(Detail{path, problem})) {}

  const std::filesystem::path& path() const noexcept { return detail_->path; }
  // The message without the leading path.
  const std::string& problem() const noexcept { return detail_->problem; }

 private:
  struct Detail {
    std::filesystem::path path;
    std::string problem;
  };
  // Shared so that copying the exception, as throwing and catching may do, cannot itself throw.
  std::shared_ptr<const Detail> detail_;
};

}  // namespace tessera::io
