// The learning-rate schedulers against PyTorch: each fixture sequence
// (tests/fixtures/make_training_fixtures.py, lr_schedulers) is the lr PyTorch's scheduler set for
// epochs 0-11, through its recurrence; tessera's closed form must match it to 1e-12 relative.
// Then that the optimizer steps with the scheduled lr, that invalid arguments throw, and that a
// resumed scheduler continues the same sequence.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "../support/fixtures.hpp"
#include "tessera/train/adam.hpp"
#include "tessera/train/lr_scheduler.hpp"
#include "tessera/train/sgd.hpp"

namespace ts = tessera;
using ts::testing::check_close;
using ts::testing::fixture_scalar;
using ts::testing::fixture_values;

namespace {

constexpr int epochs = 12;  // LR_EPOCHS in the fixture script

// One scalar parameter outside any model, for an optimizer to drive.
struct OneParameter {
  double value = 1, grad = 0;
  ts::TensorEntry<double> entry{"w", ts::TensorEntry<double>::Kind::parameter, {1}, &value, &grad,
                                nullptr, ts::Init::zeros(), "Linear"};
  std::vector<ts::TensorEntry<double>*> list() { return {&entry}; }
};

// CycleGAN's lr_policy "linear" with epoch_count 1, as the fixture script's cyclegan_rule.
using Rule = std::function<double(int)>;
Rule cyclegan_rule(int n_epochs, int n_decay) {
  return [=](int epoch) { return 1.0 - std::max(0, epoch + 1 - n_epochs) / double(n_decay + 1); };
}

double half(int) { return 0.5; }

// The scheduler the fixture names, with the arguments the fixture script gives it.
std::unique_ptr<ts::LrScheduler> make_scheduler(const std::string& name, ts::Optimizer<double>& o) {
  if (name == "step") return std::make_unique<ts::StepLR>(o, 3, 0.5);
  if (name == "step_default") return std::make_unique<ts::StepLR>(o, 2);
  if (name == "linear") return std::make_unique<ts::LinearLR>(o);
  if (name == "linear_decay") return std::make_unique<ts::LinearLR>(o, 1.0, 0.05, 7);
  if (name == "constant") return std::make_unique<ts::ConstantLR>(o);
  if (name == "cyclegan") return std::make_unique<ts::LambdaLR<Rule>>(o, cyclegan_rule(6, 6));
  FAIL("no scheduler for " << name);
  return nullptr;
}

// The lr of epochs 0..epochs-1, as the optimizer holds it and as the scheduler reports it.
std::vector<double> lr_sequence(ts::LrScheduler& s, const ts::Optimizer<double>& o) {
  std::vector<double> lrs;
  for (int epoch = 0; epoch < epochs; ++epoch) {
    if (epoch > 0) s.step();
    CHECK(s.last_epoch() == epoch);
    CHECK(s.get_last_lr() == o.lr());
    lrs.push_back(o.lr());
  }
  return lrs;
}

}  // namespace

TEST_CASE("each scheduler's lr sequence is PyTorch's", "[lr_scheduler]") {
  const auto file = ts::testing::training_fixture("lr_schedulers");
  for (const std::string name :
       {"step", "step_default", "linear", "linear_decay", "constant", "cyclegan"}) {
    SECTION(name) {
      const double base_lr = fixture_scalar(file, name + ".base_lr");
      const std::vector<double> want = fixture_values<double>(file, name + ".lr");
      REQUIRE(want.size() == std::size_t(epochs));
      OneParameter p;
      ts::SGD<double> sgd(p.list(), {.lr = base_lr});
      const auto s = make_scheduler(name, sgd);
      CHECK(s->base_lr() == base_lr);
      check_close(name, lr_sequence(*s, sgd).data(), want, 1e-12, 0);
    }
  }
}

TEST_CASE("CycleGAN's rule is also a LinearLR started after n_epochs - 1 epochs",
          "[lr_scheduler]") {
  OneParameter a, b;
  ts::Adam<double> adam_a(a.list(), {.lr = 2e-4}), adam_b(b.list(), {.lr = 2e-4});
  ts::LambdaLR rule(adam_a, cyclegan_rule(6, 6));
  for (int epoch = 1; epoch <= 5; ++epoch) rule.step();
  ts::LinearLR decay(adam_b, 1.0, 0.0, 7);
  for (int epoch = 5; epoch < epochs; ++epoch, rule.step(), decay.step())
    CHECK(adam_b.lr() == Approx(adam_a.lr()).epsilon(1e-12));
}

TEST_CASE("the optimizer steps with the scheduled lr", "[lr_scheduler]") {
  SECTION("SGD") {
    OneParameter p;
    ts::SGD<double> sgd(p.list(), {.lr = 0.1});
    ts::StepLR s(sgd, 1, 0.5);
    s.step();  // epoch 1: lr 0.05
    p.grad = 1;
    sgd.step();
    CHECK(p.value == Approx(1 - 0.05).epsilon(1e-15));
  }
  SECTION("Adam") {
    // Adam's first step moves a parameter by lr (times sign(grad)), whatever the gradient's size.
    OneParameter p;
    ts::Adam<double> adam(p.list(), {.lr = 0.1, .eps = 0});
    ts::ConstantLR s(adam, 0.25, 2);
    p.grad = 3;
    adam.step();
    CHECK(p.value == Approx(1 - 0.025).epsilon(1e-15));
  }
}

