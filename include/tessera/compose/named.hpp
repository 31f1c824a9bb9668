// `Named<"encoder", L>`: L under a name instead of its index, as a PyTorch module attribute is
// named. `Named<"", L>` (or `Inline<L>`) adds no name at all: L's parameters sit in the parent's
// namespace, as in a custom nn.Module whose forward does the wiring.
#pragma once

#include "tessera/core/module.hpp"

namespace tessera {

template <FixedString Name, class L>
struct Named {
  // Its path segment (bind_t names a failure inside it by this), and L's anchor for its rules.
  static constexpr auto segment_name = Name;
  static constexpr auto rule_anchor = detail::rule_anchor<L>();

  template <class In>
  static constexpr auto check() {
    return L::template check<In>();
  }
  template <class In, class T, class Dev>
  using Module = typename L::template Module<In, T, Dev>;
};

template <class L>
using Inline = Named<"", L>;

template <FixedString Name, class L>
struct segment_of<Named<Name, L>> {
  static constexpr std::string_view name = Name.view();
  static constexpr bool named = true;
};

}  // namespace tessera
