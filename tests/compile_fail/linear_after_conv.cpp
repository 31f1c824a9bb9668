// EXPECT: shape_error<tessera::at<tessera::FixedString<2>{"2"}>, tessera::Shape<8, 26, 26>, tessera::Rule<tessera::FixedString<58>{"Linear needs a flat input Shape<F>; put Flatten before it"}, tessera::expected<tessera::Shape<5408> > > >
// EXPECT-CLANG: shape_error<tessera::at<FixedString<2>{"2"}>, tessera::Shape<8, 26, 26>, tessera::Rule<FixedString<58>{"Linear needs a flat input Shape<F>\[\.\.\.\]"}, tessera::expected<tessera::Shape<5408>>>, tessera::rule_text<FixedString<31>{"Linear needs a flat input Shap"}, FixedString<28>{"e<F>; put Flatten before it"}>>
// Linear directly after a convolution: the (8, 26, 26) output was never flattened.
#include <tessera/tessera.hpp>

namespace ts = tessera;
using Net = ts::Sequential<ts::Conv2d<8, 3>, ts::ReLU, ts::Linear<10>>;

int main() { ts::Model<Net, ts::Shape<1, 28, 28>> net; }
