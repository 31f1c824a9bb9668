// The pix2pix example's pairs (examples/common/edges.hpp): the padding frame, and Sobel edges of a
// vertical step checked against the closed form (a 0-to-c step in brightness gives |G| = 4c on
// the two columns beside it and 0 elsewhere, away from the image's top and bottom).
#include <catch2/catch.hpp>
#include <vector>

#include "../../examples/common/edges.hpp"

namespace ts = tessera;
using examples::Garment28;
using examples::Image32;

namespace {

// A 28x28 garment: background (-1) left of column `step`, brightness b (value 2b - 1) from it on.
ts::Tensor<Garment28> step_image(int step, float b) {
  ts::Tensor<Garment28> g(1, -1.0f);
  for (int y = 0; y < 28; ++y)
    for (int x = step; x < 28; ++x) g.data()[y * 28 + x] = 2 * b - 1;
  return g;
}

ts::Tensor<Image32> edges_of(const ts::Tensor<Garment28>& g, float threshold) {
  ts::Tensor<Image32> padded(1), edges(1);
  examples::pad_into(g.view(), padded.view());
  examples::sobel_edges(padded.view(), edges.view(), threshold);
  return edges;
}

}  // namespace

TEST_CASE("pix2pix pairs: the 28x28 garment sits in a 2-pixel frame of background") {
  ts::Tensor<Garment28> g(2);
  for (std::size_t i = 0; i < g.size(); ++i) g[i] = float(i % 97) / 97.0f;
  ts::Tensor<Image32> padded(2, 0.5f);  // not -1 already: pad_into must write the frame
  examples::pad_into(g.view(), padded.view());
  for (int n = 0; n < 2; ++n)
    for (int y = 0; y < 32; ++y)
      for (int x = 0; x < 32; ++x) {
        const bool inside = y >= 2 && y < 30 && x >= 2 && x < 30;
        const float want = inside ? g[std::size_t(n * 784 + (y - 2) * 28 + x - 2)] : -1.0f;
        REQUIRE(padded[std::size_t(n * 1024 + y * 32 + x)] == want);
      }
}

TEST_CASE("pix2pix pairs: Sobel edges of a step, by closed form") {
  // Padded, the step is at column 16 and the garment's right side meets the frame at 30: the
  // edge columns are 15, 16 (the step) and 29, 30 (the bright side against the frame). Rows 4 .. 27
  // are far enough from the top and bottom frame for the closed form |G| = 4b.
  auto check_rows = [](const ts::Tensor<Image32>& e, bool step_seen) {
    for (int y = 4; y < 28; ++y)
      for (int x = 0; x < 32; ++x) {
        const bool edge = x == 29 || x == 30 || (step_seen && (x == 15 || x == 16));
        INFO("y " << y << ", x " << x);
        REQUIRE(e[std::size_t(y * 32 + x)] == (edge ? 1.0f : -1.0f));
      }
  };
  SECTION("a full step (|G| = 4) is an edge at threshold 1") {
    check_rows(edges_of(step_image(14, 1.0f), 1.0f), true);
  }
  SECTION("brightness 0.3 (|G| = 1.2) passes threshold 1; 0.2 (|G| = 0.8) does not") {
    check_rows(edges_of(step_image(14, 0.3f), 1.0f), true);
    const auto faint = edges_of(step_image(14, 0.2f), 1.0f);
    for (int y = 4; y < 28; ++y)
      for (int x = 0; x < 32; ++x) REQUIRE(faint[std::size_t(y * 32 + x)] == -1.0f);
  }
  SECTION("an empty image has no edges") {
    const auto none = edges_of(ts::Tensor<Garment28>(1, -1.0f), 0.5f);
    for (std::size_t i = 0; i < none.size(); ++i) REQUIRE(none[i] == -1.0f);
  }
}
