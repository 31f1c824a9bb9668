// Concatenation along the first per-sample extent (channels or features): each sample of the
// output is the samples of the inputs one after the other. Each backend file defines
// concat_forward(dev, inputs, sizes, count, y, n): inputs[i] holds n samples of sizes[i] elements;
// concat_backward(dev, dy, input_grads, sizes, count, n) splits the gradient back.
#pragma once

#include "tessera/ops/concat/cpu.hpp"
