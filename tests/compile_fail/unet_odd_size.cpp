// EXPECT: shape_error<tessera::at<tessera::FixedString<15>{"encoder_down\.1"}>, tessera::Shape<128, 279, 279>, tessera::Rule<tessera::FixedString<116>{"UBlock: Up does not give back the size entering Down \(odd size at a stride-2 pool\?\); the level and Up output follow"}, tessera::unet_level<1>, tessera::Shape<128, 278, 278> > >
// EXPECT-CLANG: shape_error<tessera::at<FixedString<15>{"encoder_down\.1"}>, tessera::Shape<128, 279, 279>, tessera::Rule<FixedString<116>{"UBlock: Up does not give back the \[\.\.\.\]"}, tessera::unet_level<1>, tessera::Shape<128, 278, 278>>, tessera::rule_text<FixedString<31>{"UBlock: Up does not give back "}, FixedString<31>{"the size entering Down \(odd si"}, FixedString<31>{"ze at a stride-2 pool\?\); the l"}, FixedString<26>{"evel and Up output follow"}>>
// The seed U-Net at 570x570: level 1 hands 279x279 (odd) to MaxPool2d(2), which drops a row and a
// column that no up-convolution gives back.
#include <tessera/models/unet.hpp>
#include <tessera/tessera.hpp>

namespace ts = tessera;

int main() { ts::Model<ts::models::SeedUNet<>, ts::Shape<1, 570, 570>> net; }
