// A checkpoint folder that is replaced as a whole or not at all. The files of one save are written
// into a staging folder beside it, flushed to disk, and listed last in a manifest (each file's size
// and FNV-1a 64 hash, plus the caller's values such as the epoch); then the folder is swapped into
// place by two renames. A reader gets every file of one save, verified, or a CheckpointError that
// names the folder or the file at fault: a missing, truncated or swapped-in file, a missing or
// damaged manifest, never a mix of two saves.
//   io::CheckpointWriter save(out / "checkpoint");
//   model.save(save.file("model.safetensors"));   // a path inside the staging folder
//   save.set("epochs", "3");
//   save.commit();
//   const io::Checkpoint saved = io::Checkpoint::open(out / "checkpoint");
//   model.load(saved.file("model.safetensors"));  // saved.value("epochs") == "3"
#pragma once

#include <array>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#if defined(__unix__) || defined(__APPLE__)
#include <fcntl.h>
#include <unistd.h>
#define TESSERA_CHECKPOINT_FSYNC 1
#endif

#include "tessera/io/file_error.hpp"

namespace tessera::io {

// What is wrong with a checkpoint folder or one of its files; what() is "<path>: <problem>".
class CheckpointError : public FileError {
 public:
  using FileError::FileError;
};

namespace detail {

inline constexpr std::string_view checkpoint_manifest_name = "manifest.txt";
inline constexpr std::string_view checkpoint_manifest_magic = "tessera-checkpoint 1";

inline std::uint64_t fnv1a64(std::string_view bytes, std::uint64_t hash = 0xcbf29ce484222325ull) {
  for (const char c : bytes) {
    hash ^= std::uint8_t(c);
    hash *= 0x100000001b3ull;
  }
  return hash;
}

inline std::string hex64(std::uint64_t v) {
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(v));
  return text;
}

struct FileDigest {
  std::uint64_t size = 0, hash = 0;
};

inline FileDigest digest_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw CheckpointError(path, "cannot open for reading");
  FileDigest d;
  d.hash = fnv1a64({});
  std::array<char, 1 << 16> buffer;
  while (in) {
    in.read(buffer.data(), std::streamsize(buffer.size()));
    const auto got = std::size_t(in.gcount());
    d.hash = fnv1a64({buffer.data(), got}, d.hash);
    d.size += got;
  }
  if (!in.eof()) throw CheckpointError(path, "cannot read");
  return d;
}

// Flushes a file's (or a folder's entries') data to the disk, so that a rename that follows cannot
// reach the disk before it. A folder that cannot be synced (some file systems refuse) is let be.
inline void sync_to_disk(const std::filesystem::path& path, bool folder) {
#ifdef TESSERA_CHECKPOINT_FSYNC
  const int fd = ::open(path.c_str(), O_RDONLY | (folder ? O_DIRECTORY : 0));
  if (fd < 0) {
    if (folder) return;
    throw CheckpointError(path,
                          std::string("cannot open to flush it to disk: ") + std::strerror(errno));
  }
  const int failed = ::fsync(fd);
  const int error = errno;
  ::close(fd);
  if (failed != 0 && !folder)
    throw CheckpointError(path, std::string("cannot flush to disk: ") + std::strerror(error));
#else
  (void)path;
  (void)folder;
#endif
}

inline bool valid_checkpoint_word(std::string_view s) {
  if (s.empty() || s == "." || s == "..") return false;
  for (const char c : s)
    if (c == '/' || c == '\\' || std::uint8_t(c) <= ' ') return false;
  return true;
}

// The folder a save is swapped through: "<name>.previous" beside "<name>".
inline std::filesystem::path checkpoint_aside(const std::filesystem::path& dir) {
  std::filesystem::path aside = dir;
  aside += ".previous";
  return aside;
}

inline std::filesystem::path without_trailing_slash(std::filesystem::path dir) {
  if (!dir.has_filename() && dir.has_parent_path()) dir = dir.parent_path();
  return dir;
}

}  // namespace detail

