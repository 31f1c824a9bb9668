// EXPECT: shape_error<tessera::at_layer<1, tessera::Concat<tessera::Identity, tessera::Conv2d<2, 3.*tessera::Shape<4, 8, 8>, tessera::Rule<.*different spatial sizes.*tessera::Shapes<tessera::Shape<4, 8, 8>, tessera::Shape<2, 6, 6> >
// EXPECT-CLANG: shape_error<tessera::at_layer<1, tessera::Concat<tessera::Identity, tessera::Conv2d<2, 3>>>, tessera::Shape<4, 8, 8>, tessera::Rule<FixedString<[0-9]+>{"Concat: the branches give differen.*tessera::Shapes<tessera::Shape<4, 8, 8>, tessera::Shape<2, 6, 6>>
// A skip connection whose inner path shrinks the image: the concatenation cannot line up.
#include <tessera/tessera.hpp>

namespace ts = tessera;
using Net = ts::Sequential<ts::Conv2d<4, 3, 1, 1>, ts::Concat<ts::Identity, ts::Conv2d<2, 3>>>;

int main() { ts::Model<Net, ts::Shape<1, 8, 8>> net; }
