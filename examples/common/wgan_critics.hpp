// The three 32x32 critics of examples/wgan.cpp, one per variant, here so that the training
// benchmark (benchmarks/bench_train.cpp) times the very types the example trains. The same pyramid
// (32 -> 16 -> 8 -> 4 -> 1, LeakyReLU 0.2) each time; the variants differ only in how the critic is
// kept Lipschitz. F: the width (channels of the critic's first layer).
#pragma once

#include <tessera/tessera.hpp>

namespace examples {

namespace ts = tessera;

// The WGAN paper's DCGAN critic at 32x32 (models::WganCritic is the 64x64 one).
template <int F>
using ClipCritic32 = ts::Named<
    "main", ts::Sequential<
                ts::Conv2d<F, 4, 2, 1, ts::no_bias>, ts::LeakyReLU<0.2>,                         //
                ts::Conv2d<F * 2, 4, 2, 1, ts::no_bias>, ts::BatchNorm2d<>, ts::LeakyReLU<0.2>,  //
                ts::Conv2d<F * 4, 4, 2, 1, ts::no_bias>, ts::BatchNorm2d<>, ts::LeakyReLU<0.2>,  //
                ts::Conv2d<1, 4, 1, 0, ts::no_bias>>>;

// The same pyramid with every convolution spectrally normalised; biases back, since no BatchNorm
// follows.
template <int F>
using SnCritic32 =
    ts::Named<"main",
              ts::Sequential<ts::SpectralNorm<ts::Conv2d<F, 4, 2, 1>>, ts::LeakyReLU<0.2>,      //
                             ts::SpectralNorm<ts::Conv2d<F * 2, 4, 2, 1>>, ts::LeakyReLU<0.2>,  //
                             ts::SpectralNorm<ts::Conv2d<F * 4, 4, 2, 1>>, ts::LeakyReLU<0.2>,  //
                             ts::SpectralNorm<ts::Conv2d<1, 4, 1, 0>>>>;

// The same pyramid, plain, for the gradient penalty: biases back, no BatchNorm.
template <int F>
using GpCritic32 =
    ts::Named<"main", ts::Sequential<ts::Conv2d<F, 4, 2, 1>, ts::LeakyReLU<0.2>,      //
                                     ts::Conv2d<F * 2, 4, 2, 1>, ts::LeakyReLU<0.2>,  //
                                     ts::Conv2d<F * 4, 4, 2, 1>, ts::LeakyReLU<0.2>,  //
                                     ts::Conv2d<1, 4, 1, 0>>>;

// 32 rather than the WGAN code's 64: 0.56 forward GFLOPs a batch in place of 2.2 (measured: 2.7
// times faster), so that a default run of about ten minutes gives clip's G, which takes one step
// in five, some 1,900 steps rather than about 700. The generator's last hidden layer has it too.
inline constexpr int wgan_width = 32;

}  // namespace examples
