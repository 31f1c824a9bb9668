// EXPECT: shape_error<tessera::at_layer<1, .*tessera::UBlock<.*tessera::PlainConcat, 0> > >, tessera::Shape<4, 28, 28>, tessera::Rule<.*PlainConcat: the skip and the upsampled tensor differ in size.*tessera::unet_level<0>, tessera::Shape<4, 28, 28>, tessera::Shape<4, 20, 20> >
// EXPECT-CLANG: shape_error<tessera::at_layer<1, .*tessera::UBlock<.*tessera::PlainConcat, 0>>>, tessera::Shape<4, 28, 28>, tessera::Rule<.*tessera::unet_level<0>, tessera::Shape<4, 28, 28>, tessera::Shape<4, 20, 20>>, tessera::rule_text<FixedString<31>{"UBlock with PlainConcat: the s"}, FixedString<31>{"kip and the upsampled tensor d"}, FixedString<31>{"iffer in size \(use CropConcat "}, FixedString<31>{"or ResizeConcat, or an input s"}, FixedString<31>{"ize that survives every level\)"}, FixedString<31>{"; the level, the skip and the "}, FixedString<24>{"upsampled tensor follow"}>
// Valid convolutions shrink the decoder's maps below the skip's size: PlainConcat cannot join them
// (CropConcat or ResizeConcat can).
#include <tessera/tessera.hpp>
#include <tessera/compose/unet.hpp>

namespace ts = tessera;

template <int C>
using Valid = ts::Sequential<ts::Conv2d<C, 3>, ts::ReLU, ts::Conv2d<C, 3>, ts::ReLU>;
template <int C>
using Up = ts::ConvTranspose2d<C, 4, 2, 1>;

int main() {
  ts::Model<ts::UNet<ts::Levels<4>, Valid, ts::MaxPool2d<2>, Up, ts::PlainConcat, Valid<8>, ts::Conv2d<1, 1>>,
            ts::Shape<1, 32, 32>>
      net;
}
