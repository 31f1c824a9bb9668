// EXPECT: shape_error<tessera::at_layer<1, tessera::CatBranches<tessera::Identity, tessera::Conv2d<2, 3.*tessera::Shape<4, 8, 8>, tessera::Rule<.*different spatial sizes.*tessera::Shapes<tessera::Shape<4, 8, 8>, tessera::Shape<2, 6, 6> >
// EXPECT-CLANG: shape_error<tessera::at_layer<1, tessera::CatBranches<tessera::Identity, tessera::Conv2d<2, 3[^>]*>>>, tessera::Shape<4, 8, 8>, tessera::Rule<.*tessera::Shapes<tessera::Shape<4, 8, 8>, tessera::Shape<2, 6, 6>>>, tessera::rule_text<FixedString<31>{"CatBranches: the branches give"}, FixedString<31>{" different sizes in an extent "}, FixedString<31>{"other than the first \(differen"}, FixedString<31>{"t spatial sizes\); their output"}, FixedString<9>{"s follow"}>
// A skip connection whose inner path shrinks the image: the concatenation cannot line up.
#include <tessera/tessera.hpp>

namespace ts = tessera;
using Net = ts::Sequential<ts::Conv2d<4, 3, 1, 1>, ts::CatBranches<ts::Identity, ts::Conv2d<2, 3>>>;

int main() { ts::Model<Net, ts::Shape<1, 8, 8>> net; }
