// The examples' command lines: `--name value` (or `--name=value`) flags bound to variables that
// hold their defaults, each with the values it accepts, and a --help generated from them. Not part
// of the library: examples only.
//   Flags flags("mlp_gan", "Trains the seed-004 MLP GAN on Fashion-MNIST.");
//   int epochs = 20;
//   flags.add("epochs", epochs, "passes over the training images", examples::between(1, 10000));
//   flags.parse(argc, argv);   // exits 0 after --help, 2 after a bad flag
// A bad flag is one line on stderr naming the flag and what it accepts:
//   mlp_gan: --epochs: '3x' is not an integer from 1 to 10000
#pragma once

#include <algorithm>
#include <charconv>
#include <cmath>
#include <concepts>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <functional>
#include <iostream>
#include <limits>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <system_error>
#include <type_traits>
#include <vector>

namespace examples {

// A command line (or flags against a data set or checkpoint) that makes no sense; guarded_main and
// Flags::parse print what() after the program's name and exit with status 2.
class UsageError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

// The numbers a flag accepts: from `min` to `max`, `min` itself left out when `above_min` (a
// learning rate is above 0, not 0) and `max` when `below_max`.
template <class V>
struct Accepts {
  V min, max;
  bool above_min = false, below_max = false;
};
template <class V>
Accepts<V> between(V min, V max) {
  return {min, max, false, false};
}
template <class V>
Accepts<V> above(V min, V max) {
  return {min, max, true, false};
}
template <class V>
Accepts<V> strictly_between(V min, V max) {
  return {min, max, true, true};
}
// Every value of an integer type (a seed).
template <class V>
Accepts<V> any_integer() {
  return {std::numeric_limits<V>::min(), std::numeric_limits<V>::max(), false, false};
}

// The most epochs any example trains (a bound on --epochs and on a checkpoint's epoch count).
inline constexpr int max_epochs = 10000;

// `batch` when a data set of `images` has room for one batch of it, else a UsageError naming
// --batch (a batch larger than the data set would train zero steps an epoch and report NaN means).
inline std::int64_t batch_within(std::int64_t batch, std::int64_t images, const std::string& data) {
  if (batch < 1 || batch > images)
    throw UsageError("--batch: " + std::to_string(batch) + " is not an integer from 1 to " +
                     std::to_string(images) + ", the number of training images in " + data);
  return batch;
}

namespace detail {
template <class V>
std::string number_text(V v) {
  std::ostringstream out;
  out << v;
  return out.str();
}

template <class V>
std::string describe(const Accepts<V>& a) {
  const std::string kind = std::is_integral_v<V> ? "an integer" : "a number";
  if (!a.above_min && !a.below_max)
    return kind + " from " + number_text(a.min) + " to " + number_text(a.max);
  return kind + (a.above_min ? " above " : " from ") + number_text(a.min) +
         (a.below_max ? " and below " : " and at most ") + number_text(a.max);
}

// Parses the whole of `text` as a V (no sign on an unsigned, no trailing junk, finite), or nothing.
template <class V>
std::optional<V> parse_number(const std::string& text) {
  V value{};
  const char* begin = text.data();
  const char* end = text.data() + text.size();
  if constexpr (std::is_floating_point_v<V>) {
    if (begin != end && *begin == '+') ++begin;
  }
  const auto [ptr, ec] = std::from_chars(begin, end, value);
  if (ec != std::errc() || ptr != end || begin == end) return std::nullopt;
  if constexpr (std::is_floating_point_v<V>) {
    if (!std::isfinite(value)) return std::nullopt;
  }
  return value;
}
}  // namespace detail

class Flags {
 public:
  Flags(std::string program, std::string about)
      : program_(std::move(program)), about_(std::move(about)) {}

  // A number flag: every value from `accepts`, nothing else.
  template <class V>
  requires std::is_arithmetic_v<V>
  void add(std::string name, V& variable, std::string help, Accepts<V> accepts) {
    const std::string range = detail::describe(accepts);
    add_flag(std::move(name), std::move(help) + " (" + range + ")", detail::number_text(variable),
             [&variable, accepts, range](const std::string& text) -> std::string {
               const std::optional<V> parsed = detail::parse_number<V>(text);
               const bool in_range =
                   parsed && (accepts.above_min ? *parsed > accepts.min : *parsed >= accepts.min) &&
                   (accepts.below_max ? *parsed < accepts.max : *parsed <= accepts.max);
               if (!in_range) return "'" + text + "' is not " + range;
               variable = *parsed;
               return {};
             });
  }

