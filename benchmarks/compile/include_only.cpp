// Compile-cost probe: the library's include alone (docs/performance.md, "Compile time").
#include <tessera/tessera.hpp>

int main() {}
