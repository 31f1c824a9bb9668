// EXPECT: shape_error<tessera::at<tessera::FixedString<15>{"encoder_down\.0"}>, tessera::Shape<4, 28, 28>, tessera::Rule<tessera::FixedString<121>{"PlainConcat: input and upsampled tensor differ in size \(CropConcat or ResizeConcat fit them\); level and Up output follow"}, tessera::unet_level<0>, tessera::Shape<4, 20, 20> > >
// EXPECT-CLANG: shape_error<tessera::at<FixedString<15>{"encoder_down\.0"}>, tessera::Shape<4, 28, 28>, tessera::Rule<FixedString<121>{"PlainConcat: input and upsampled t\[\.\.\.\]"}, tessera::unet_level<0>, tessera::Shape<4, 20, 20>>, tessera::rule_text<FixedString<31>{"PlainConcat: input and upsampl"}, FixedString<31>{"ed tensor differ in size \(Crop"}, FixedString<31>{"Concat or ResizeConcat fit the"}, FixedString<31>{"m\); level and Up output follow"}>>
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
