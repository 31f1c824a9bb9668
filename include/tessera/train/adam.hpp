// Adam (Kingma & Ba), as torch.optim.Adam computes it, weight decay in PyTorch's L2 form (added to
// the gradient, not AdamW's decoupled form). The GANs here use lr 2e-4 and betas (0.5, 0.999):
//   ts::Adam<float> adam(g.parameters(), {.lr = 2e-4, .betas = {0.5, 0.999}});
//   adam.zero_grad(); ... g.backward(dy); adam.step();
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

#include "tessera/train/optimizer.hpp"

namespace tessera {

struct AdamOptions {
  double lr = 1e-3;
  struct Betas {
    double beta1 = 0.9,
           beta2 = 0.999;  // decay of the running mean of gradients and of their squares
  };
  Betas betas = {};
  double eps = 1e-8;
  double weight_decay = 0;
};

template <class T, class Dev = Cpu>
class Adam final : public Optimizer<T, Dev> {
 public:
  explicit Adam(std::vector<TensorEntry<T, Dev>*> parameters, AdamOptions options = {})
      : Optimizer<T, Dev>("Adam", std::move(parameters), {"exp_avg", "exp_avg_sq"}),
        options_(options) {
    this->check_hyperparameter("Adam", "lr", options.lr, options.lr >= 0);
    this->check_hyperparameter("Adam", "beta1", options.betas.beta1,
                               options.betas.beta1 >= 0 && options.betas.beta1 < 1);
    this->check_hyperparameter("Adam", "beta2", options.betas.beta2,
                               options.betas.beta2 >= 0 && options.betas.beta2 < 1);
    this->check_hyperparameter("Adam", "eps", options.eps, options.eps >= 0);
    this->check_hyperparameter("Adam", "weight_decay", options.weight_decay,
                               options.weight_decay >= 0);
  }

  const AdamOptions& options() const { return options_; }
  double lr() const override { return options_.lr; }
  void set_lr(double lr) override { options_.lr = lr; }

 private:
  enum Slot { exp_avg, exp_avg_sq };

  bool holds_squares(std::string_view slot) const override { return slot == "exp_avg_sq"; }

  // The operations and their order are PyTorch's (_single_tensor_adam, in ops::adam_update), so
  // that float rounds as PyTorch's float does; the bias corrections are Python floats there,
  // doubles here.
  void update(std::size_t i, std::int64_t step) override {
    const TensorEntry<T, Dev>& p = this->parameter(i);
    const double bias_correction1 = 1 - std::pow(options_.betas.beta1, double(step));
    const double bias_correction2 = 1 - std::pow(options_.betas.beta2, double(step));
    const ops::AdamStep<T> s{.beta1 = T(options_.betas.beta1),
                             .one_minus_beta1 = T(1 - options_.betas.beta1),
                             .beta2 = T(options_.betas.beta2),
                             .one_minus_beta2 = T(1 - options_.betas.beta2),
                             .eps = T(options_.eps),
                             .weight_decay = T(options_.weight_decay),
                             .neg_step_size = T(-(options_.lr / bias_correction1)),
                             .bias_correction2_sqrt = T(std::sqrt(bias_correction2))};
    ops::adam_update(Dev{}, p.value, p.grad, this->state(exp_avg, i), this->state(exp_avg_sq, i),
                     p.size(), s);
  }

  AdamOptions options_;
};

}  // namespace tessera
