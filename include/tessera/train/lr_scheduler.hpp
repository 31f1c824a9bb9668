// Learning-rate schedulers with torch.optim.lr_scheduler's semantics: StepLR, LinearLR, ConstantLR
// and LambdaLR. A scheduler is constructed after its optimizer, records the optimizer's lr as the
// base lr (PyTorch's initial_lr) and sets the epoch-0 lr at once, as PyTorch's constructor does;
// step() advances one epoch and sets that epoch's lr:
//   ts::Adam<float> adam(g.parameters(), {.lr = 0.1});
//   ts::StepLR schedule(adam, 30, 0.1);      // 0.1 for epochs 0-29, 0.01 for 30-59, ...
//   for (int epoch = 0; epoch < epochs; ++epoch) { /* train */ schedule.step(); }
//
// CycleGAN's rule, the lr constant for n_epochs then falling linearly towards 0 over n_decay
// more (its "linear" lr_policy, epoch_count 1), is a LambdaLR:
//   ts::LambdaLR schedule(adam, [=](int epoch) {
//     return 1.0 - std::max(0, epoch + 1 - n_epochs) / double(n_decay + 1);
//   });
// (or a LinearLR(adam, 1, 0, n_decay + 1) constructed once n_epochs - 1 epochs have passed).
// LambdaLR is a template on the rule's type, deduced as above; name it where it must be spelled
// out: `std::make_unique<ts::LambdaLR<std::function<double(int)>>>(adam, rule)`. The header does
// not include <functional> itself, which would cost every program that includes tessera.hpp.
//
// Each epoch's lr is the closed form PyTorch documents, base_lr * factor(epoch), not PyTorch's
// recurrence (each lr from the previous one): the two agree to 1e-15 relative or better
// (tests/train/test_lr_scheduler.cpp checks against PyTorch's recurrence at 1e-12), and only the
// closed form can jump to any epoch, which resuming needs: after loading a checkpoint, construct
// the optimizer and scheduler as before and call set_last_epoch with the saved last_epoch().
//
// A scheduler drives its optimizer through set_lr (LrControl, which every Optimizer<T, Dev> is)
// and keeps a pointer to it, so the optimizer must outlive it and stay where it is (not moved). One scheduler per optimizer: a second
// would overwrite the first's lr rather than compose with it (PyTorch's chaining is not offered).
#pragma once

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>

#include "tessera/train/optimizer.hpp"

namespace tessera {

// What every scheduler shares: the base lr, the epoch, and setting the optimizer's lr. Not
// templated on the optimizer's element type and device (it reaches the optimizer as LrControl), so
// code can pick a scheduler at run time (std::unique_ptr<LrScheduler>) whatever it trains.
class LrScheduler {
 public:
  virtual ~LrScheduler() = default;
  LrScheduler(const LrScheduler&) = delete;
  LrScheduler& operator=(const LrScheduler&) = delete;

  // Advances one epoch and sets the optimizer's lr to that epoch's. Call it once per epoch,
  // after that epoch's optimizer steps, as in PyTorch.
  void step() { set_last_epoch(last_epoch_ + 1); }

  // Moves to `epoch` (>= 0) and sets the optimizer's lr to that epoch's: how a resumed run
  // continues where it stopped, given the last_epoch() it saved.
  void set_last_epoch(int epoch) {
    if (epoch < 0)
      throw std::invalid_argument("tessera::" + std::string(name_) + ": last_epoch " +
                                  std::to_string(epoch) + " is negative");
    last_epoch_ = epoch;
    last_lr_ = base_lr_ * factor(epoch);
    optimizer_->set_lr(last_lr_);
  }

  // The epoch the optimizer's lr is for: 0 after construction, +1 per step().
  int last_epoch() const { return last_epoch_; }
  // The lr this scheduler last set (PyTorch's get_last_lr()[0]).
  double get_last_lr() const { return last_lr_; }
  // The optimizer's lr when the scheduler was constructed (PyTorch's initial_lr).
  double base_lr() const { return base_lr_; }

 protected:
  LrScheduler(const char* name, LrControl& optimizer)
      : name_(name), optimizer_(&optimizer), base_lr_(optimizer.lr()) {}

  // The multiple of the base lr at `epoch` (>= 0).
  virtual double factor(int epoch) const = 0;

  // Each scheduler's constructor ends with this, once its arguments are checked (factor is
  // virtual, so the base constructor cannot call it).
  void start() { set_last_epoch(0); }

  void require(bool valid, const std::string& argument, const std::string& why) const {
    if (!valid)
      throw std::invalid_argument("tessera::" + std::string(name_) + ": " + argument + " " + why);
  }

