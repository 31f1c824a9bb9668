// Concatenation along the first per-sample extent (channels or features): each sample of the
// output is the samples of the inputs one after the other. Each backend file defines
// concat_forward(dev, inputs, sizes, y, n): inputs[i] (a std::array of device pointers) holds n
// samples of sizes[i] elements; concat_backward(dev, dy, input_grads, sizes, n) splits the
// gradient back (a null input gradient is skipped).
#pragma once

#include "tessera/ops/concat/cpu.hpp"