// Writes one checkpoint: files go to file(name), a path in a staging folder ("<dir>.tmp-<id>");
// commit() lists them in the manifest and swaps the folder in for `dir`. Until commit() returns,
// `dir` (or, after a kill between the two renames, "<dir>.previous") holds the last complete save;
// a writer destroyed without commit() removes its staging folder.
class CheckpointWriter {
 public:
  explicit CheckpointWriter(std::filesystem::path dir)
      : dir_(detail::without_trailing_slash(std::move(dir))) {
    if (dir_.filename().empty()) throw CheckpointError(dir_, "a checkpoint needs a folder name");
    const auto parent = dir_.has_parent_path() ? dir_.parent_path() : std::filesystem::path(".");
    std::error_code error;
    std::filesystem::create_directories(parent, error);
    if (error) throw CheckpointError(parent, "cannot create the folder: " + error.message());
    const auto stamp = std::uint64_t(std::chrono::steady_clock::now().time_since_epoch().count());
    for (int attempt = 0;; ++attempt) {
      staging_ = dir_;
      staging_ += ".tmp-" + detail::hex64(stamp + std::uint64_t(attempt)).substr(8);
      if (std::filesystem::create_directory(staging_, error)) break;
      if (error || attempt > 100)
        throw CheckpointError(staging_, "cannot create the staging folder: " + error.message());
    }
  }
  CheckpointWriter(const CheckpointWriter&) = delete;
  CheckpointWriter& operator=(const CheckpointWriter&) = delete;
  ~CheckpointWriter() {
    if (!committed_) {
      std::error_code ignored;
      std::filesystem::remove_all(staging_, ignored);
    }
  }

  // Where to write the file `name` (no folders, no spaces) of this save.
  std::filesystem::path file(const std::string& name) {
    if (!detail::valid_checkpoint_word(name) || name == detail::checkpoint_manifest_name)
      throw CheckpointError(dir_, "'" + name + "' cannot be a checkpoint file name");
    names_.insert(name);
    return staging_ / name;
  }

  // Writes a small text file of this save, checking that every byte reached the file.
  void write_text(const std::string& name, const std::string& text) {
    const auto path = file(name);
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    if (out) out.write(text.data(), std::streamsize(text.size()));
    out.close();
    if (!out) throw CheckpointError(path, std::string("cannot write: ") + std::strerror(errno));
  }

  // A value (one word for the key, one line for the value) that the manifest records.
  void set(const std::string& key, const std::string& value) {
    if (!detail::valid_checkpoint_word(key) || value.find('\n') != std::string::npos ||
        value.empty())
      throw CheckpointError(dir_, "bad checkpoint value '" + key + "' = '" + value + "'");
    values_[key] = value;
  }

  const std::filesystem::path& staging_folder() const { return staging_; }

