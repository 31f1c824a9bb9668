// The examples' command lines: `--name value` flags bound to variables that hold their defaults,
// and a --help generated from them. Not part of the library: examples only.
//   Flags flags("mlp_gan", "Trains the seed-004 MLP GAN on Fashion-MNIST.");
//   int epochs = 20;
//   flags.add("epochs", epochs, "passes over the 60,000 training images");
//   flags.parse(argc, argv);   // exits 0 after --help, 2 after a bad flag
#pragma once

#include <cstdint>
#include <cstdlib>
#include <exception>
#include <functional>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

namespace examples {

class Flags {
 public:
  Flags(std::string program, std::string about) : program_(std::move(program)), about_(std::move(about)) {}

  template <class V>
  void add(std::string name, V& variable, std::string help) {
    std::ostringstream current;
    current << variable;
    flags_.push_back({std::move(name), std::move(help), current.str(), [&variable](const std::string& text) {
                        std::istringstream in(text);
                        V parsed{};
                        if constexpr (std::is_same_v<V, std::string>)
                          parsed = text;
                        else if (!(in >> parsed) || !in.eof())
                          return false;
                        variable = parsed;
                        return true;
                      }});
  }

  void parse(int argc, char** argv) const {
    for (int i = 1; i < argc; ++i) {
      const std::string arg = argv[i];
      if (arg == "--help" || arg == "-h") {
        std::cout << usage();
        std::exit(0);
      }
      const Flag* flag = find(arg);
      if (!flag) fail("unknown argument '" + arg + "'");
      if (i + 1 >= argc) fail(arg + " needs a value");
      if (!flag->set(argv[++i])) fail("bad value '" + std::string(argv[i]) + "' for " + arg);
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
    std::function<bool(const std::string&)> set;
  };
  const Flag* find(const std::string& arg) const {
    for (const auto& f : flags_)
      if (arg == "--" + f.name) return &f;
    return nullptr;
  }
  [[noreturn]] void fail(const std::string& why) const {
    std::cerr << program_ << ": " << why << "\n\n" << usage();
    std::exit(2);
  }

  std::string program_, about_;
  std::vector<Flag> flags_;
};

// Runs an example's body, turning an exception (a missing dataset file, a checkpoint of another
// model) into one line on stderr and exit status 1.
template <class Body>
int guarded_main(const char* program, Body body) {
  try {
    body();
    return 0;
  } catch (const std::exception& e) {
    std::cerr << program << ": error: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace examples
