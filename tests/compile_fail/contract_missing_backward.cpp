// EXPECT: contract_error<tessera::at<tessera::FixedString<2>{"1"}>, tessera::lacks<tessera::FixedString<30>{"backward\(x,y,dy,dx,n,keep,cx\)"}> >
// EXPECT-CLANG: contract_error<tessera::at<FixedString<2>{"1"}>, tessera::lacks<FixedString<30>{"backward\(x,y,dy,dx,n,keep,cx\)"}>>
// A layer written without a backward: binding it names the layer, its position and what its module
// lacks, in one error (docs/layers.md, "The layer contract").
#include <string>

#include <tessera/tessera.hpp>

namespace ts = tessera;

// y = 2x, forward only.
struct Twice {
  template <class In>
  static constexpr auto check() {
    return ts::ShapeOk{};
  }
  template <class In, class T, class Dev>
  struct Module : ts::ElementwiseModule<In> {
    static std::string describe() { return "Twice()"; }
    void forward(const T* x, T* y, ts::index n, T*, ts::Context<T>&) {
      for (std::size_t i = 0; i < std::size_t(n) * In::size; ++i) y[i] = 2 * x[i];
    }
  };
};

int main() { ts::Model<ts::Sequential<ts::Linear<4>, Twice>, ts::Shape<3>> model; }