TEST_CASE("invalid scheduler arguments throw, naming the scheduler and argument",
          "[lr_scheduler]") {
  OneParameter p;
  ts::SGD<double> sgd(p.list(), {.lr = 0.1});
  const auto throws = [](auto make, const std::string& what) {
    INFO(what);
    CHECK_THROWS_WITH(make(), Catch::Contains(what));
    CHECK_THROWS_AS(make(), std::invalid_argument);
  };
  throws([&] { ts::StepLR(sgd, 0); }, "tessera::StepLR: step_size 0");
  throws([&] { ts::StepLR(sgd, -2); }, "tessera::StepLR: step_size -2");
  throws([&] { ts::StepLR(sgd, 3, -0.5); }, "tessera::StepLR: gamma");
  throws([&] { ts::StepLR(sgd, 3, NAN); }, "tessera::StepLR: gamma");
  throws([&] { ts::LinearLR(sgd, 0.0); }, "tessera::LinearLR: start_factor");
  throws([&] { ts::LinearLR(sgd, 1.5); }, "tessera::LinearLR: start_factor");
  throws([&] { ts::LinearLR(sgd, 0.5, -0.1); }, "tessera::LinearLR: end_factor");
  throws([&] { ts::LinearLR(sgd, 0.5, 1.1); }, "tessera::LinearLR: end_factor");
  throws([&] { ts::LinearLR(sgd, 0.5, 1.0, 0); }, "tessera::LinearLR: total_iters 0");
  throws([&] { ts::ConstantLR(sgd, -0.1); }, "tessera::ConstantLR: factor");
  throws([&] { ts::ConstantLR(sgd, 1.1); }, "tessera::ConstantLR: factor");
  throws([&] { ts::ConstantLR(sgd, 0.5, 0); }, "tessera::ConstantLR: total_iters 0");
  throws([&] { ts::LambdaLR(sgd, Rule()); }, "tessera::LambdaLR: lr_lambda is empty");
  throws([&] { ts::LambdaLR(sgd, static_cast<double (*)(int)>(nullptr)); },
         "tessera::LambdaLR: lr_lambda is empty");
  ts::StepLR s(sgd, 2);
  throws([&] { s.set_last_epoch(-1); }, "tessera::StepLR: last_epoch -1");
  // A failed construction leaves the optimizer's lr alone.
  CHECK(sgd.lr() == 0.1);
  // The edges PyTorch accepts are accepted.
  CHECK_NOTHROW(ts::LinearLR(sgd, 1.0, 0.0, 1));
  CHECK_NOTHROW(ts::ConstantLR(sgd, 0.0, 1));
}

TEST_CASE("LambdaLR takes a lambda, a function or a std::function", "[lr_scheduler]") {
  OneParameter p;
  ts::SGD<double> sgd(p.list(), {.lr = 0.1});
  {
    // A lambda without captures converts to bool through its function pointer: never empty.
    ts::LambdaLR s(sgd, [](int epoch) { return 1.0 / (epoch + 1); });
    CHECK(s.get_last_lr() == 0.1);
    s.step();
    CHECK(sgd.lr() == 0.05);
  }
  sgd.set_lr(0.1);
  {
    ts::LambdaLR s(sgd, half);  // a function: a function pointer, not null
    CHECK(sgd.lr() == 0.1 * 0.5);
  }
  sgd.set_lr(0.1);
  {
    ts::LambdaLR s(sgd, Rule(half));
    CHECK(sgd.lr() == 0.1 * 0.5);
  }
}

TEST_CASE("a resumed scheduler continues the same sequence", "[lr_scheduler]") {
  // The whole run, then a run stopped after 4 epochs whose optimizer and scheduler are rebuilt
  // from the same code (hyperparameters are not saved) and told the saved last_epoch.
  OneParameter a;
  ts::Adam<double> whole_adam(a.list(), {.lr = 2e-4});
  ts::LambdaLR whole(whole_adam, cyclegan_rule(6, 6));
  const std::vector<double> want = lr_sequence(whole, whole_adam);

  int saved_epoch = 0;
  {
    OneParameter b;
    ts::Adam<double> adam(b.list(), {.lr = 2e-4});
    ts::LambdaLR first(adam, cyclegan_rule(6, 6));
    for (int epoch = 1; epoch <= 4; ++epoch) first.step();
    saved_epoch = first.last_epoch();
  }
  OneParameter c;
  ts::Adam<double> adam(c.list(), {.lr = 2e-4});
  ts::LambdaLR resumed(adam, cyclegan_rule(6, 6));
  resumed.set_last_epoch(saved_epoch);
  CHECK(resumed.base_lr() == 2e-4);
  std::vector<double> got{adam.lr()};
  for (int epoch = saved_epoch + 1; epoch < epochs; ++epoch) {
    resumed.step();
    got.push_back(adam.lr());
  }
  const std::vector<double> tail(want.begin() + saved_epoch, want.end());
  CHECK(got == tail);
}
