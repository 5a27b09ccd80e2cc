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

// An Id that may be absent (Yjs's `null` origin).  Absent is a clock no
// struct has (decoders refuse clocks above 2^53, Yjs's safe integers), so an
// OptId takes 16 bytes instead of 24.
struct OptId {
  static constexpr uint64_t kAbsentClock = ~uint64_t{0};
  Id id{0, kAbsentClock};
  static OptId None() { return {}; }
  static OptId Of(Id i) {
    OptId o;
    o.id = i;
    return o;
  }
  bool present() const { return id.clock != kAbsentClock; }
  bool operator==(const OptId& o) const { return id.clock == o.id.clock && (!present() || id.client == o.id.client); }
  bool operator!=(const OptId& o) const { return !(*this == o); }
};

}  // namespace codesync

#endif  // CODESYNC_CORE_ID_H_
