// The tools around the library, in one include: the IDX reader and the Fashion-MNIST loader with
// its shuffled batch sampler (zlib), checkpoint folders replaced as a whole, PNG image grids
// (stb_image_write), loss-curve plots and a progress bar. CMake target tessera::tools; a program
// that only builds and runs models needs none of it.
#pragma once

#include "tessera/data/fashion_mnist.hpp"
#include "tessera/data/sampler.hpp"
#include "tessera/io/checkpoint.hpp"
#include "tessera/io/idx.hpp"
#include "tessera/io/plot.hpp"
#include "tessera/io/png.hpp"
#include "tessera/tessera.hpp"
#include "tessera/train/progress.hpp"
