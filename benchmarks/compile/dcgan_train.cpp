// Compile-cost probe: a minimal seed-004 DCGAN training program (G, D, Adam, BCE, one D step and
// one G step), the size of dlib's DCGAN example (docs/performance.md, "Compile time").
#include <tessera/models/dcgan.hpp>
#include <tessera/tessera.hpp>

namespace ts = tessera;

int main() {
  using Noise = ts::Shape<100, 1, 1>;
  using Image = ts::Shape<3, 64, 64>;
  ts::Model<ts::models::DcganGenerator<>, Noise> g(1);
  ts::Model<ts::models::DcganDiscriminator<>, Image> d(2);
  ts::Adam<float> opt_g(g.parameters(), {.lr = 2e-4, .betas = {0.5, 0.999}});
  ts::Adam<float> opt_d(d.parameters(), {.lr = 2e-4, .betas = {0.5, 0.999}});
  const ts::index n = 4;
  ts::Tensor<Noise> z(n, 0.5f);
  ts::Tensor<Image> real(n, 0.1f);
  ts::Tensor<ts::Shape<1, 1, 1>> ones(n, 1.0f), zeros(n, 0.0f), grad(n);

  // D step: real images toward 1, generated ones toward 0.
  d.zero_grad();
  float loss_d = ts::bce_loss(d.forward(real), ones, grad);
  d.backward(grad);
  const auto fake = g.forward(z);
  loss_d += ts::bce_loss(d.forward(fake), zeros, grad);
  d.backward(grad);
  opt_d.step();

  // G step: through the frozen D.
  g.zero_grad();
  d.requires_grad(false);
  const float loss_g = ts::bce_loss(d.forward(g.forward(z)), ones, grad);
  g.backward(d.backward_to_input(grad));
  d.requires_grad(true);
  opt_g.step();
  return loss_d + loss_g > 0 ? 0 : 1;
}