  // Lists every file of the staging folder in the manifest (written last), flushes them all to the
  // disk and swaps the staging folder in for the checkpoint folder. Throws CheckpointError naming
  // the path at fault; the previous checkpoint is then left as it was.
  void commit() {
    namespace fs = std::filesystem;
    std::map<std::string, detail::FileDigest> files;
    for (const auto& entry : fs::directory_iterator(staging_)) {
      const std::string name = entry.path().filename().string();
      if (!entry.is_regular_file())
        throw CheckpointError(entry.path(), "a checkpoint holds plain files only");
      if (!detail::valid_checkpoint_word(name) || name == detail::checkpoint_manifest_name)
        throw CheckpointError(entry.path(), "cannot be a checkpoint file name");
      detail::sync_to_disk(entry.path(), false);
      files[name] = detail::digest_file(entry.path());
    }
    for (const auto& name : names_)
      if (!files.contains(name)) throw CheckpointError(staging_ / name, "was never written");

    std::string manifest = std::string(detail::checkpoint_manifest_magic) + "\n";
    for (const auto& [key, value] : values_) manifest += "value " + key + " " + value + "\n";
    for (const auto& [name, d] : files)
      manifest +=
          "file " + name + " " + std::to_string(d.size) + " " + detail::hex64(d.hash) + "\n";
    manifest += "end " + std::to_string(files.size()) + " " +
                detail::hex64(detail::fnv1a64(manifest)) + "\n";
    const auto manifest_path = staging_ / std::string(detail::checkpoint_manifest_name);
    {
      std::ofstream out(manifest_path, std::ios::binary | std::ios::trunc);
      if (out) out.write(manifest.data(), std::streamsize(manifest.size()));
      out.close();
      if (!out)
        throw CheckpointError(manifest_path, std::string("cannot write: ") + std::strerror(errno));
    }
    detail::sync_to_disk(manifest_path, false);
    detail::sync_to_disk(staging_, true);

    // The swap: the old folder aside, the new one in, the old one removed. A kill between the two
    // renames leaves only "<dir>.previous", which Checkpoint::open falls back to.
    const fs::path aside = detail::checkpoint_aside(dir_);
    std::error_code error;
    if (fs::exists(dir_)) {
      fs::remove_all(aside, error);  // left by a kill after an earlier swap's second rename
      if (error)
        throw CheckpointError(aside, "cannot remove the old checkpoint: " + error.message());
      fs::rename(dir_, aside, error);
      if (error)
        throw CheckpointError(dir_, "cannot move the old checkpoint aside: " + error.message());
    }
    fs::rename(staging_, dir_, error);
    if (error)
      throw CheckpointError(dir_, "cannot move the new checkpoint into place: " + error.message());
    committed_ = true;
    detail::sync_to_disk(dir_.has_parent_path() ? dir_.parent_path() : fs::path("."), true);
    fs::remove_all(aside, error);
    if (error) throw CheckpointError(aside, "cannot remove the old checkpoint: " + error.message());
  }

 private:
  std::filesystem::path dir_, staging_;
  std::set<std::string> names_;
  std::map<std::string, std::string> values_;
  bool committed_ = false;
};

// A checkpoint folder whose manifest and every file it lists have been checked (present, the
// recorded size, the recorded hash). The files are read afterwards by their own loaders; the check
// is against interrupted and mixed saves, not against a concurrent writer.
class Checkpoint {
 public:
  // Opens `dir`, or "<dir>.previous" when `dir` is missing because a save was killed between its
  // two renames (recovered() is then true). Throws CheckpointError naming what is missing or wrong.
  static Checkpoint open(const std::filesystem::path& requested) {
    namespace fs = std::filesystem;
    const fs::path dir = detail::without_trailing_slash(requested);
    Checkpoint c;
    c.folder_ = dir;
    if (!fs::exists(dir)) {
      const fs::path aside = detail::checkpoint_aside(dir);
      if (!fs::is_directory(aside))
        throw CheckpointError(dir, "missing: no such checkpoint folder");
      c.folder_ = aside;
      c.recovered_ = true;
    }
    if (!fs::is_directory(c.folder_))
      throw CheckpointError(c.folder_, "not a checkpoint folder (not a folder)");
    c.read_manifest();
    for (const auto& [name, expected] : c.files_) {
      const fs::path path = c.folder_ / name;
      if (!fs::is_regular_file(path))
        throw CheckpointError(path, "missing from the checkpoint, whose manifest lists it (" +
                                        std::to_string(expected.size) + " bytes)");
      const detail::FileDigest got = detail::digest_file(path);
      if (got.size != expected.size)
        throw CheckpointError(
            path, "has " + std::to_string(got.size) + " bytes, the checkpoint's manifest says " +
                      std::to_string(expected.size) + " (truncated, or from another save)");
      if (got.hash != expected.hash)
        throw CheckpointError(
            path, "its contents are not those the checkpoint's manifest records (hash " +
                      detail::hex64(got.hash) + ", not " + detail::hex64(expected.hash) +
                      "): from another save, or damaged");
    }
    return c;
  }

