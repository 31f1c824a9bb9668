// Whole-file reads and all-or-nothing writes on C stdio, for the weights and optimizer-state files
// of the core library. <filesystem> and <fstream> would do the same, but together they cost about a
// sixth of the core include's compile time; the tools (tessera/tools.hpp) still use them.
#pragma once

#include <sys/stat.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>

namespace tessera::io::detail {

enum class FileKind { missing, directory, other, inaccessible };

// What is at `path`; errno's text in `why` when it cannot be told.
inline FileKind file_kind(const std::string& path, std::string& why) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) {
    if (errno == ENOENT || errno == ENOTDIR) return FileKind::missing;
    why = std::strerror(errno);
    return FileKind::inaccessible;
  }
  return S_ISDIR(info.st_mode) ? FileKind::directory : FileKind::other;
}

// An open FILE*, closed when it goes out of scope.
class File {
 public:
  File(const std::string& path, const char* mode) : file_(std::fopen(path.c_str(), mode)) {}
  File(const File&) = delete;
  File& operator=(const File&) = delete;
  ~File() {
    if (file_) std::fclose(file_);
  }
  explicit operator bool() const { return file_ != nullptr; }

  // The size in bytes, or -1; leaves the position at the start. (long is 64 bits on the LP64
  // systems we build on.)
  std::int64_t size() {
    if (std::fseek(file_, 0, SEEK_END) != 0) return -1;
    const long end = std::ftell(file_);
    std::rewind(file_);
    return end;
  }
  bool seek(std::uint64_t offset) { return std::fseek(file_, long(offset), SEEK_SET) == 0; }
  bool read(void* into, std::uint64_t bytes) {
    return bytes == 0 || std::fread(into, 1, bytes, file_) == bytes;
  }
  bool write(const void* from, std::uint64_t bytes) {
    return bytes == 0 || std::fwrite(from, 1, bytes, file_) == bytes;
  }
  // Flushes and closes; false when any write, the flush or the close failed (a full disk shows
  // here at the latest).
  bool close() {
    const bool ok = std::ferror(file_) == 0 && std::fflush(file_) == 0;
    const bool closed = std::fclose(file_) == 0;
    file_ = nullptr;
    return ok && closed;
  }

 private:
  std::FILE* file_;
};

}  // namespace tessera::io::detail
