// EXPECT: shape_error<tessera::at<tessera::FixedString<2>{"0"}>, tessera::Shape<16, 4, 4>, tessera::Rule<tessera::FixedString<80>{"SpectralNorm wraps a Linear or a Conv2d, whose weight it normalises along dim 0"}> >
// EXPECT-CLANG: shape_error<tessera::at<FixedString<2>{"0"}>, tessera::Shape<16, 4, 4>, tessera::Rule<FixedString<80>{"SpectralNorm wraps a Linear or a C\[\.\.\.\]"}>, tessera::rule_text<FixedString<31>{"SpectralNorm wraps a Linear or"}, FixedString<31>{" a Conv2d, whose weight it nor"}, FixedString<20>{"malises along dim 0"}>>
// SpectralNorm on a transposed convolution, whose weight PyTorch normalises along dim 1, not 0.
#include <tessera/tessera.hpp>

namespace ts = tessera;
using Generator = ts::Sequential<ts::SpectralNorm<ts::ConvTranspose2d<8, 4, 2, 1>>, ts::ReLU,
                                 ts::SpectralNorm<ts::Conv2d<3, 3, 1, 1>>>;

int main() { ts::Model<Generator, ts::Shape<16, 4, 4>> g; }
