// EXPECT: no_second_order_rule<tessera::BatchNorm2d<>::Module<tessera::Shape<8, 4, 4>, float, tessera::Cpu> >
// EXPECT-CLANG: no_second_order_rule<tessera::BatchNorm2d<[^:]*>::Module<tessera::Shape<8, 4, 4>, float, tessera::Cpu>>
// A WGAN-GP critic with BatchNorm: the penalty differentiates the critic twice, and BatchNorm has no
// second-order rule (it mixes the samples of a batch, which the WGAN-GP paper forbids for the
// critic). The error names the BatchNorm module and its input shape.
#include <tessera/tessera.hpp>

namespace ts = tessera;
using Critic = ts::Sequential<ts::Conv2d<8, 4, 2, 1>, ts::BatchNorm2d<>, ts::LeakyReLU<0.2>, ts::Flatten,
                              ts::Linear<1>>;

int main() {
  ts::Model<Critic, ts::Shape<1, 8, 8>> d;
  ts::Tensor<ts::Shape<1, 8, 8>> real(2), fake(2);
  ts::Generator rng(1);
  ts::gradient_penalty(d, real, fake, rng);
}