  // A word flag that is one of `choices`.
  void add(std::string name, std::string& variable, std::string help,
           std::vector<std::string> choices) {
    std::string list;
    for (std::size_t i = 0; i < choices.size(); ++i)
      list += (i == 0 ? "" : i + 1 == choices.size() ? " or " : ", ") + choices[i];
    add_flag(std::move(name), std::move(help), variable,
             [&variable, choices, list](const std::string& text) -> std::string {
               if (std::find(choices.begin(), choices.end(), text) == choices.end())
                 return "'" + text + "' is not one of " + list;
               variable = text;
               return {};
             });
  }

  // A free-text flag (a path); only the empty string is refused.
  void add(std::string name, std::string& variable, std::string help) {
    add_flag(std::move(name), std::move(help), variable,
             [&variable](const std::string& text) -> std::string {
               if (text.empty()) return "needs a non-empty value";
               variable = text;
               return {};
             });
  }

  // Sets the flags from argv. Returns false after --help (the usage written to `help`); throws
  // UsageError, naming the flag and what it accepts, for an unknown flag, a missing value or a
  // value it does not accept.
  bool parse_or_throw(int argc, const char* const* argv, std::ostream& help = std::cout) const {
    for (int i = 1; i < argc; ++i) {
      const std::string arg = argv[i];
      if (arg == "--help" || arg == "-h") {
        help << usage();
        return false;
      }
      const auto equals = arg.find('=');
      const std::string name = arg.substr(0, equals);
      const Flag* flag = find(name);
      if (!flag) throw UsageError("unknown argument '" + arg + "' (--help lists the flags)");
      std::string value;
      if (equals != std::string::npos) {
        value = arg.substr(equals + 1);
      } else {
        if (i + 1 >= argc) throw UsageError(name + " needs a value");
        value = argv[++i];
      }
      if (const std::string problem = flag->set(value); !problem.empty())
        throw UsageError(name + ": " + problem);
    }
    return true;
  }

  // parse_or_throw for main(): exits 0 after --help, and 2 after a bad flag with one line on
  // stderr.
  void parse(int argc, char** argv) const {
    try {
      if (!parse_or_throw(argc, argv)) std::exit(0);
    } catch (const UsageError& e) {
      std::cerr << program_ << ": " << e.what() << "\n";
      std::exit(2);
    }
  }

  std::string usage() const {
    std::ostringstream out;
    out << "usage: " << program_ << " [flags]\n" << about_ << "\n\nflags:\n";
    for (const auto& f : flags_) {
      std::string left = "  --" + f.name + " " + f.default_text;
      left.resize(std::max<std::size_t>(left.size() + 2, 30), ' ');
      out << left << f.help << "\n";
    }
    return out.str();
  }

 private:
  struct Flag {
    std::string name, help, default_text;
    // Sets the variable from the text, or returns why not (leaving it as it was).
    std::function<std::string(const std::string&)> set;
  };
  void add_flag(std::string name, std::string help, std::string default_text,
                std::function<std::string(const std::string&)> set) {
    flags_.push_back({std::move(name), std::move(help), std::move(default_text), std::move(set)});
  }
  const Flag* find(const std::string& arg) const {
    for (const auto& f : flags_)
      if (arg == "--" + f.name) return &f;
    return nullptr;
  }

  std::string program_, about_;
  std::vector<Flag> flags_;
};

// Runs an example's body, turning an exception into one line on stderr: a UsageError (flags that
// do not fit the data or the checkpoint) exits with status 2, anything else (a missing dataset
// file, a damaged checkpoint) with status 1.
template <class Body>
int guarded_main(const char* program, Body body) {
  try {
    body();
    return 0;
  } catch (const UsageError& e) {
    std::cerr << program << ": " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << program << ": error: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace examples
