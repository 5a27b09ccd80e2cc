#include "core/store.h"

#include <algorithm>

#include "absl/container/flat_hash_set.h"

namespace codesync {

void EncodeStateVector(const StateVector& sv, Encoder& enc) {
  std::vector<std::pair<uint64_t, uint64_t>> entries(sv.begin(), sv.end());
  std::sort(entries.begin(), entries.end(), [](auto& a, auto& b) { return a.first > b.first; });
  enc.WriteVarUint(entries.size());
  for (auto& [client, clock] : entries) {
    enc.WriteVarUint(client);
    enc.WriteVarUint(clock);
  }
}

StateVector DecodeStateVector(Decoder& dec) {
  StateVector sv;
  uint64_t n = dec.ReadVarUint();
  if (n > dec.remaining()) {
    dec.Fail("state vector count exceeds data");
    return sv;
  }
  for (uint64_t i = 0; i < n && dec.ok(); i++) {
    uint64_t client = dec.ReadVarUint();
    uint64_t clock = dec.ReadVarUint();
    if (dec.ok()) sv[client] = clock;
  }
  return sv;
}

StateVector StructStore::GetStateVector() const {
  StateVector sv;
  FillStateVector(sv);
  return sv;
}

void StructStore::FillStateVector(StateVector& sv) const {
  sv.clear();
  for (auto& [client, structs] : clients) {
    if (!structs.empty()) sv[client] = structs.end_clock();
  }
}

void DeleteSet::SortAndMerge() {
  for (auto& [client, ranges] : clients) {
    if (ranges.size() < 2) continue;
    // Decoded and committed ranges usually arrive in clock order: one pass to check beats a sort.
    auto by_clock = [](const DeleteRange& a, const DeleteRange& b) { return a.clock < b.clock; };
    if (!std::is_sorted(ranges.begin(), ranges.end(), by_clock)) std::sort(ranges.begin(), ranges.end(), by_clock);
    size_t j = 0;
    for (size_t i = 1; i < ranges.size(); i++) {
      DeleteRange& left = ranges[j];
      DeleteRange& right = ranges[i];
      if (left.clock + left.len >= right.clock) {
        left.len = std::max(left.len, right.clock + right.len - left.clock);
      } else {
        ranges[++j] = right;
      }
    }
    if (!ranges.empty()) ranges.resize(j + 1);
  }
}

bool DeleteSet::Contains(Id id) const {
  auto it = clients.find(id.client);
  if (it == clients.end()) return false;
  const auto& r = it->second;
  auto pos = std::upper_bound(r.begin(), r.end(), id.clock, [](uint64_t c, const DeleteRange& d) { return c < d.clock; });
  if (pos == r.begin()) return false;
  --pos;
  return id.clock < pos->clock + pos->len;
}

void DeleteSet::MergeFrom(const DeleteSet& other) {
  for (uint64_t client : other.OrderedClients()) {
    auto [it, inserted] = clients.try_emplace(client);
    if (inserted) order.push_back(client);
    const auto& ranges = other.clients.at(client);
    it->second.insert(it->second.end(), ranges.begin(), ranges.end());
  }
  SortAndMerge();
}

std::vector<uint64_t> DeleteSet::OrderedClients() const {
  // Every client came through Add once (the usual case): `order` is the answer.
  if (order.size() == clients.size()) return order;
  std::vector<uint64_t> out;
  out.reserve(clients.size());
  absl::flat_hash_set<uint64_t> seen;
  for (uint64_t c : order) {
    if (clients.contains(c) && seen.insert(c).second) out.push_back(c);
  }
  for (const auto& [c, ranges] : clients) {
    if (seen.insert(c).second) out.push_back(c);
  }
  return out;
}

void DeleteSet::Encode(Encoder& enc) const {
  enc.WriteVarUint(clients.size());
  for (auto it = clients.rbegin(); it != clients.rend(); ++it) {
    enc.WriteVarUint(it->first);
    enc.WriteVarUint(it->second.size());
    for (const DeleteRange& r : it->second) {
      enc.WriteVarUint(r.clock);
      enc.WriteVarUint(r.len);
    }
  }
}

DeleteSet DeleteSet::Decode(Decoder& dec) {
  DeleteSet ds;
  uint64_t n = dec.ReadVarUint();
  if (n > dec.remaining()) {
    dec.Fail("delete set client count exceeds data");
    return ds;
  }
  for (uint64_t i = 0; i < n && dec.ok(); i++) {
    uint64_t client = dec.ReadVarUint();
    uint64_t count = dec.ReadVarUint();
    if (count > dec.remaining()) {
      dec.Fail("delete set range count exceeds data");
      return ds;
    }
    for (uint64_t j = 0; j < count && dec.ok(); j++) {
      uint64_t clock = dec.ReadVarUint();
      uint64_t len = dec.ReadVarUint();
      if (clock > (uint64_t{1} << 53) || len > (uint64_t{1} << 53)) {
        dec.Fail("delete set range out of range");
        return ds;
      }
      if (dec.ok()) ds.Add(client, clock, len);
    }
  }
  return ds;
}

DeleteSet DeleteSetFromStore(const StructStore& store) {
  DeleteSet ds;
  for (auto& [client, structs] : store.clients) {
    std::vector<DeleteRange> ranges;
    for (auto it = structs.begin(); it != structs.end(); ++it) {
      if (!(*it)->deleted) continue;
      uint64_t clock = (*it)->id.clock;
      uint64_t len = (*it)->length;
      for (auto next = std::next(it); next != structs.end() && (*next)->deleted; ++next) {
        len += (*next)->length;
        it = next;
      }
      ranges.push_back({clock, len});
    }
    if (!ranges.empty()) ds.clients[client] = std::move(ranges);
  }
  return ds;
}

}  // namespace codesync
