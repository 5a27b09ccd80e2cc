// Struct identifiers: (client, clock).  Clocks count UTF-16 code units for
// strings and elements for everything else, exactly as Yjs does.
#ifndef CODESYNC_CORE_ID_H_
#define CODESYNC_CORE_ID_H_

#include <cstdint>

namespace codesync {

struct Id {
  uint64_t client = 0;
  uint64_t clock = 0;
  bool operator==(const Id& o) const { return client == o.client && clock == o.clock; }
  bool operator!=(const Id& o) const { return !(*this == o); }
};

// An Id that may be absent (Yjs's `null` origin).
struct OptId {
  Id id;
  bool present = false;
  // Declared constructors make OptId non-POD for layout, so a struct holding
  // it [[no_unique_address]] may put small fields in its 7 bytes of tail
  // padding (Item does).
  constexpr OptId() = default;
  constexpr OptId(Id i, bool p) : id(i), present(p) {}
  static OptId None() { return {}; }
  static OptId Of(Id i) { return {i, true}; }
  bool operator==(const OptId& o) const { return present == o.present && (!present || id == o.id); }
  bool operator!=(const OptId& o) const { return !(*this == o); }
};

}  // namespace codesync

#endif  // CODESYNC_CORE_ID_H_
