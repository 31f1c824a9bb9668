// Table lookup, as PyTorch's F.embedding computes it: row i of a num_embeddings x dim table for
// each index i. Indices arrive in the tensor's scalar type (a label 3 is 3.0f). An index that is
// not a whole number in [0, num_embeddings) throws std::out_of_range before anything is read or
// written. Each backend file defines, for its device tag:
//   embedding_forward(dev, indices, weight, y, count, num_embeddings, dim)
//   embedding_backward(dev, indices, dy, weight_grad, count, dim)
//     adds each row of dy to weight_grad's row of its index; the indices are the forward's,
//     already checked
#pragma once

#include "tessera/ops/embedding/cpu.hpp"
