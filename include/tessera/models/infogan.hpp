// InfoGAN (seed 002). The generator reads three inputs -- noise (62), a one-hot class (10) and a
// continuous code (2) -- concatenated as the seed's torch.cat((noise, labels, code), -1), projects
// them linearly to 128x8x8 and enlarges with bilinear upsampling and 3x3 convolutions to 1x32x32.
// The discriminator is four strided convolution blocks and three heads on the flattened features:
// adversarial score, class and code. Names follow the seed's attributes: "stem_linear.0.weight",
// "model.0.weight" (the generator's first BatchNorm), ...; "model.0.weight" (the discriminator's
// first conv), "adv_linear.weight", "class_linear.0.weight", "code_linear.3.bias".
//   Model<models::InfoganGenerator<>, Shapes<Shape<62>, Shape<10>, Shape<2>>> g;  // 836,993
//   Model<models::InfoganDiscriminator<>, Shape<1, 32, 32>> d;                    // 231,501
//   auto [adv, cls, code] = d.forward(image);
// The seed's discriminator returns F.softmax of the class head and its training applies
// CrossEntropyLoss to that (softmax twice; SEEDS.md, "Details settled"). `InfoganDiscriminator`
// returns the logits, the better default for a cross-entropy loss; `InfoganDiscriminator002` is
// the seed as written, with the softmax. Both have the same parameters and names.
#pragma once

#include "tessera/compose/branches.hpp"
#include "tessera/compose/concat.hpp"
#include "tessera/compose/named.hpp"
#include "tessera/compose/sequential.hpp"
#include "tessera/layers/batch_norm1d.hpp"
#include "tessera/layers/batch_norm2d.hpp"
#include "tessera/layers/conv2d.hpp"
#include "tessera/layers/dropout.hpp"
#include "tessera/layers/identity.hpp"
#include "tessera/layers/leaky_relu.hpp"
#include "tessera/layers/linear.hpp"
#include "tessera/layers/reshape.hpp"
#include "tessera/layers/softmax.hpp"
#include "tessera/layers/tanh.hpp"
#include "tessera/layers/upsample.hpp"

namespace tessera::models {

// _create_deconv_layer(in, out): Upsample(x2, bilinear), Conv(in, out, 3, 1, 1), BatchNorm2d(out, 0.8),
// LeakyReLU(0.2)
template <int C>
using InfoganUp = Sequential<Upsample<2, UpsampleMode::bilinear>, Conv2d<C, 3, 1, 1>, BatchNorm2d<0.8>,
                             LeakyReLU<0.2>>;

// (noise, one-hot class, code) -> Shape<Channels, ImageSize, ImageSize> in [-1, 1].
template <int Channels = 1, int ImageSize = 32, int Width = 128>
using InfoganGenerator = Sequential<
    Cat,  // torch.cat((noise, labels, code), -1)
    Named<"stem_linear", Sequential<Linear<Width * (ImageSize / 4) * (ImageSize / 4)>>>,
    Reshape<Shape<Width, ImageSize / 4, ImageSize / 4>>,
    Named<"model", Join<Sequential<BatchNorm2d<>>, InfoganUp<Width>, InfoganUp<Width / 2>,
                        Sequential<Conv2d<Channels, 3, 1, 1>, Tanh>>>>;

// _create_conv_layer(in, out, drop_out=True, normalize): Conv(in, out, 3, 2, 1), LeakyReLU(0.2),
// Dropout(0.4) [, BatchNorm2d(out, 0.8)]
template <int C>
using InfoganDiscBlock = Sequential<Conv2d<C, 3, 2, 1>, LeakyReLU<0.2>, Dropout<0.4>, BatchNorm2d<0.8>>;

// class_linear / code_linear: Linear(F, Hidden), BatchNorm1d(Hidden), LeakyReLU(0.2), Linear(Hidden, Out)
template <int Hidden, int Out>
using InfoganHead = Sequential<Linear<Hidden>, BatchNorm1d<>, LeakyReLU<0.2>, Linear<Out>>;

// Shape<C, H, W> (H, W divisible by 16) -> (adversarial score Shape<1>, class Shape<Classes>,
// code Shape<Code>). ClassOutput is applied after class_linear: Identity (logits) or Softmax.
template <class ClassOutput = Identity, int Classes = 10, int Code = 2, int Width = 16, int Hidden = 128>
using InfoganDiscriminatorWith = Sequential<
    Named<"model", Join<Sequential<Conv2d<Width, 3, 2, 1>, LeakyReLU<0.2>, Dropout<0.4>>,
                        InfoganDiscBlock<Width * 2>, InfoganDiscBlock<Width * 4>, InfoganDiscBlock<Width * 8>>>,
    Flatten,  // y_img.view(n, -1)
    Inline<Heads<Named<"adv_linear", Linear<1>>,
                 Inline<Sequential<Named<"class_linear", InfoganHead<Hidden, Classes>>, ClassOutput>>,
                 Named<"code_linear", InfoganHead<Hidden, Code>>>>>;

// The better default: class logits, for a cross-entropy loss.
template <int Classes = 10, int Code = 2, int Width = 16, int Hidden = 128>
using InfoganDiscriminator = InfoganDiscriminatorWith<Identity, Classes, Code, Width, Hidden>;

// The seed as written: class probabilities, F.softmax(self.class_linear(y_vec), dim=1).
template <int Classes = 10, int Code = 2, int Width = 16, int Hidden = 128>
using InfoganDiscriminator002 = InfoganDiscriminatorWith<Softmax, Classes, Code, Width, Hidden>;

}  // namespace tessera::models
