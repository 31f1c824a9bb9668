// Everything tessera offers, in one include.
#pragma once

#include "tessera/core/device.hpp"
#include "tessera/core/module.hpp"
#include "tessera/core/random.hpp"
#include "tessera/core/shape.hpp"
#include "tessera/core/tensor.hpp"

#include "tessera/compose/branches.hpp"
#include "tessera/compose/concat.hpp"
#include "tessera/compose/named.hpp"
#include "tessera/compose/residual.hpp"
#include "tessera/compose/sequential.hpp"

#include "tessera/layers/conv2d.hpp"
#include "tessera/layers/conv_transpose2d.hpp"
#include "tessera/layers/elu.hpp"
#include "tessera/layers/identity.hpp"
#include "tessera/layers/leaky_relu.hpp"
#include "tessera/layers/linear.hpp"
#include "tessera/layers/relu.hpp"
#include "tessera/layers/reshape.hpp"
#include "tessera/layers/sigmoid.hpp"
#include "tessera/layers/tanh.hpp"

#include "tessera/model.hpp"
