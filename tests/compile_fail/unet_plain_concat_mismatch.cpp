// EXPECT: shape_error<tessera::at_layer<1, .*tessera::UBlock<.*tessera::PlainConcat, 0> > >, tessera::Shape<4, 28, 28>, tessera::Rule<.*PlainConcat: the skip and the upsampled tensor differ in size.*tessera::unet_level<0>, tessera::Shape<4, 28, 28>, tessera::Shape<4, 20, 20> >
// EXPECT-CLANG: shape_error<tessera::at_layer<1, .*tessera::UBlock<.*tessera::PlainConcat, 0>>>, tessera::Shape<4, 28, 28>, tessera::Rule<FixedString<[0-9]+>{"UBlock with PlainConcat: the skip .*tessera::unet_level<0>, tessera::Shape<4, 28, 28>, tessera::Shape<4, 20, 20>>
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
