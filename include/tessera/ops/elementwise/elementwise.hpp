// Elementwise maps y[i] = f(x[i]) over a whole batch. Each backend file defines
// map(dev, x, y, count, f) for a functor f usable on that device (functions.hpp), its backward
// map_backward(dev, x, y, dy, dx, count, f) with dx[i] = f.backward(x[i], y[i], dy[i]), its second
// order map_double_backward(dev, x, y, xt, dy or null, dyt, dx, count, f) with
// dx[i] = f.backward(x[i], y[i], dy[i]) + f.second(x[i], y[i]) xt[i] dyt[i],
// copy(dev, x, y, count), fill(dev, y, count, value), the transfers to_host(dev, x, host, count)
// and from_host(dev, host, y, count) (host: a T* in host memory),
// add(dev, a, b, y, count), accumulate(dev, a, y, count) (y += a), blend(dev, alpha, a, beta, b,
// y, count) (y = alpha a + beta b), scale(dev, alpha, x, y, count) (y = alpha x) and
// clamp(dev, y, count, low, high) (y = min(max(y, low), high) in place: WGAN's weight clipping; NaN
// stays NaN, as in torch.clamp_).
#pragma once

#include "tessera/ops/elementwise/functions.hpp"
#include "tessera/ops/elementwise/cpu.hpp"
