// EXPECT: shape_error<tessera::at<tessera::FixedString<17>{"encoder\.1\.head\.1"}>, tessera::Shape<8, 26, 26>, tessera::Rule<tessera::FixedString<58>{"Linear needs a flat input Shape<F>; put Flatten before it"}, tessera::expected<tessera::Shape<5408> > > >
// EXPECT-CLANG: shape_error<tessera::at<FixedString<17>{"encoder\.1\.head\.1"}>, tessera::Shape<8, 26, 26>, tessera::Rule<FixedString<58>{"Linear needs a flat input Shape<F>\[\.\.\.\]"}, tessera::expected<tessera::Shape<5408>>>, tessera::rule_text<FixedString<31>{"Linear needs a flat input Shap"}, FixedString<28>{"e<F>; put Flatten before it"}>>
// A mistake deep inside named blocks: the error names the layer by its state_dict path,
// encoder.1.head.1 (as the weights of a Linear there would be "encoder.1.head.1.weight"), not by the
// types around it, and the branch beside it and the layers after it add no second error.
#include <tessera/tessera.hpp>

namespace ts = tessera;
using Head = ts::Sequential<ts::ReLU, ts::Linear<10>>;
using Encoder = ts::Sequential<ts::Conv2d<8, 3>, ts::Named<"head", Head>>;
using Net = ts::Sequential<ts::Named<"encoder", ts::Branches<ts::Identity, Encoder>>, ts::Cat, ts::Linear<4>>;

int main() { ts::Model<Net, ts::Shape<1, 28, 28>> net; }
