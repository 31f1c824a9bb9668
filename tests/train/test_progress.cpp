// Tests for tessera/train/progress.hpp with a fake clock and a string stream: the plain log lines
// written when the output is not a terminal, and on a terminal the bar redrawn in place with \r,
// its ETA, throttling, width limit and messages.
#include <algorithm>
#include <catch2/catch.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "tessera/train/progress.hpp"

namespace ts = tessera;
using Catch::Matchers::Contains;
using Catch::Matchers::EndsWith;
using Catch::Matchers::StartsWith;

namespace {

// A clock the test moves by hand.
struct FakeClock {
  double now = 100;
  std::function<double()> function() {
    return [this] { return now; };
  }
};

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// What a terminal would show last: the text after the last \r of the last line.
std::string last_frame(const std::string& text) {
  std::string line = text.substr(0, text.find_last_not_of('\n') + 1);
  line = line.substr(line.find_last_of('\n') + 1);
  return line.substr(line.find_last_of('\r') + 1);
}

}  // namespace

TEST_CASE("ProgressBar, not a terminal: a plain line every log_every steps and at the end",
          "[progress]") {
  std::ostringstream out;
  FakeClock clock;
  {
    ts::ProgressBar bar(
        out, 5,
        {.description = "train", .terminal = false, .log_every = 2, .clock = clock.function()});
    CHECK_FALSE(bar.terminal());
    for (int i = 1; i <= 5; ++i) {
      clock.now += 0.5;
      bar.update(i, {{"loss_D", 0.5}, {"loss_G", 1.0 + i}});
    }
    bar.finish();
  }  // the destructor must not print the last line twice
  const auto lines = lines_of(out.str());
  REQUIRE(lines.size() == 3);
  CHECK(lines[0] == "train: 2/5 (40%), 2.00 it/s, elapsed 00:01, eta 00:02, loss_D=0.5 loss_G=3");
  CHECK(lines[1] == "train: 4/5 (80%), 2.00 it/s, elapsed 00:02, eta 00:01, loss_D=0.5 loss_G=5");
  CHECK(lines[2] == "train: 5/5 (100%), 2.00 it/s, elapsed 00:03, eta 00:00, loss_D=0.5 loss_G=6");
  CHECK(out.str().find('\r') == std::string::npos);
}

TEST_CASE("ProgressBar, not a terminal: by time when log_every is 0", "[progress]") {
  std::ostringstream out;
  FakeClock clock;
  ts::ProgressBar bar(out, 100, {.terminal = false, .log_interval = 10, .clock = clock.function()});
  for (int i = 1; i <= 9; ++i) {
    clock.now += 3;
    bar.step({{"loss", 0.25}});
  }
  // Lines at 12 s (step 4) and 24 s (step 8), none between.
  const auto lines = lines_of(out.str());
  REQUIRE(lines.size() == 2);
  CHECK_THAT(lines[0], StartsWith("4/100 (4%), 0.33 it/s") || StartsWith("4/100 (4%), 3.00 s/it"));
  CHECK_THAT(lines[1], StartsWith("8/100 (8%)"));
  CHECK_THAT(lines[1], Contains("eta 04:36"));  // 92 steps at 3 s
  bar.message("epoch 1 done");
  CHECK(lines_of(out.str()).back() == "epoch 1 done");
}

