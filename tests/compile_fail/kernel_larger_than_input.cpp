// EXPECT: shape_error<tessera::at<tessera::FixedString<2>{"1"}>, tessera::Shape<4, 5, 5>, tessera::Rule<tessera::FixedString<77>{"Conv2d: the kernel \(dilated\) is larger than the input plus twice the padding"}, tessera::conv_window<7, 1, 0> > >
// EXPECT-CLANG: shape_error<tessera::at<FixedString<2>{"1"}>, tessera::Shape<4, 5, 5>, tessera::Rule<FixedString<77>{"Conv2d: the kernel \(dilated\) is la\[\.\.\.\]"}, tessera::conv_window<7, 1, 0>>, tessera::rule_text<FixedString<31>{"Conv2d: the kernel \(dilated\) i"}, FixedString<31>{"s larger than the input plus t"}, FixedString<17>{"wice the padding"}>>
// A 7x7 kernel without padding cannot slide over a 5x5 map.
#include <tessera/tessera.hpp>

namespace ts = tessera;
using Net = ts::Sequential<ts::Conv2d<4, 3, 1, 1>, ts::Conv2d<8, 7>>;

int main() { ts::Model<Net, ts::Shape<3, 5, 5>> net; }
