// EXPECT: shape_error<tessera::at_layer<1, .*tessera::UBlock<tessera::Named<tessera::FixedString<15>{"encoder_down.1"}, tessera::MaxPool2d<2> >.*tessera::Shape<128, 279, 279>, tessera::Rule<.*UBlock: the size entering Down does not come back from Up.*tessera::unet_level<1>, tessera::Shape<128, 279, 279>, tessera::Shape<128, 278, 278> >
// EXPECT-CLANG: shape_error<tessera::at_layer<1, .*tessera::UBlock<tessera::Named<FixedString<15>{"encoder_down.1"}, tessera::MaxPool2d<2[^>]*>>.*tessera::Shape<128, 279, 279>, tessera::Rule<.*tessera::unet_level<1>, tessera::Shape<128, 279, 279>, tessera::Shape<128, 278, 278>>, tessera::rule_text<FixedString<31>{"UBlock: the size entering Down"}, FixedString<31>{" does not come back from Up \(a"}, FixedString<31>{"n odd size reaching a stride\-2"}, FixedString<31>{" pool\?\); the level, the size e"}, FixedString<31>{"ntering Down and the size Up m"}, FixedString<18>{"akes of it follow"}>
// The seed U-Net at 570x570: level 1 hands 279x279 (odd) to MaxPool2d(2), which drops a row and a
// column that no up-convolution gives back.
#include <tessera/models/unet.hpp>
#include <tessera/tessera.hpp>

namespace ts = tessera;

int main() { ts::Model<ts::models::SeedUNet<>, ts::Shape<1, 570, 570>> net; }
