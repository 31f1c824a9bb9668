// EXPECT: shape_error<tessera::at_layer<1, tessera::Concat<tessera::Identity, tessera::Conv2d<2, 3.*tessera::Shape<4, 8, 8>, tessera::Rule<.*different spatial sizes.*tessera::Shapes<tessera::Shape<4, 8, 8>, tessera::Shape<2, 6, 6> >
// EXPECT-CLANG: shape_error<tessera::at_layer<1, tessera::Concat<tessera::Identity, tessera::Conv2d<2, 3[^>]*>>>, tessera::Shape<4, 8, 8>, tessera::Rule<.*tessera::Shapes<tessera::Shape<4, 8, 8>, tessera::Shape<2, 6, 6>>>, tessera::rule_text<FixedString<31>{"Concat: the branches give diff"}, FixedString<31>{"erent sizes in an extent other"}, FixedString<31>{" than the first \(different spa"}, FixedString<31>{"tial sizes\); their outputs fol"}, FixedString<4>{"low"}>
// A skip connection whose inner path shrinks the image: the concatenation cannot line up.
#include <tessera/tessera.hpp>

namespace ts = tessera;
using Net = ts::Sequential<ts::Conv2d<4, 3, 1, 1>, ts::Concat<ts::Identity, ts::Conv2d<2, 3>>>;

int main() { ts::Model<Net, ts::Shape<1, 8, 8>> net; }
