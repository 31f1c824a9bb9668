// The examples' checkpoints (tessera/io/checkpoint.hpp, as examples/common/gan_run.hpp writes them)
// and command lines (examples/common/flags.hpp): a checkpoint damaged in each way a kill or a full
// disk can leave it is refused with an error naming the folder or the file, and each nonsense flag
// value is refused with a message naming the flag.
#include <catch2/catch.hpp>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "../../examples/common/flags.hpp"
#include "tessera/io/checkpoint.hpp"

namespace fs = std::filesystem;
namespace io = tessera::io;

namespace {

// A fresh folder under the system's temporary folder, removed at the end of the test.
struct TempFolder {
  fs::path path;
  explicit TempFolder(const std::string& name)
      : path(fs::temp_directory_path() / ("tessera_test_" + name)) {
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempFolder() {
    std::error_code ignored;
    fs::remove_all(path, ignored);
  }
};

void write_file(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  REQUIRE(out.good());
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// A checkpoint of "epoch" `epoch`: two files whose contents depend on the epoch, as a model's and
// an optimizer's would.
void save_epoch(const fs::path& dir, int epoch) {
  io::CheckpointWriter save(dir);
  write_file(save.file("g.safetensors"), "generator weights of epoch " + std::to_string(epoch) +
                                             std::string(std::size_t(100 + epoch), 'g'));
  save.write_text("progress.txt", "epochs " + std::to_string(epoch) + "\n");
  save.set("epochs", std::to_string(epoch));
  save.commit();
}

// The message of the CheckpointError that opening `dir` throws; fails the test if none is thrown.
std::string open_error(const fs::path& dir) {
  try {
    io::Checkpoint::open(dir);
  } catch (const io::CheckpointError& e) {
    return e.what();
  }
  FAIL("Checkpoint::open(" << dir << ") accepted the damaged checkpoint");
  return {};
}

}  // namespace

TEST_CASE("checkpoint: a save is read back whole, and a second save replaces it whole") {
  TempFolder temp("checkpoint_roundtrip");
  const fs::path dir = temp.path / "checkpoint";
  save_epoch(dir, 1);
  save_epoch(dir, 2);
  const io::Checkpoint saved = io::Checkpoint::open(dir);
  CHECK_FALSE(saved.recovered());
  CHECK(saved.value("epochs") == "2");
  CHECK(read_file(saved.file("progress.txt")) == "epochs 2\n");
  CHECK(read_file(saved.file("g.safetensors")).starts_with("generator weights of epoch 2"));
  // Nothing is left beside it: no staging folder, no aside folder.
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(temp.path))
    names.push_back(entry.path().filename().string());
  CHECK(names == std::vector<std::string>{"checkpoint"});
}

TEST_CASE("checkpoint: each kind of damage is refused, naming the folder and the file") {
  TempFolder temp("checkpoint_damage");
  const fs::path dir = temp.path / "checkpoint";
  save_epoch(dir, 2);

  SECTION("a missing file") {
    fs::remove(dir / "g.safetensors");
    const std::string error = open_error(dir);
    CHECK_THAT(error,
               Catch::Contains((dir / "g.safetensors").string()) && Catch::Contains("missing"));
  }
  SECTION("a truncated file") {
    fs::resize_file(dir / "g.safetensors", 10);
    const std::string error = open_error(dir);
    CHECK_THAT(error, Catch::Contains((dir / "g.safetensors").string()) &&
                          Catch::Contains("has 10 bytes"));
  }
  SECTION("a file of the same size from another save") {
    // Epoch 1's generator with epoch 2's length: only the hash tells them apart.
    TempFolder other("checkpoint_other");
    save_epoch(other.path / "checkpoint", 1);
    std::string g1 = read_file(other.path / "checkpoint" / "g.safetensors");
    g1.resize(fs::file_size(dir / "g.safetensors"), 'g');
    write_file(dir / "g.safetensors", g1);
    const std::string error = open_error(dir);
    CHECK_THAT(error, Catch::Contains((dir / "g.safetensors").string()) &&
                          Catch::Contains("another save"));
  }
  SECTION("a file swapped in from another epoch") {
    TempFolder other("checkpoint_other");
    save_epoch(other.path / "checkpoint", 1);
    fs::copy_file(other.path / "checkpoint" / "g.safetensors", dir / "g.safetensors",
                  fs::copy_options::overwrite_existing);
    const std::string error = open_error(dir);
    CHECK_THAT(error, Catch::Contains((dir / "g.safetensors").string()));
  }
  SECTION(
      "a missing manifest (the old, file-by-file checkpoint, or a save killed before its end)") {
    fs::remove(dir / "manifest.txt");
    const std::string error = open_error(dir);
    CHECK_THAT(error,
               Catch::Contains((dir / "manifest.txt").string()) && Catch::Contains("missing"));
  }
  SECTION("a truncated manifest") {
    const std::string manifest = read_file(dir / "manifest.txt");
    write_file(dir / "manifest.txt", manifest.substr(0, manifest.size() - 20));
    const std::string error = open_error(dir);
    CHECK_THAT(error, Catch::Contains((dir / "manifest.txt").string()));
  }
  SECTION("an edited manifest") {
    std::string manifest = read_file(dir / "manifest.txt");
    manifest.replace(manifest.find("value epochs 2"), 14, "value epochs 9");
    write_file(dir / "manifest.txt", manifest);
    const std::string error = open_error(dir);
    CHECK_THAT(error,
               Catch::Contains((dir / "manifest.txt").string()) && Catch::Contains("damaged"));
  }
  SECTION("no checkpoint folder at all") {
    fs::remove_all(dir);
    const std::string error = open_error(dir);
    CHECK_THAT(error, Catch::Contains(dir.string()) && Catch::Contains("missing"));
  }
  SECTION("a file the manifest does not list") {
    CHECK_THROWS_AS(io::Checkpoint::open(dir).file("d.safetensors"), io::CheckpointError);
  }
}

TEST_CASE(
    "checkpoint: a save killed between its two renames leaves the previous one, which is used") {
  TempFolder temp("checkpoint_aside");
  const fs::path dir = temp.path / "checkpoint";
  save_epoch(dir, 1);
  // The state after the first rename of a second save: the old folder set aside, the new one still
  // under its staging name.
  fs::rename(dir, temp.path / "checkpoint.previous");
  fs::create_directories(temp.path / "checkpoint.tmp-12345678");
  write_file(temp.path / "checkpoint.tmp-12345678" / "g.safetensors", "half of epoch 2");

  const io::Checkpoint saved = io::Checkpoint::open(dir);
  CHECK(saved.recovered());
  CHECK(saved.folder() == temp.path / "checkpoint.previous");
  CHECK(saved.value("epochs") == "1");

  SECTION("and checked like any other") {
    fs::resize_file(temp.path / "checkpoint.previous" / "g.safetensors", 3);
    const std::string error = open_error(dir);
    CHECK_THAT(error,
               Catch::Contains((temp.path / "checkpoint.previous" / "g.safetensors").string()));
  }
  SECTION("until the next save replaces it and cleans up") {
    save_epoch(dir, 2);
    CHECK(io::Checkpoint::open(dir).value("epochs") == "2");
    CHECK_FALSE(fs::exists(temp.path / "checkpoint.previous"));
  }
}

TEST_CASE("checkpoint: a writer that never commits leaves the last checkpoint untouched") {
  TempFolder temp("checkpoint_abandon");
  const fs::path dir = temp.path / "checkpoint";
  save_epoch(dir, 1);
  {
    io::CheckpointWriter save(dir);
    write_file(save.file("g.safetensors"), "half-written");
    // no commit: as if the save threw (a full disk) before its end
  }
  CHECK(io::Checkpoint::open(dir).value("epochs") == "1");
  CHECK_FALSE(fs::exists(temp.path / "checkpoint.previous"));
  std::size_t entries = 0;
  for ([[maybe_unused]] const auto& entry : fs::directory_iterator(temp.path)) ++entries;
  CHECK(entries == 1);
}

TEST_CASE("checkpoint: a failed write is an error naming the file, not a short file") {
  TempFolder temp("checkpoint_write_error");
  io::CheckpointWriter save(temp.path / "checkpoint");
  // A folder where the file should go: the open fails, as a full disk or a read-only folder would.
  fs::create_directories(save.staging_folder() / "progress.txt");
  try {
    save.write_text("progress.txt", "epochs 1\n");
    FAIL("write_text did not report the failed write");
  } catch (const io::CheckpointError& e) {
    CHECK_THAT(std::string(e.what()),
               Catch::Contains("progress.txt") && Catch::Contains("cannot write"));
  }
  if (fs::exists("/dev/full")) {
    // The writer checks the stream after close, which is where a full disk shows.
    std::ofstream full("/dev/full");
    full << std::string(1 << 16, 'x');
    full.close();
    CHECK_FALSE(full.good());
  }
}

namespace {

struct Settings {
  int epochs = 30;
  std::int64_t batch = 100;
  double lr = 2e-4;
  std::uint64_t seed = 1;
  std::string form = "004", out = "out";
};

examples::Flags example_flags(Settings& s) {
  examples::Flags flags("example", "A test's flags.");
  flags.add("epochs", s.epochs, "passes", examples::between(1, examples::max_epochs));
  flags.add("batch", s.batch, "images per batch", examples::between<std::int64_t>(1, 60000));
  flags.add("lr", s.lr, "learning rate", examples::above(0.0, 1.0));
  flags.add("seed", s.seed, "seed", examples::any_integer<std::uint64_t>());
  flags.add("form", s.form, "form", {"004", "003"});
  flags.add("out", s.out, "output folder");
  return flags;
}

// The UsageError message for this command line, or "" when it is accepted.
std::string usage_error(std::vector<const char*> args) {
  Settings s;
  const examples::Flags flags = example_flags(s);
  args.insert(args.begin(), "example");
  try {
    flags.parse_or_throw(int(args.size()), args.data());
  } catch (const examples::UsageError& e) {
    return e.what();
  }
  return {};
}

}  // namespace

TEST_CASE("flags: nonsense values are refused with the flag and what it accepts") {
  using Catch::Contains;
  CHECK_THAT(usage_error({"--epochs", "-1"}), Contains("--epochs") && Contains("from 1 to 10000"));
  CHECK_THAT(usage_error({"--epochs", "0"}), Contains("--epochs"));
  CHECK_THAT(usage_error({"--epochs", "3x"}), Contains("--epochs") && Contains("'3x'"));
  CHECK_THAT(usage_error({"--epochs", "2.5"}), Contains("--epochs"));
  CHECK_THAT(usage_error({"--epochs", " 3"}), Contains("--epochs"));
  CHECK_THAT(usage_error({"--epochs", "99999999999"}), Contains("--epochs"));
  CHECK_THAT(usage_error({"--batch", "100000"}),
             Contains("--batch") && Contains("from 1 to 60000"));
  CHECK_THAT(usage_error({"--batch", "0"}), Contains("--batch"));
  CHECK_THAT(usage_error({"--lr", "0"}), Contains("--lr") && Contains("above 0"));
  CHECK_THAT(usage_error({"--lr", "-1e-3"}), Contains("--lr"));
  CHECK_THAT(usage_error({"--lr", "nan"}), Contains("--lr"));
  CHECK_THAT(usage_error({"--lr", "inf"}), Contains("--lr"));
  CHECK_THAT(usage_error({"--lr", "1e999"}), Contains("--lr"));
  CHECK_THAT(usage_error({"--seed", "-1"}), Contains("--seed"));
  CHECK_THAT(usage_error({"--seed", "18446744073709551616"}), Contains("--seed"));
  CHECK_THAT(usage_error({"--form", "005"}), Contains("--form") && Contains("004 or 003"));
  CHECK_THAT(usage_error({"--out", ""}), Contains("--out"));
  CHECK_THAT(usage_error({"--epochs"}), Contains("--epochs") && Contains("needs a value"));
  CHECK_THAT(usage_error({"--bogus", "1"}), Contains("unknown argument '--bogus'"));
  CHECK_THAT(usage_error({"stray"}), Contains("unknown argument 'stray'"));
}

TEST_CASE("flags: good values are taken, in both spellings") {
  Settings s;
  const examples::Flags flags = example_flags(s);
  const char* args[] = {"example", "--epochs", "3",      "--batch=64",
                        "--lr",    "1e-3",     "--seed", "18446744073709551615",
                        "--form",  "003",      "--out",  "runs/x"};
  REQUIRE(flags.parse_or_throw(int(std::size(args)), args));
  CHECK(s.epochs == 3);
  CHECK(s.batch == 64);
  CHECK(s.lr == 1e-3);
  CHECK(s.seed == 18446744073709551615ull);
  CHECK(s.form == "003");
  CHECK(s.out == "runs/x");
}

TEST_CASE("flags: a batch larger than the data set is a usage error naming --batch") {
  CHECK_THROWS_WITH(examples::batch_within(100000, 60000, "/data"),
                    Catch::Contains("--batch") && Catch::Contains("from 1 to 60000"));
  CHECK(examples::batch_within(60000, 60000, "/data") == 60000);
}