 private:
  const char* name_;
  LrControl* optimizer_;
  double base_lr_;
  int last_epoch_ = 0;
  double last_lr_ = 0;
};

// base_lr * gamma^(epoch / step_size): the lr falls by gamma every step_size epochs.
class StepLR final : public LrScheduler {
 public:
  StepLR(LrControl& optimizer, int step_size, double gamma = 0.1)
      : LrScheduler("StepLR", optimizer), step_size_(step_size), gamma_(gamma) {
    require(step_size > 0, "step_size " + std::to_string(step_size), "must be > 0");
    // PyTorch accepts any gamma; a negative or non-finite one would make the lr one that every
    // optimizer's constructor rejects.
    require(gamma >= 0 && std::isfinite(gamma), "gamma " + std::to_string(gamma),
            "must be finite and >= 0");
    start();
  }

 private:
  double factor(int epoch) const override { return std::pow(gamma_, epoch / step_size_); }

  int step_size_;
  double gamma_;
};

// The factor moves linearly from start_factor at epoch 0 to end_factor at total_iters, and stays
// there: a warm-up with the defaults (1/3 of the lr rising to all of it over 5 epochs), or a decay.
class LinearLR final : public LrScheduler {
 public:
  LinearLR(LrControl& optimizer, double start_factor = 1.0 / 3, double end_factor = 1.0,
           int total_iters = 5)
      : LrScheduler("LinearLR", optimizer),
        start_factor_(start_factor),
        end_factor_(end_factor),
        total_iters_(total_iters) {
    // PyTorch 2 rejects a start_factor of 0 (its recurrence divides by it); 1.13 let it through
    // to a ZeroDivisionError at the first step.
    require(start_factor > 0 && start_factor <= 1, "start_factor " + std::to_string(start_factor),
            "must be in (0, 1]");
    require(end_factor >= 0 && end_factor <= 1, "end_factor " + std::to_string(end_factor),
            "must be in [0, 1]");
    // PyTorch does not check it, but its closed form then divides by zero (or, for a negative
    // value, disagrees with its own recurrence).
    require(total_iters > 0, "total_iters " + std::to_string(total_iters), "must be > 0");
    start();
  }

 private:
  // PyTorch's closed form, in its order of operations.
  double factor(int epoch) const override {
    return start_factor_ +
           (end_factor_ - start_factor_) * std::min(total_iters_, epoch) / total_iters_;
  }

  double start_factor_, end_factor_;
  int total_iters_;
};

// factor times the lr until total_iters, then the lr itself: the defaults run the first 5 epochs
// at 1/3 of the lr.
class ConstantLR final : public LrScheduler {
 public:
  ConstantLR(LrControl& optimizer, double factor = 1.0 / 3, int total_iters = 5)
      : LrScheduler("ConstantLR", optimizer), factor_(factor), total_iters_(total_iters) {
    require(factor >= 0 && factor <= 1, "factor " + std::to_string(factor), "must be in [0, 1]");
    // PyTorch does not check it, but then its recurrence applies the factor at epoch 0 and its
    // closed form does not.
    require(total_iters > 0, "total_iters " + std::to_string(total_iters), "must be > 0");
    start();
  }

 private:
  double factor(int epoch) const override {
    return factor_ + (epoch >= total_iters_) * (1 - factor_);
  }

  double factor_;
  int total_iters_;
};

// base_lr * lambda(epoch), for any rule callable as double(int epoch): a lambda (CycleGAN's above),
// a function pointer or a std::function.
template <class Rule>
class LambdaLR final : public LrScheduler {
  static_assert(std::is_invocable_r_v<double, const Rule&, int>,
                "tessera: LambdaLR's rule must be callable as double(int epoch)");

 public:
  LambdaLR(LrControl& optimizer, Rule lambda)
      : LrScheduler("LambdaLR", optimizer), lambda_(std::move(lambda)) {
    require(!empty(lambda_), "lr_lambda", "is empty");
    start();
  }

 private:
  // A null function pointer, or a std::function holding nothing (its operator bool is explicit,
  // where a lambda's conversion to bool, through a function pointer, is implicit and always true).
  static bool empty(const Rule& rule) {
    if constexpr (std::is_pointer_v<Rule>)
      return rule == nullptr;
    else if constexpr (std::is_constructible_v<bool, const Rule&> &&
                       !std::is_convertible_v<const Rule&, bool>)
      return !bool(rule);
    else
      return false;
  }
  double factor(int epoch) const override { return lambda_(epoch); }

  Rule lambda_;
};

}  // namespace tessera
