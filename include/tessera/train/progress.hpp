// Training progress for people: on a terminal, one line redrawn in place (at most ten times a
// second) with a bar, steps done of total, the rate, elapsed time and ETA, and named values such as
// the losses, like tqdm; into a file or pipe, where \r would garble the log, plain lines instead.
//   ProgressBar progress(std::cout, epochs * batches_per_epoch);
//   progress.update(i + 1, {{"loss_D", d_loss}, {"loss_G", g_loss}});
//   progress.message("epoch 3 done");   // a line above the bar
//   progress.finish();
#pragma once

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <initializer_list>
#include <iostream>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tessera/core/shape.hpp"

#if defined(_WIN32)
#include <io.h>
#else
#include <sys/ioctl.h>
#include <unistd.h>
#endif

namespace tessera {

struct ProgressOptions {
  std::string description = {};  // printed first: "epoch 3"
  // Whether the stream is a terminal; empty: asked of the OS for std::cout, std::cerr and
  // std::clog, and no for any other stream. Tests set it.
  std::optional<bool> terminal = std::nullopt;
  int columns = 0;               // terminal width; 0: asked of the terminal (80 if it will not say)
  double redraw_interval = 0.1;  // terminal: seconds between redraws, at least
  index log_every = 0;           // not a terminal: a line every this many steps; 0: by time instead
  double log_interval = 10;      // not a terminal, log_every 0: seconds between lines, at least
  index initial = 0;  // steps already done before this run (a resumed run): not in the rate
  std::function<double()> clock =
      {};  // seconds on any steady scale; empty: std::chrono::steady_clock
};

class ProgressBar {
 public:
  ProgressBar(std::ostream& out, index total, ProgressOptions options = {})
      : out_(&out), total_(total), options_(std::move(options)), done_(options_.initial) {
    if (!options_.clock) {
      options_.clock = [] {
        return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
            .count();
      };
    }
    terminal_ = options_.terminal.value_or(is_terminal(out));
    start_ = last_draw_ = last_log_ = options_.clock();
    logged_ = done_;
    if (terminal_) draw();
  }
  // On std::cerr, as tqdm.
  explicit ProgressBar(index total, ProgressOptions options = {})
      : ProgressBar(std::cerr, total, std::move(options)) {}
  ~ProgressBar() { finish(); }
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

  // `done` steps of total are complete; named values (new ones are added, known ones replaced)
  // are shown after the counts until changed.
  void update(index done, std::initializer_list<std::pair<std::string_view, double>> values = {}) {
    done_ = done;
    for (const auto& [name, value] : values) set(name, value);
    const double now = options_.clock();
    if (terminal_) {
      if (now - last_draw_ >= options_.redraw_interval || done_ == total_) draw(now);
    } else {
      const bool due = options_.log_every > 0 ? done_ % options_.log_every == 0
                                              : now - last_log_ >= options_.log_interval;
      if (due) log(now);
    }
  }
  // One more step done.
  void step(std::initializer_list<std::pair<std::string_view, double>> values = {}) {
    update(done_ + 1, values);
  }

  // Prints a line of its own, above the bar on a terminal.
  void message(std::string_view text) {
    if (finished_) {
      *out_ << text << '\n' << std::flush;
      return;
    }
    if (terminal_) {
      *out_ << '\r' << text
            << std::string(std::size_t(std::max<index>(0, drawn_length_ - index(text.size()))), ' ')
            << '\n';
      drawn_length_ = 0;
      draw();
    } else {
      *out_ << text << '\n' << std::flush;
    }
  }

  // The final state, and a newline after the bar. Called by the destructor if not before.
  void finish() {
    if (finished_) return;
    const double now = options_.clock();
    if (terminal_) {
      draw(now);
      *out_ << '\n' << std::flush;
    } else if (logged_ != done_ || done_ == options_.initial) {
      log(now);
    }
    finished_ = true;
  }

  index done() const { return done_; }
  index total() const { return total_; }
  bool terminal() const { return terminal_; }

