// EXPECT: shape_error<tessera::at<tessera::FixedString<2>{"1"}>, tessera::Shape<4, 8, 8>, tessera::Rule<tessera::FixedString<104>{"CatBranches: the branches differ in an extent other than the first \(spatial size\); their outputs follow"}, tessera::Shapes<tessera::Shape<4, 8, 8>, tessera::Shape<2, 6, 6> > > >
// EXPECT-CLANG: shape_error<tessera::at<FixedString<2>{"1"}>, tessera::Shape<4, 8, 8>, tessera::Rule<FixedString<104>{"CatBranches: the branches differ i\[\.\.\.\]"}, tessera::Shapes<tessera::Shape<4, 8, 8>, tessera::Shape<2, 6, 6>>>, tessera::rule_text<FixedString<31>{"CatBranches: the branches diff"}, FixedString<31>{"er in an extent other than the"}, FixedString<31>{" first \(spatial size\); their o"}, FixedString<14>{"utputs follow"}>>
// A skip connection whose inner path shrinks the image: the concatenation cannot line up.
#include <tessera/tessera.hpp>

namespace ts = tessera;
using Net = ts::Sequential<ts::Conv2d<4, 3, 1, 1>, ts::CatBranches<ts::Identity, ts::Conv2d<2, 3>>>;

int main() { ts::Model<Net, ts::Shape<1, 8, 8>> net; }
