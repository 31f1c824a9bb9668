// EXPECT: shape_error<tessera::at<tessera::FixedString<2>{"1"}>, tessera::Shape<8, 4, 4>, tessera::Rule<tessera::FixedString<86>{"LayerNorm<K> normalises the last K extents: K must be from 1 to the rank of the input"}, tessera::layer_norm_dims<4> > >
// EXPECT-CLANG: shape_error<tessera::at<FixedString<2>{"1"}>, tessera::Shape<8, 4, 4>, tessera::Rule<FixedString<86>{"LayerNorm<K> normalises the last K\[\.\.\.\]"}, tessera::layer_norm_dims<4>>, tessera::rule_text<FixedString<31>{"LayerNorm<K> normalises the la"}, FixedString<31>{"st K extents: K must be from 1"}, FixedString<26>{" to the rank of the input"}>>
// LayerNorm<4> after a convolution: a Shape<C, H, W> has three extents to normalise over, not four.
#include <tessera/tessera.hpp>

namespace ts = tessera;
using Critic = ts::Sequential<ts::Conv2d<8, 4, 2, 1>, ts::LayerNorm<4>, ts::LeakyReLU<0.2>,
                              ts::Flatten, ts::Linear<1>>;

int main() { ts::Model<Critic, ts::Shape<3, 8, 8>> d; }
