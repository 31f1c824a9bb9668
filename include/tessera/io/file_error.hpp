// The shape of every error about a file: what() is "<path>: <problem>", so that a message reaching
// a user from deep inside a model load or a data loader still names the file at fault. Each
// reader or writer derives its own type (SafetensorsError, IdxError, ImageWriteError, ...).
// Paths are strings (a std::filesystem::path converts to one), so that the core library does not
// pay for <filesystem> in every translation unit.
#pragma once

#include <memory>
#include <stdexcept>
#include <string>

namespace tessera::io {

class FileError : public std::runtime_error {
 public:
  FileError(const std::string& path, const std::string& problem)
      : std::runtime_error(path + ": " + problem),
        detail_(std::make_shared<const Detail>(Detail{path, problem})) {}

  const std::string& path() const noexcept { return detail_->path; }
  // The message without the leading path.
  const std::string& problem() const noexcept { return detail_->problem; }

 private:
  struct Detail {
    std::string path;
    std::string problem;
  };
  // Shared so that copying the exception, as throwing and catching may do, cannot itself throw.
  std::shared_ptr<const Detail> detail_;
};

}  // namespace tessera::io
