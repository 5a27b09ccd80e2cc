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

DeleteSetClients::iterator DeleteSetClients::Insert(size_t at, uint64_t client) {
  if (size_ == entries_.size()) entries_.emplace_back();
  entries_[size_].first = client;  // a spare, with no ranges
  std::rotate(entries_.begin() + static_cast<std::ptrdiff_t>(at), entries_.begin() + static_cast<std::ptrdiff_t>(size_),
              entries_.begin() + static_cast<std::ptrdiff_t>(size_ + 1));
  size_++;
  return begin() + at;
}

void DeleteSetClients::SortClients() {
  auto by_client = [](const value_type& a, const value_type& b) { return a.first < b.first; };
  if (std::is_sorted(begin(), end(), by_client)) {
    if (std::adjacent_find(begin(), end(), [](const value_type& a, const value_type& b) { return a.first == b.first; }) ==
        end()) {
      return;
    }
  } else if (std::is_sorted(begin(), end(), [](const value_type& a, const value_type& b) { return a.first > b.first; })) {
    std::reverse(begin(), end());  // (descending, as the wire has them)
    if (std::adjacent_find(begin(), end(), [](const value_type& a, const value_type& b) { return a.first == b.first; }) ==
        end()) {
      return;
    }
    std::reverse(begin(), end());  // repeats: back to append order for the stable sort
  }
  std::stable_sort(entries_.begin(), entries_.begin() + static_cast<std::ptrdiff_t>(size_), by_client);
  size_t j = 0;
  for (size_t i = 1; i < size_; i++) {
    if (entries_[i].first == entries_[j].first) {
      auto& into = entries_[j].second;
      into.insert(into.end(), entries_[i].second.begin(), entries_[i].second.end());
      entries_[i].second.clear();
    } else if (++j != i) {
      std::swap(entries_[j], entries_[i]);
    }
  }
  if (size_ > 0) size_ = j + 1;
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
  if (other.clients.size() > 8) {
    // Many clients: append and sort once (no insertion per client).
    for (uint64_t client : other.OrderedClients()) {
      if (!clients.contains(client)) order.push_back(client);
    }
    for (const auto& [client, ranges] : other.clients) {
      auto& into = clients.AppendUnsorted(client);
      into.assign(ranges.begin(), ranges.end());
    }
    clients.SortClients();
    SortAndMerge();
    return;
  }
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
  // The same set as Add per range, built by appending (the wire lists clients
  // descending) and sorting once.
  DeleteSet ds;
  auto finish = [&ds]() {
    ds.clients.SortClients();
    if (ds.order.size() != ds.clients.size()) {  // a client listed twice: keep its first place
      absl::flat_hash_set<uint64_t> seen;
      size_t j = 0;
      for (uint64_t c : ds.order) {
        if (seen.insert(c).second) ds.order[j++] = c;
      }
      ds.order.resize(j);
    }
    return std::move(ds);
  };
  uint64_t n = dec.ReadVarUint();
  if (n > dec.remaining()) {
    dec.Fail("delete set client count exceeds data");
    return finish();
  }
  for (uint64_t i = 0; i < n && dec.ok(); i++) {
    uint64_t client = dec.ReadVarUint();
    uint64_t count = dec.ReadVarUint();
    if (count > dec.remaining()) {
      dec.Fail("delete set range count exceeds data");
      return finish();
    }
    std::vector<DeleteRange>* ranges = nullptr;  // made at the first range that is not empty (as Add)
    for (uint64_t j = 0; j < count && dec.ok(); j++) {
      uint64_t clock = dec.ReadVarUint();
      uint64_t len = dec.ReadVarUint();
      if (clock > (uint64_t{1} << 53) || len > (uint64_t{1} << 53)) {
        dec.Fail("delete set range out of range");
        return finish();
      }
      if (!dec.ok() || len == 0) continue;
      if (!ranges) {
        ranges = &ds.clients.AppendUnsorted(client);
        ds.order.push_back(client);
      }
      ranges->push_back({clock, len});
    }
  }
  return finish();
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
    if (!ranges.empty()) ds.clients.AppendUnsorted(client) = std::move(ranges);
  }
  ds.clients.SortClients();  // (the store's clients come unordered)
  return ds;
}

}  // namespace codesync
