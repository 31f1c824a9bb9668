// Compiles, links and runs against tessera as an outside project would.
#include <tessera/tessera.hpp>

static_assert(tessera::Shape<3, 4>::size == 12);

int main() {
  return tessera::Shape<3, 4>::size == 12 ? 0 : 1;
}
