// Compiles, links and runs against tessera as an outside project would, and checks a convolution
// network's output and input gradient against plain loops. Run in every consumer mode, including
// the one built with neither oneDNN, OpenBLAS nor OpenMP (the pure-Eigen path).
#include <cmath>
#include <cstdio>
#include <tessera/tessera.hpp>

namespace ts = tessera;

int main() {
  // Conv2d(1, 2, 3, padding=1) -> ReLU -> Flatten -> Linear(2*4*4, 3)
  using Net = ts::Sequential<ts::Conv2d<2, 3, 1, 1>, ts::ReLU, ts::Flatten, ts::Linear<3>>;
  ts::Model<Net, ts::Shape<1, 4, 4>> net(7);
  auto p = net.parameters();  // 0.weight (2,1,3,3), 0.bias (2), 3.weight (3,32), 3.bias (3)
  const float *cw = p[0]->value, *cb = p[1]->value, *lw = p[2]->value, *lb = p[3]->value;

  ts::Tensor<ts::Shape<1, 4, 4>> x(2);
  for (int i = 0; i < 32; ++i) x.data()[i] = float(std::sin(0.7 * i));
  auto y = net.forward(x);

  double worst = 0;
  float hidden[2][32];
  for (int s = 0; s < 2; ++s) {
    for (int c = 0; c < 2; ++c)
      for (int i = 0; i < 4; ++i)
        for (int j = 0; j < 4; ++j) {
          double v = cb[c];
          for (int a = 0; a < 3; ++a)
            for (int b = 0; b < 3; ++b) {
              const int r = i + a - 1, q = j + b - 1;
              if (r >= 0 && r < 4 && q >= 0 && q < 4)
                v += cw[c * 9 + a * 3 + b] * x.data()[s * 16 + r * 4 + q];
            }
          hidden[s][c * 16 + i * 4 + j] = float(v > 0 ? v : 0);
        }
    for (int o = 0; o < 3; ++o) {
      double v = lb[o];
      for (int k = 0; k < 32; ++k) v += lw[o * 32 + k] * hidden[s][k];
      worst = std::fmax(worst, std::fabs(v - y.data()[s * 3 + o]));
    }
  }
  std::printf("consumer: largest difference from plain loops %.3g\n", worst);
#if defined(TESSERA_EXPECT_EIGEN_ONLY)
#if defined(TESSERA_HAVE_DNNL) || defined(EIGEN_USE_BLAS) || defined(_OPENMP)
#error "the Eigen-only consumer was built with oneDNN, OpenBLAS or OpenMP"
#endif
  std::printf("consumer: Eigen only (no oneDNN, OpenBLAS or OpenMP)\n");
#endif
  return worst < 1e-5 ? 0 : 1;
}