  // The folder actually read: the one asked for, or its ".previous" when recovered().
  const std::filesystem::path& folder() const { return folder_; }
  bool recovered() const { return recovered_; }

  // The path of a verified file; CheckpointError when the manifest does not list it.
  std::filesystem::path file(const std::string& name) const {
    if (!files_.contains(name))
      throw CheckpointError(folder_ / name, "missing: the checkpoint's manifest does not list it");
    return folder_ / name;
  }
  bool has_file(const std::string& name) const { return files_.contains(name); }

  // A value the writer set; CheckpointError when there is none.
  const std::string& value(const std::string& key) const {
    const auto found = values_.find(key);
    if (found == values_.end())
      throw CheckpointError(manifest_path(), "records no value '" + key + "'");
    return found->second;
  }
  const std::map<std::string, std::string>& values() const { return values_; }

  std::filesystem::path manifest_path() const {
    return folder_ / std::string(detail::checkpoint_manifest_name);
  }

 private:
  void read_manifest() {
    const std::filesystem::path path = manifest_path();
    if (!std::filesystem::exists(path))
      throw CheckpointError(
          path,
          "missing: the checkpoint is incomplete (its save was interrupted) or was not "
          "written by tessera's checkpoint writer");
    std::ifstream in(path, std::ios::binary);
    if (!in) throw CheckpointError(path, "cannot open for reading");
    std::string line, text;
    int number = 0;
    bool ended = false;
    auto fail = [&](const std::string& problem) {
      throw CheckpointError(path, "line " + std::to_string(number) + ": " + problem);
    };
    while (std::getline(in, line)) {
      ++number;
      if (ended) fail("text after the end line");
      std::istringstream words(line);
      std::string kind;
      words >> kind;
      if (number == 1) {
        if (line != detail::checkpoint_manifest_magic)
          fail("not a checkpoint manifest (expected '" +
               std::string(detail::checkpoint_manifest_magic) + "')");
      } else if (kind == "value") {
        std::string key, value;
        words >> key;
        std::getline(words >> std::ws, value);
        if (key.empty() || value.empty()) fail("a value line needs a key and a value");
        values_[key] = value;
      } else if (kind == "file") {
        std::string name, hash;
        std::uint64_t size = 0;
        if (!(words >> name >> size >> hash) || hash.size() != 16 || !(words >> std::ws).eof() ||
            !detail::valid_checkpoint_word(name))
          fail("a file line is 'file <name> <bytes> <16 hex digits>'");
        detail::FileDigest d{size, 0};
        const auto parsed = std::from_chars(hash.data(), hash.data() + hash.size(), d.hash, 16);
        if (parsed.ec != std::errc() || parsed.ptr != hash.data() + hash.size())
          fail("bad hash '" + hash + "'");
        if (!files_.emplace(name, d).second) fail("lists " + name + " twice");
      } else if (kind == "end") {
        std::size_t count = 0;
        std::string hash;
        if (!(words >> count >> hash) || count != files_.size() ||
            hash != detail::hex64(detail::fnv1a64(text)))
          fail("the end line does not match the lines above it (the manifest is damaged)");
        ended = true;
      } else {
        fail("unknown line '" + line + "'");
      }
      text += line + "\n";
    }
    if (number == 0) throw CheckpointError(path, "empty: the checkpoint's save was interrupted");
    if (!ended)
      throw CheckpointError(path,
                            "has no end line: truncated, the checkpoint's save was interrupted");
  }

  std::filesystem::path folder_;
  bool recovered_ = false;
  std::map<std::string, detail::FileDigest> files_;
  std::map<std::string, std::string> values_;
};

}  // namespace tessera::io

#undef TESSERA_CHECKPOINT_FSYNC
