// EXPECT: shape_error<tessera::at<tessera::FixedString<2>{"0"}>, tessera::Shape<4, 8, 8>, tessera::Rule<tessera::FixedString<77>{"Residual: the block must give back the shape of its input, to be added to it"}, tessera::expected<tessera::Shape<4, 8, 8> >, tessera::Shape<8, 6, 6> > >
// EXPECT-CLANG: shape_error<tessera::at<FixedString<2>{"0"}>, tessera::Shape<4, 8, 8>, tessera::Rule<FixedString<77>{"Residual: the block must give back\[\.\.\.\]"}, tessera::expected<tessera::Shape<4, 8, 8>>, tessera::Shape<8, 6, 6>>, tessera::rule_text<FixedString<31>{"Residual: the block must give "}, FixedString<31>{"back the shape of its input, t"}, FixedString<17>{"o be added to it"}>>
// x + F(x) needs F(x) of x's shape.
#include <tessera/tessera.hpp>

namespace ts = tessera;
using Net = ts::Sequential<ts::Residual<ts::Conv2d<8, 3>>>;

int main() { ts::Model<Net, ts::Shape<4, 8, 8>> net; }