  // "1:02:03" past an hour, else "02:03".
  static std::string format_duration(double seconds) {
    if (!std::isfinite(seconds) || seconds < 0) return "?";
    const long s = std::lround(seconds);
    char buffer[32];
    if (s >= 3600)
      std::snprintf(buffer, sizeof buffer, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
    else
      std::snprintf(buffer, sizeof buffer, "%02ld:%02ld", s / 60, s % 60);
    return buffer;
  }

 private:
  static bool is_terminal(const std::ostream& out) {
    const int fd = fd_of(out);
#if defined(_WIN32)
    return fd >= 0 && _isatty(fd);
#else
    return fd >= 0 && isatty(fd);
#endif
  }
  static int fd_of(const std::ostream& out) {
    if (&out == &std::cout) return 1;
    if (&out == &std::cerr || &out == &std::clog) return 2;
    return -1;
  }

  int columns() const {
    if (options_.columns > 0) return options_.columns;
#if !defined(_WIN32)
    winsize size{};
    if (const int fd = fd_of(*out_);
        fd >= 0 && ioctl(fd, TIOCGWINSZ, &size) == 0 && size.ws_col > 0)
      return size.ws_col;
#endif
    if (const char* env = std::getenv("COLUMNS")) {
      const int n = std::atoi(env);
      if (n > 0) return n;
    }
    return 80;
  }

  void set(std::string_view name, double value) {
    for (auto& [n, v] : values_) {
      if (n == name) {
        v = value;
        return;
      }
    }
    values_.emplace_back(std::string(name), value);
  }

  // Steps per second since the start, not counting steps done before it.
  double rate(double now) const {
    const double elapsed = now - start_;
    return elapsed > 0 ? double(done_ - options_.initial) / elapsed : 0.0;
  }

  std::string rate_text(double now) const {
    const double r = rate(now);
    char buffer[32];
    if (r <= 0)
      return "? it/s";
    else if (r < 1)
      std::snprintf(buffer, sizeof buffer, "%.2f s/it", 1 / r);
    else
      std::snprintf(buffer, sizeof buffer, "%.2f it/s", r);
    return buffer;
  }

  std::string eta_text(double now) const {
    const double r = rate(now);
    if (total_ <= 0 || r <= 0) return "?";
    return format_duration(double(std::max<index>(total_ - done_, 0)) / r);
  }

  std::string values_text(const char* separator) const {
    std::string s;
    for (const auto& [name, value] : values_) {
      char buffer[32];
      std::snprintf(buffer, sizeof buffer, "%.4g", value);
      s += separator + name + "=" + buffer;
    }
    return s;
  }

  int percent() const {
    if (total_ <= 0) return 0;
    return int(std::clamp<index>(done_ * 100 / total_, 0, 100));
  }

  // "epoch 3:  45%|#####     | 421/937 [00:12<00:15, 34.21 it/s, loss_D=0.512, loss_G=1.93]"
  std::string bar_line(double now, int bar_width) const {
    std::string line = options_.description.empty() ? "" : options_.description + ": ";
    const std::string counts = total_ > 0 ? std::to_string(done_) + "/" + std::to_string(total_)
                                          : std::to_string(done_) + " it";
    if (total_ > 0) {
      char pct[8];
      std::snprintf(pct, sizeof pct, "%3d%%", percent());
      line += pct;
      if (bar_width > 0) {
        const int filled = int(std::clamp<index>(done_ * bar_width / total_, 0, bar_width));
        line += "|" + std::string(std::size_t(filled), '#') +
                std::string(std::size_t(bar_width - filled), ' ') + "|";
      }
      line += " ";
    }
    line += counts + " [" + format_duration(now - start_) +
            (total_ > 0 ? "<" + eta_text(now) : "") + ", " + rate_text(now) + values_text(", ") +
            "]";
    return line;
  }

  void draw() {
    draw(options_.clock());
  }
  void draw(double now) {
    // The bar takes what the terminal width leaves, 10 characters at least; a line longer than the
    // terminal is cut rather than let wrap, since \r only returns to the start of the last row.
    const int width = columns() - 1;
    const int rest = int(bar_line(now, 0).size()) + 2;
    std::string line = bar_line(now, std::clamp(width - rest, 10, 40));
    if (int(line.size()) > width) line.resize(std::size_t(std::max(width, 0)));
    const index length = index(line.size());
    *out_ << '\r' << line;
    if (length < drawn_length_) *out_ << std::string(std::size_t(drawn_length_ - length), ' ');
    *out_ << std::flush;
    drawn_length_ = length;
    last_draw_ = now;
  }

  // "epoch 3: 421/937 (45%), 34.21 it/s, elapsed 00:12, eta 00:15, loss_D=0.512 loss_G=1.93"
  void log(double now) {
    std::string line = options_.description.empty() ? "" : options_.description + ": ";
    if (total_ > 0)
      line += std::to_string(done_) + "/" + std::to_string(total_) + " (" +
              std::to_string(percent()) + "%)";
    else
      line += std::to_string(done_) + " it";
    line += ", " + rate_text(now) + ", elapsed " + format_duration(now - start_);
    if (total_ > 0) line += ", eta " + eta_text(now);
    if (!values_.empty()) line += "," + values_text(" ");
    *out_ << line << '\n' << std::flush;
    last_log_ = now;
    logged_ = done_;
  }

  std::ostream* out_;
  index total_;
  ProgressOptions options_;
  index done_;
  bool terminal_ = false;
  bool finished_ = false;
  double start_ = 0, last_draw_ = 0, last_log_ = 0;
  index drawn_length_ = 0;
  index logged_ = 0;
  std::vector<std::pair<std::string, double>> values_;
};

}  // namespace tessera
