// The table Model::summary() prints, as torchinfo does: one row per module (path, type, output
// shape with the batch, parameters), then the totals. Formatted with snprintf rather than
// iostreams, which the core library otherwise does not need.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "tessera/core/module.hpp"
#include "tessera/core/tensor_entry.hpp"

namespace tessera::detail {

// Collects torchinfo-like rows: one per module, depth-first.
struct SummaryRows {
  struct Row {
    std::string path, type, output;
    std::size_t depth, parameters;
  };
  std::vector<Row> rows;
  std::string prefix;
  std::size_t depth = 0;
  index batch = 1;

  template <class P>
  void parameter(std::string_view, P&, Dims, Init) {}
  template <class P>
  void buffer(std::string_view, P&, Dims, Init) {}
  template <class P>
  void state(std::string_view, P&, Dims) {}
  void counter(std::string_view, std::int64_t&) {}
  void mode(Mode&) {}
  void scalar(std::string_view, double&) {}
  template <class M>
  void child(std::string_view segment, M& m) {
    const std::string saved = prefix;
    prefix = join_name(prefix, segment);
    rows.push_back({prefix, M::describe(), M::output_shape::to_string_with_batch(batch), depth,
                    M::parameter_count});
    ++depth;
    m.visit(*this);
    --depth;
    prefix = saved;
  }
};

struct SummaryTotals {
  std::size_t parameters, buffers;
  index batch;
  double gflops, parameter_mb, arena_mb;
};

inline std::string with_commas(std::size_t v) {
  std::string s = std::to_string(v);
  for (int i = int(s.size()) - 3; i > 0; i -= 3) s.insert(std::size_t(i), ",");
  return s;
}

inline std::string summary_table(const std::vector<SummaryRows::Row>& rows,
                                 const SummaryTotals& totals) {
  std::size_t width = 40;
  for (const auto& r : rows)
    width = std::max(width, 2 * r.depth + r.path.size() + r.type.size() + 4);
  const std::string rule = std::string(width + 40, '=') + "\n";
  auto line = [&](const std::string& label, const std::string& output, const std::string& params) {
    std::string text = label;
    text.resize(std::max(width, label.size()), ' ');
    text += output;
    text.resize(std::max(width + 26, text.size()), ' ');
    if (params.size() < 14) text.append(14 - params.size(), ' ');
    return text + params + "\n";
  };
  auto number = [](const char* format, double v) {
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, format, v);
    return std::string(buffer);
  };
  std::string out = rule + line("Layer (path: type)", "Output Shape", "Param #") + rule;
  for (const auto& r : rows)
    out += line(std::string(2 * r.depth, ' ') + (r.path.empty() ? "" : r.path + ": ") + r.type,
                r.output, with_commas(r.parameters));
  const std::string batch = std::to_string(totals.batch);
  return out + rule + "Total params: " + with_commas(totals.parameters) + "\n" +
         "Buffers (running statistics): " + with_commas(totals.buffers) + "\n" +
         "Forward GFLOPs (batch " + batch + "): " + number("%.3f", totals.gflops) + "\n" +
         "Parameter memory (MB): " + number("%.2f", totals.parameter_mb) + "\n" +
         "Activation arena (MB, batch " + batch + "): " + number("%.2f", totals.arena_mb) + "\n" +
         rule;
}

}  // namespace tessera::detail