TEST_CASE("ProgressBar, terminal: one line redrawn with \\r, with the ETA", "[progress]") {
  std::ostringstream out;
  FakeClock clock;
  ts::ProgressBar bar(
      out, 200,
      {.description = "epoch 1", .terminal = true, .columns = 100, .clock = clock.function()});
  CHECK(bar.terminal());
  for (int i = 1; i <= 50; ++i) {
    clock.now +=
        0.0625;  // exact in binary, so that every second step is 0.125 s after the last draw
    bar.update(i, {{"loss_D", 0.6931}});
  }
  const std::string text = out.str();
  CHECK(text.find('\n') == std::string::npos);  // still the one line
  // 50 steps in 3.125 s: 16 it/s, 150 to go: 9.4 s.
  const std::string frame = last_frame(text);
  CHECK_THAT(frame, StartsWith("epoch 1:  25%|#"));
  CHECK_THAT(frame, EndsWith("| 50/200 [00:03<00:09, 16.00 it/s, loss_D=0.6931]"));
  CHECK(frame.size() <= 99);
  const auto bar_width = frame.find("| 50/200") - frame.find('|') - 1;
  CHECK(std::size_t(std::count(frame.begin(), frame.end(), '#')) == bar_width / 4);

  // Redrawn every 0.125 s here (the limit is 0.1 s), not on every step: 25 frames and the first.
  CHECK(std::count(text.begin(), text.end(), '\r') == 26);

  bar.message("saved samples");
  clock.now += 1;
  bar.update(200);
  bar.finish();
  const std::string all = out.str();
  CHECK_THAT(all, Contains("\rsaved samples"));
  CHECK_THAT(all, EndsWith("\n"));
  const std::string done = last_frame(all);
  CHECK_THAT(done, StartsWith("epoch 1: 100%|#"));
  CHECK_THAT(done, Contains("#| 200/200 [00:04<00:00, "));
  CHECK(done.substr(0, done.find("| 200")).find(' ', 9) == std::string::npos);  // a full bar
}

TEST_CASE("ProgressBar, terminal: a narrow terminal shortens the bar, then cuts the line",
          "[progress]") {
  std::ostringstream out;
  FakeClock clock;
  ts::ProgressBar bar(out, 1000, {.terminal = true, .columns = 40, .clock = clock.function()});
  clock.now += 1;
  bar.update(10, {{"loss_D", 0.5}, {"loss_G", 2.5}});
  std::string text = out.str();
  std::size_t start = 0;
  while ((start = text.find('\r', start)) != std::string::npos) {
    const std::size_t end = text.find('\r', start + 1);
    std::string frame =
        text.substr(start + 1, end == std::string::npos ? std::string::npos : end - start - 1);
    frame.erase(frame.find_last_not_of(' ') + 1);
    CHECK(frame.size() <= 39);
    start += 1;
  }
  CHECK_THAT(last_frame(text), StartsWith("  1%|"));
}

TEST_CASE("ProgressBar: slow steps in s/it, unknown totals, resumed runs", "[progress]") {
  std::ostringstream out;
  FakeClock clock;
  {
    ts::ProgressBar slow(out, 10, {.terminal = false, .log_every = 1, .clock = clock.function()});
    clock.now += 4;
    slow.update(1);
  }
  CHECK(lines_of(out.str()).front() == "1/10 (10%), 4.00 s/it, elapsed 00:04, eta 00:36");

  out.str("");
  {
    ts::ProgressBar open(out, 0, {.terminal = false, .log_every = 5, .clock = clock.function()});
    clock.now += 1;
    open.update(5);
  }
  CHECK(lines_of(out.str()).front() == "5 it, 5.00 it/s, elapsed 00:01");

  out.str("");
  {
    // 900 steps were done before: the rate counts only this run's 10.
    ts::ProgressBar resumed(
        out, 1000, {.terminal = false, .log_every = 10, .initial = 900, .clock = clock.function()});
    clock.now += 2;
    resumed.update(910);
  }
  CHECK(lines_of(out.str()).front() == "910/1000 (91%), 5.00 it/s, elapsed 00:02, eta 00:18");
}

TEST_CASE("ProgressBar::format_duration", "[progress]") {
  CHECK(ts::ProgressBar::format_duration(0) == "00:00");
  CHECK(ts::ProgressBar::format_duration(65.4) == "01:05");
  CHECK(ts::ProgressBar::format_duration(3725) == "1:02:05");
  CHECK(ts::ProgressBar::format_duration(-1) == "?");
}

TEST_CASE("ProgressBar: a string stream is not a terminal unless told", "[progress]") {
  std::ostringstream out;
  ts::ProgressBar bar(out, 3);
  CHECK_FALSE(bar.terminal());
}
