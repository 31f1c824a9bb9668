// Elementwise maps y[i] = f(x[i]) over a whole batch. Each backend file defines
// map(dev, x, y, count, f) for a functor f usable on that device.
#pragma once

#include "tessera/ops/elementwise/cpu.hpp"
