// EXPECT: shape_error<tessera::at<tessera::FixedString<2>{"1"}>, tessera::Shape<192>, tessera::Rule<tessera::FixedString<63>{"Reshape: the target shape holds a different number of elements"}, tessera::expected<tessera::Shape<10, 10> > > >
// EXPECT-CLANG: shape_error<tessera::at<FixedString<2>{"1"}>, tessera::Shape<192>, tessera::Rule<FixedString<63>{"Reshape: the target shape holds a \[\.\.\.\]"}, tessera::expected<tessera::Shape<10, 10>>>, tessera::rule_text<FixedString<31>{"Reshape: the target shape hold"}, FixedString<31>{"s a different number of elemen"}, FixedString<3>{"ts"}>>
// 192 features cannot be viewed as a 10x10 image.
#include <tessera/tessera.hpp>

namespace ts = tessera;
using Net = ts::Sequential<ts::Flatten, ts::Reshape<ts::Shape<10, 10>>>;

int main() { ts::Model<Net, ts::Shape<3, 8, 8>> net; }
