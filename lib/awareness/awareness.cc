#include "awareness/awareness.h"

#include <algorithm>
#include <limits>

#include "absl/strings/str_cat.h"
#include "encoding/lib0.h"

namespace codesync {
namespace {

// Smallest record: client (1 byte), clock (1 byte), string length (1 byte).
constexpr size_t kMinRecordBytes = 3;

// now - then, saturating: injected clocks are the caller's, any values may come.
int64_t Elapsed(int64_t now, int64_t then) {
  int64_t d;
  if (__builtin_sub_overflow(now, then, &d)) return now < then ? std::numeric_limits<int64_t>::min()
                                                                : std::numeric_limits<int64_t>::max();
  return d;
}

void InsertSorted(std::vector<uint64_t>& v, uint64_t x) {
  auto it = std::lower_bound(v.begin(), v.end(), x);
  if (it == v.end() || *it != x) v.insert(it, x);
}

}  // namespace

absl::StatusOr<std::vector<AwarenessRecord>> DecodeAwarenessUpdate(const uint8_t* data, size_t len) {
  Decoder dec(data, len);
  uint64_t count = dec.ReadVarUint();
  if (!dec.ok()) return absl::DataLossError(absl::StrCat("awareness update: ", dec.error()));
  if (count > dec.remaining() / kMinRecordBytes) {
    return absl::DataLossError(absl::StrCat("awareness update: ", count, " records cannot fit in ",
                                            dec.remaining(), " bytes"));
  }
  std::vector<AwarenessRecord> records;
  records.reserve(count);
  for (uint64_t i = 0; i < count; i++) {
    AwarenessRecord r;
    r.client = dec.ReadVarUint();
    r.clock = dec.ReadVarUint();
    std::string_view json = dec.ReadVarString();
    if (!dec.ok()) return absl::DataLossError(absl::StrCat("awareness update, record ", i, ": ", dec.error()));
    auto value = Any::FromJson(json);
    if (!value.ok()) {
      return absl::DataLossError(
          absl::StrCat("awareness update, record ", i, ": state is not JSON: ", value.status().message()));
    }
    if (!value->is_null()) r.state = *std::move(value);
    records.push_back(std::move(r));
  }
  if (!dec.AtEnd()) {
    return absl::DataLossError(absl::StrCat("awareness update: ", dec.remaining(), " trailing bytes"));
  }
  return records;
}

std::vector<uint8_t> EncodeAwarenessUpdate(const std::vector<AwarenessRecord>& records) {
  Encoder enc;
  enc.WriteVarUint(records.size());
  for (const AwarenessRecord& r : records) {
    enc.WriteVarUint(r.client);
    enc.WriteVarUint(r.clock);
    enc.WriteVarString(r.state ? r.state->ToJson() : "null");
  }
  return enc.Take();
}

std::vector<uint64_t> AwarenessChange::clients() const {
  std::vector<uint64_t> all;
  all.reserve(added.size() + updated.size() + renewed.size() + removed.size());
  for (const auto* list : {&added, &updated, &renewed, &removed}) all.insert(all.end(), list->begin(), list->end());
  std::sort(all.begin(), all.end());
  all.erase(std::unique(all.begin(), all.end()), all.end());
  return all;
}

void AwarenessChange::MergeFrom(const AwarenessChange& other) {
  for (uint64_t c : other.added) InsertSorted(added, c);
  for (uint64_t c : other.updated) InsertSorted(updated, c);
  for (uint64_t c : other.renewed) InsertSorted(renewed, c);
  for (uint64_t c : other.removed) InsertSorted(removed, c);
}

Awareness::Awareness(uint64_t client_id, int64_t timeout_ms) : client_id_(client_id), timeout_ms_(timeout_ms) {
  // y-protocols starts every instance with a state at clock 0 and peers treat
  // unknown clients as clock 0, so a first state written at clock 0 would be
  // ignored by them: our first local state gets clock 1.
  meta_[client_id_] = Meta{0, 0};
}

const Any* Awareness::State(uint64_t client) const {
  auto it = states_.find(client);
  return it == states_.end() ? nullptr : &it->second.value;
}

const std::string* Awareness::StateJson(uint64_t client) const {
  auto it = states_.find(client);
  return it == states_.end() ? nullptr : &it->second.json;
}

std::optional<uint64_t> Awareness::Clock(uint64_t client) const {
  auto it = meta_.find(client);
  if (it == meta_.end()) return std::nullopt;
  return it->second.clock;
}

std::optional<int64_t> Awareness::LastUpdated(uint64_t client) const {
  auto it = meta_.find(client);
  if (it == meta_.end()) return std::nullopt;
  return it->second.last_updated_ms;
}

std::vector<uint64_t> Awareness::Clients() const {
  std::vector<uint64_t> out;
  out.reserve(states_.size());
  for (const auto& [client, entry] : states_) out.push_back(client);
  return out;
}

std::string Awareness::StatesJson() const {
  std::string out = "{";
  bool first = true;
  for (const auto& [client, entry] : states_) {
    if (!first) out += ',';
    first = false;
    absl::StrAppend(&out, "\"", client, "\":", entry.json);
  }
  out += '}';
  return out;
}

void Awareness::SetState(uint64_t client, Any value) {
  Entry& e = states_[client];
  e.json = value.ToJson();
  e.value = std::move(value);
}

absl::StatusOr<AwarenessChange> Awareness::SetLocalState(std::optional<Any> state, int64_t now_ms) {
  if (busy_) return absl::UnavailableError("awareness is busy: called from inside an observer");
  if (state && state->is_null()) state.reset();
  Meta& meta = meta_[client_id_];
  if (meta.clock < std::numeric_limits<uint64_t>::max()) meta.clock++;
  meta.last_updated_ms = now_ms;
  AwarenessChange change;
  auto prev = states_.find(client_id_);
  if (!state) {
    if (prev != states_.end()) {
      states_.erase(prev);
      change.removed.push_back(client_id_);
    }
  } else if (prev == states_.end()) {
    SetState(client_id_, *std::move(state));
    change.added.push_back(client_id_);
  } else if (prev->second.value == *state) {
    change.renewed.push_back(client_id_);
  } else {
    SetState(client_id_, *std::move(state));
    change.updated.push_back(client_id_);
  }
  Notify(change, std::string("local"));
  return change;
}

absl::StatusOr<AwarenessChange> Awareness::SetLocalStateJson(std::string_view json, int64_t now_ms) {
  if (busy_) return absl::UnavailableError("awareness is busy: called from inside an observer");
  auto value = Any::FromJson(json);
  if (!value.ok()) return absl::InvalidArgumentError(absl::StrCat("state is not JSON: ", value.status().message()));
  return SetLocalState(*std::move(value), now_ms);
}

absl::StatusOr<AwarenessChange> Awareness::ApplyUpdate(const uint8_t* data, size_t len, int64_t now_ms,
                                                       std::optional<std::string> origin) {
  if (busy_) return absl::UnavailableError("awareness is busy: called from inside an observer");
  auto records = DecodeAwarenessUpdate(data, len);
  if (!records.ok()) return records.status();

  // What each touched client looked like before, to report net changes even
  // when one update names a client twice.
  struct Before {
    std::optional<Any> value;
    uint64_t clock = 0;
  };
  std::map<uint64_t, Before> before;
  for (AwarenessRecord& r : *records) {
    if (!before.count(r.client)) {
      Before& b = before[r.client];
      if (const Any* s = State(r.client)) b.value = *s;  // copies share their payload
      b.clock = meta_.count(r.client) ? meta_[r.client].clock : 0;
    }
    auto m = meta_.find(r.client);
    uint64_t current = m == meta_.end() ? 0 : m->second.clock;
    bool has = states_.count(r.client) > 0;
    if (!(current < r.clock || (current == r.clock && !r.state && has))) continue;
    uint64_t clock = r.clock;
    if (!r.state) {
      if (r.client == client_id_ && has) {
        // Never let a peer remove our own state: outbid its clock instead.
        if (clock < std::numeric_limits<uint64_t>::max()) clock++;
      } else {
        states_.erase(r.client);
      }
    } else {
      SetState(r.client, *std::move(r.state));
    }
    meta_[r.client] = Meta{clock, now_ms};
  }

  AwarenessChange change;
  for (const auto& [client, b] : before) {
    const Any* now = State(client);
    uint64_t clock = meta_.count(client) ? meta_[client].clock : 0;
    if (!b.value && now) {
      change.added.push_back(client);
    } else if (b.value && !now) {
      change.removed.push_back(client);
    } else if (b.value && now) {
      if (!(*b.value == *now)) {
        change.updated.push_back(client);
      } else if (clock != b.clock) {
        change.renewed.push_back(client);
      }
    }
  }
  Notify(change, origin);
  return change;
}

absl::StatusOr<AwarenessChange> Awareness::RemoveStates(const std::vector<uint64_t>& clients, int64_t now_ms,
                                                        std::optional<std::string> origin) {
  if (busy_) return absl::UnavailableError("awareness is busy: called from inside an observer");
  AwarenessChange change;
  for (uint64_t client : clients) {
    auto it = states_.find(client);
    if (it == states_.end()) continue;
    states_.erase(it);
    if (client == client_id_) {
      Meta& meta = meta_[client_id_];
      if (meta.clock < std::numeric_limits<uint64_t>::max()) meta.clock++;
      meta.last_updated_ms = now_ms;
    }
    InsertSorted(change.removed, client);
  }
  Notify(change, origin);
  return change;
}

absl::StatusOr<AwarenessChange> Awareness::Tick(int64_t now_ms) {
  if (busy_) return absl::UnavailableError("awareness is busy: called from inside an observer");
  AwarenessChange all;
  if (const Any* local = LocalState()) {
    const Meta& meta = meta_[client_id_];
    if (Elapsed(now_ms, meta.last_updated_ms) >= timeout_ms_ / 2) {
      Any same = *local;
      auto renewed = SetLocalState(std::move(same), now_ms);
      if (!renewed.ok()) return renewed.status();
      all.MergeFrom(*renewed);
    }
  }
  std::vector<uint64_t> outdated;
  for (const auto& [client, entry] : states_) {
    if (client == client_id_) continue;
    auto m = meta_.find(client);
    if (m != meta_.end() && Elapsed(now_ms, m->second.last_updated_ms) >= timeout_ms_) outdated.push_back(client);
  }
  if (!outdated.empty()) {
    auto removed = RemoveStates(outdated, now_ms, std::string("timeout"));
    if (!removed.ok()) return removed.status();
    all.MergeFrom(*removed);
  }
  return all;
}

std::vector<uint8_t> Awareness::EncodeUpdate(const std::vector<uint64_t>& clients) const {
  Encoder enc;
  size_t count = 0;
  for (uint64_t c : clients) count += meta_.count(c);
  enc.WriteVarUint(count);
  for (uint64_t c : clients) {
    auto m = meta_.find(c);
    if (m == meta_.end()) continue;
    enc.WriteVarUint(c);
    enc.WriteVarUint(m->second.clock);
    const std::string* json = StateJson(c);
    enc.WriteVarString(json ? std::string_view(*json) : std::string_view("null"));
  }
  return enc.Take();
}

uint64_t Awareness::AddObserver(AwarenessObserver fn) {
  uint64_t id = next_observer_id_++;
  observers_.emplace_back(id, std::move(fn));
  return id;
}

void Awareness::RemoveObserver(uint64_t id) {
  std::erase_if(observers_, [id](const auto& p) { return p.first == id; });
}

void Awareness::Notify(const AwarenessChange& change, const std::optional<std::string>& origin) {
  if (change.empty() || observers_.empty()) return;
  struct BusyScope {
    bool& flag;
    explicit BusyScope(bool& f) : flag(f) { flag = true; }
    ~BusyScope() { flag = false; }
  } scope(busy_);
  auto observers = observers_;  // callbacks may unsubscribe
  for (auto& [id, fn] : observers) fn(change, origin);
}

}  // namespace codesync
