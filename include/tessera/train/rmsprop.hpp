// RMSprop (Hinton), as torch.optim.RMSprop computes it: optional momentum, the centered variant
// (which divides by an estimate of the gradient's variance rather than its second moment) and L2
// weight decay. WGAN's critic trains with it:
//   ts::RMSprop<float> rmsprop(critic.parameters(), {.lr = 5e-5});
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tessera/train/optimizer.hpp"

namespace tessera {

struct RMSpropOptions {
  double lr = 1e-2;
  double alpha = 0.99;  // decay of the running mean of squared gradients
  double eps = 1e-8;
  double momentum = 0;
  bool centered = false;
  double weight_decay = 0;
};

template <class T, class Dev = Cpu>
class RMSprop final : public Optimizer<T, Dev> {
 public:
  explicit RMSprop(std::vector<TensorEntry<T, Dev>*> parameters, RMSpropOptions options = {})
      : Optimizer<T, Dev>("RMSprop", std::move(parameters), buffer_names(options)),
        options_(options) {
    this->check_hyperparameter("RMSprop", "lr", options.lr, options.lr >= 0);
    this->check_hyperparameter("RMSprop", "alpha", options.alpha, options.alpha >= 0);
    this->check_hyperparameter("RMSprop", "eps", options.eps, options.eps >= 0);
    this->check_hyperparameter("RMSprop", "momentum", options.momentum, options.momentum >= 0);
    this->check_hyperparameter("RMSprop", "weight_decay", options.weight_decay,
                               options.weight_decay >= 0);
  }

  const RMSpropOptions& options() const { return options_; }
  double lr() const override { return options_.lr; }
  void set_lr(double lr) override { options_.lr = lr; }

 private:
  // PyTorch's state names; the optional buffers exist only when their option is on.
  static std::vector<std::string> buffer_names(const RMSpropOptions& options) {
    std::vector<std::string> names{"square_avg"};
    if (options.momentum > 0) names.push_back("momentum_buffer");
    if (options.centered) names.push_back("grad_avg");
    return names;
  }

  // square_avg must be >= 0. Centered, square_avg - grad_avg^2 is left unchecked: it is >= 0 in
  // exact arithmetic, but with steady gradients the two terms grow close enough for rounding to
  // take it below 0, in PyTorch as here, so state saved by a healthy run can break that rule.
  bool holds_squares(std::string_view slot) const override { return slot == "square_avg"; }

  void update(std::size_t i, std::int64_t) override {
    const TensorEntry<T, Dev>& p = this->parameter(i);
    std::size_t slot = 0;
    const Ptr<T, Dev> square_avg = this->state(slot++, i);
    const Ptr<T, Dev> buffer = options_.momentum > 0 ? this->state(slot++, i) : Ptr<T, Dev>{};
    const Ptr<T, Dev> grad_avg = options_.centered ? this->state(slot++, i) : Ptr<T, Dev>{};
    const ops::RMSpropStep<T> s{.neg_lr = T(-options_.lr),
                                .alpha = T(options_.alpha),
                                .one_minus_alpha = T(1 - options_.alpha),
                                .eps = T(options_.eps),
                                .momentum = T(options_.momentum),
                                .weight_decay = T(options_.weight_decay)};
    ops::rmsprop_update(Dev{}, p.value, p.grad, square_avg, buffer, grad_avg, p.size(), s);
  }

  RMSpropOptions options_;
};

}  // namespace tessera
