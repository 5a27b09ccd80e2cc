// Awareness: per-client presence states (cursor, name, ...) with clocks and a
// timeout, wire-compatible with y-protocols/awareness.  Time is injected as
// `now_ms` on every call that needs it: no timers, no clock reads.
//
// Rules, as y-protocols applies them:
//  - each client owns a clock; an incoming record wins when its clock is newer
//    than the known one (an unknown client counts as clock 0), or when it is
//    equal and says `null` while a state is held: `null` means "gone";
//  - a remote `null` for our own client never removes our state: we keep it
//    and bump our clock past the remote one, so the next broadcast revives it;
//  - remote states not renewed for the timeout (30 s) are removed; the local
//    state is renewed (same state, clock + 1) once half the timeout has passed.
//
// Change reports differ from y-protocols' quirky ones in one way that makes
// them exact: a client is `added` when it had no state before and has one
// now (y-protocols calls that `updated` when it had been seen earlier), and
// `removed` only when it had a state.
#ifndef CODESYNC_AWARENESS_AWARENESS_H_
#define CODESYNC_AWARENESS_AWARENESS_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "encoding/any.h"

namespace codesync {

// One record of an awareness update: (client, clock, JSON state).
struct AwarenessRecord {
  uint64_t client = 0;
  uint64_t clock = 0;
  std::optional<Any> state;  // nullopt = the JSON `null` (client gone)
};

// The wire format: varUint count, then per record varUint client, varUint
// clock, varString JSON.  Decoding validates everything (UTF-8, JSON, no
// trailing bytes) before returning.
absl::StatusOr<std::vector<AwarenessRecord>> DecodeAwarenessUpdate(const uint8_t* data, size_t len);
std::vector<uint8_t> EncodeAwarenessUpdate(const std::vector<AwarenessRecord>& records);

// What one call changed.  Lists hold client ids in ascending order.
struct AwarenessChange {
  std::vector<uint64_t> added;    // had no state, has one now
  std::vector<uint64_t> updated;  // state changed
  std::vector<uint64_t> renewed;  // same state, newer clock (keep-alive)
  std::vector<uint64_t> removed;  // had a state, has none now

  bool empty() const { return added.empty() && updated.empty() && renewed.empty() && removed.empty(); }
  // y-protocols' "change" event: something other than a renewal.
  bool changed() const { return !added.empty() || !updated.empty() || !removed.empty(); }
  // Every client concerned (y-protocols' "update" event): what to broadcast.
  std::vector<uint64_t> clients() const;
  void MergeFrom(const AwarenessChange& other);
};

// Observers run after the change is complete.  Origin: "local" for
// SetLocalState and renewals, "timeout" for expiry, else what the caller gave.
using AwarenessObserver =
    std::function<void(const AwarenessChange& change, const std::optional<std::string>& origin)>;

class Awareness {
 public:
  static constexpr int64_t kOutdatedTimeoutMs = 30000;

  explicit Awareness(uint64_t client_id, int64_t timeout_ms = kOutdatedTimeoutMs);
  Awareness(const Awareness&) = delete;
  Awareness& operator=(const Awareness&) = delete;

  uint64_t client_id() const { return client_id_; }
  int64_t timeout_ms() const { return timeout_ms_; }

  // nullptr when the client has no state.
  const Any* State(uint64_t client) const;
  const Any* LocalState() const { return State(client_id_); }
  // The state as JSON.stringify writes it; nullptr when absent.
  const std::string* StateJson(uint64_t client) const;
  // The last clock seen for a client (kept after its state is removed).
  std::optional<uint64_t> Clock(uint64_t client) const;
  // Time of the last accepted record for the client.
  std::optional<int64_t> LastUpdated(uint64_t client) const;
  // Clients that have a state, ascending.
  std::vector<uint64_t> Clients() const;
  size_t size() const { return states_.size(); }
  // {"<client>": state, ...} in ascending client order (as JavaScript orders integer keys).
  std::string StatesJson() const;

  // nullopt (or a JSON `null`) removes the local state.  Fails only when
  // called from inside an observer (Unavailable).
  absl::StatusOr<AwarenessChange> SetLocalState(std::optional<Any> state, int64_t now_ms);
  // Parses JSON first; invalid JSON is InvalidArgument and changes nothing.
  absl::StatusOr<AwarenessChange> SetLocalStateJson(std::string_view json, int64_t now_ms);
  // Applies an encoded update; malformed input (DataLoss) changes nothing.
  absl::StatusOr<AwarenessChange> ApplyUpdate(const uint8_t* data, size_t len, int64_t now_ms,
                                              std::optional<std::string> origin);
  // Marks clients as gone (y-protocols removeAwarenessStates): their clocks
  // stay, so the equal-clock `null` that EncodeUpdate writes removes them at
  // the peers too.  Removing the local state bumps the local clock.
  absl::StatusOr<AwarenessChange> RemoveStates(const std::vector<uint64_t>& clients, int64_t now_ms,
                                               std::optional<std::string> origin);
  // Renews the local state when half the timeout has passed and removes
  // remote states older than the timeout.
  absl::StatusOr<AwarenessChange> Tick(int64_t now_ms);

  // The update for these clients: their clocks and current states (`null`
  // for a client without state).  Clients never seen are skipped.
  std::vector<uint8_t> EncodeUpdate(const std::vector<uint64_t>& clients) const;
  // Every client that has a state.
  std::vector<uint8_t> EncodeAll() const { return EncodeUpdate(Clients()); }

  uint64_t AddObserver(AwarenessObserver fn);
  void RemoveObserver(uint64_t id);
  bool busy() const { return busy_; }

 private:
  struct Meta {
    uint64_t clock = 0;
    int64_t last_updated_ms = 0;
  };
  struct Entry {
    Any value;
    std::string json;  // JSON.stringify(value), cached for encoding
  };

  void SetState(uint64_t client, Any value);
  void Notify(const AwarenessChange& change, const std::optional<std::string>& origin);

  uint64_t client_id_;
  int64_t timeout_ms_;
  std::map<uint64_t, Meta> meta_;
  std::map<uint64_t, Entry> states_;
  std::vector<std::pair<uint64_t, AwarenessObserver>> observers_;
  uint64_t next_observer_id_ = 1;
  bool busy_ = false;
};

}  // namespace codesync

#endif  // CODESYNC_AWARENESS_AWARENESS_H_
