// What the four fuzz targets share: the readers under test take a path, so each input is written
// to one reused file in a per-process temporary directory; and the rule that an exception is
// either one of the target's documented rejections or a failure that stops the fuzzer.
#pragma once

#include <cxxabi.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <string>
#include <system_error>
#include <typeinfo>

namespace tessera::fuzz {

// Where the scratch directory goes: $TESSERA_FUZZ_TMPDIR if set, else /dev/shm where it exists
// (a file written and read per input is ten times faster in memory than on a disk), else the
// system's temporary directory.
inline std::filesystem::path scratch_base() {
  if (const char* dir = std::getenv("TESSERA_FUZZ_TMPDIR"); dir != nullptr && *dir != '\0')
    return dir;
  std::error_code ec;
  if (std::filesystem::is_directory("/dev/shm", ec) && access("/dev/shm", W_OK | X_OK) == 0)
    return "/dev/shm";
  std::filesystem::path base = std::filesystem::temp_directory_path(ec);
  return ec ? std::filesystem::path("/tmp") : base;
}

// A directory of this process's own, "<scratch_base()>/tessera-fuzz-<pid>", so that several
// fuzzers (or libFuzzer's -jobs workers) never write each other's files. libFuzzer ends a run
// with _Exit, past atexit handlers, so instead of cleaning up at exit each process removes the
// directories of processes that no longer exist when it starts: at most one is ever left over.
inline const std::filesystem::path& scratch_dir() {
  static const std::filesystem::path dir = [] {
    const std::filesystem::path base = scratch_base();
    const std::string prefix = "tessera-fuzz-";
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(base, ec)) {
      const std::string name = entry.path().filename().string();
      if (!name.starts_with(prefix)) continue;
      char* end = nullptr;
      const long pid = std::strtol(name.c_str() + prefix.size(), &end, 10);
      if (pid > 0 && *end == '\0' && kill(pid_t(pid), 0) == -1 && errno == ESRCH) {
        std::error_code ignored;
        std::filesystem::remove_all(entry.path(), ignored);
      }
    }
    const std::filesystem::path own = base / (prefix + std::to_string(getpid()));
    std::filesystem::remove_all(own, ec);  // a dead process's, whose pid this one reuses
    if (!std::filesystem::create_directories(own, ec) || ec) {
      std::fprintf(stderr, "tessera fuzz: cannot create %s: %s\n", own.c_str(),
                   ec.message().c_str());
      std::abort();
    }
    return own;
  }();
  return dir;
}

// `name` inside scratch_dir(): the same path for every input, so a long run creates no files.
inline std::filesystem::path scratch_file(const char* name) {
  return scratch_dir() / name;
}

// Writes the fuzzer's bytes to `path`. A failure here is the harness's, not the library's, so it
// aborts with its own message rather than reaching a reader.
inline void write_input(const std::filesystem::path& path, const std::uint8_t* data,
                        std::size_t size) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr || (size > 0 && std::fwrite(data, 1, size, f) != size) || std::fclose(f) != 0) {
    std::perror(("tessera fuzz: cannot write " + path.string()).c_str());
    std::abort();
  }
}

// Stops the run with a message that names what went wrong; libFuzzer saves the input (crash-*).
[[noreturn]] inline void fail(const char* target, const std::string& what) {
  std::fprintf(stderr, "\n==tessera fuzz== %s: %s\n", target, what.c_str());
  std::fflush(stderr);
  std::abort();
}

// For the catch-all handlers: an exception outside the target's documented ones is a failure.
[[noreturn]] inline void unexpected_exception(const char* target, const std::exception& e) {
  int status = 0;
  char* name = abi::__cxa_demangle(typeid(e).name(), nullptr, nullptr, &status);
  const std::string type = status == 0 && name != nullptr ? name : typeid(e).name();
  std::free(name);
  fail(target, "unexpected exception of type " + type + ": " + e.what());
}
[[noreturn]] inline void unexpected_exception(const char* target) {
  fail(target, "unexpected exception not derived from std::exception");
}

}  // namespace tessera::fuzz
