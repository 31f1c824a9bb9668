// RMSprop (Hinton), as torch.optim.RMSprop computes it: optional momentum, the centered variant
// (which divides by an estimate of the gradient's variance rather than its second moment) and L2
// weight decay. WGAN's critic trains with it:
//   ts::RMSprop<float> rmsprop(critic.parameters(), {.lr = 5e-5});
#pragma once

#include <cmath>
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

template <class T>
class RMSprop final : public Optimizer<T> {
 public:
  explicit RMSprop(std::vector<TensorEntry<T>*> parameters, RMSpropOptions options = {})
      : Optimizer<T>("RMSprop", std::move(parameters), buffer_names(options)), options_(options) {
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
    const TensorEntry<T>& p = this->parameter(i);
    T* value = p.value;
    const T* grad = p.grad;
    std::size_t slot = 0;
    T* square_avg = this->state(slot++, i);
    T* buffer = options_.momentum > 0 ? this->state(slot++, i) : nullptr;
    T* grad_avg = options_.centered ? this->state(slot++, i) : nullptr;
    const T neg_lr = T(-options_.lr), alpha = T(options_.alpha),
            one_minus_alpha = T(1 - options_.alpha);
    const T eps = T(options_.eps), momentum = T(options_.momentum),
            weight_decay = T(options_.weight_decay);
    this->for_each_element(p.size(), [=](std::size_t j) {
      const T g = weight_decay != 0 ? grad[j] + weight_decay * value[j] : grad[j];
      square_avg[j] = square_avg[j] * alpha + one_minus_alpha * g * g;
      T avg;
      if (grad_avg) {
        grad_avg[j] = grad_avg[j] * alpha + one_minus_alpha * g;
        avg = std::sqrt(square_avg[j] - grad_avg[j] * grad_avg[j]);
      } else {
        avg = std::sqrt(square_avg[j]);
      }
      avg = avg + eps;
      if (buffer) {
        buffer[j] = buffer[j] * momentum + g / avg;
        value[j] = value[j] + neg_lr * buffer[j];
      } else {
        value[j] = value[j] + neg_lr * g / avg;
      }
    });
  }

  RMSpropOptions options_;
};

}  // namespace tessera
