// Stochastic gradient descent with optional momentum, dampening, Nesterov momentum and L2 weight
// decay, as torch.optim.SGD computes it (the first step with momentum copies the gradient into
// the buffer rather than damping it, as PyTorch does).
//   ts::SGD<float> sgd(net.parameters(), {.lr = 0.01, .momentum = 0.9});
#pragma once

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "tessera/train/optimizer.hpp"

namespace tessera {

struct SGDOptions {
  double lr = 1e-3;
  double momentum = 0;
  double dampening = 0;
  bool nesterov = false;
  double weight_decay = 0;
};

template <class T, class Dev = Cpu>
class SGD final : public Optimizer<T, Dev> {
 public:
  explicit SGD(std::vector<TensorEntry<T, Dev>*> parameters, SGDOptions options = {})
      : Optimizer<T, Dev>("SGD", std::move(parameters), buffer_names(options)), options_(options) {
    this->check_hyperparameter("SGD", "lr", options.lr, options.lr >= 0);
    this->check_hyperparameter("SGD", "momentum", options.momentum, options.momentum >= 0);
    this->check_hyperparameter("SGD", "weight_decay", options.weight_decay,
                               options.weight_decay >= 0);
    if (options.nesterov && (options.momentum <= 0 || options.dampening != 0))
      throw std::invalid_argument(
          "tessera::SGD: Nesterov momentum needs momentum > 0 and dampening 0");
  }

  const SGDOptions& options() const { return options_; }
  double lr() const override { return options_.lr; }
  void set_lr(double lr) override { options_.lr = lr; }

 private:
  // Without momentum there is nothing to keep but the step counts.
  static std::vector<std::string> buffer_names(const SGDOptions& options) {
    if (options.momentum != 0) return {"momentum_buffer"};
    return {};
  }

  void update(std::size_t i, std::int64_t step) override {
    const TensorEntry<T, Dev>& p = this->parameter(i);
    const Ptr<T, Dev> buffer = options_.momentum != 0 ? this->state(0, i) : Ptr<T, Dev>{};
    const ops::SGDStep<T> s{.neg_lr = T(-options_.lr),
                            .weight_decay = T(options_.weight_decay),
                            .momentum = T(options_.momentum),
                            .one_minus_dampening = T(1 - options_.dampening),
                            .first = step == 1,
                            .nesterov = options_.nesterov};
    ops::sgd_update(Dev{}, p.value, p.grad, buffer, p.size(), s);
  }

  SGDOptions options_;
};

}  // namespace tessera
