// Compile-cost probe: one training step of the seed U-Net (forward, per-pixel cross-entropy,
// backward, Adam) (docs/performance.md, "Compile time").
#include <cstdint>
#include <tessera/models/unet.hpp>
#include <tessera/tessera.hpp>
#include <vector>

namespace ts = tessera;

int main() {
  ts::Model<ts::models::SeedUNet<>, ts::Shape<1, 572, 572>> net(1);
  ts::Adam<float> opt(net.parameters(), {.lr = 1e-4});
  ts::Tensor<ts::Shape<1, 572, 572>> x(1, 0.5f);
  ts::Tensor<ts::Shape<2, 388, 388>> grad(1);
  std::vector<std::int64_t> labels(388 * 388, 1);
  net.zero_grad();
  const float loss = ts::cross_entropy_loss(net.forward(x), labels, grad);
  net.backward(grad);
  opt.step();
  return loss > 0 ? 0 : 1;
}
