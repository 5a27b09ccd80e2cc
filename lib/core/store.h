// Per-client struct runs (id -> item in O(log n)), state vectors and delete sets.
#ifndef CODESYNC_CORE_STORE_H_
#define CODESYNC_CORE_STORE_H_

#include <cstdint>
#include <map>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "core/item.h"
#include "encoding/lib0.h"

namespace codesync {

using StateVector = absl::flat_hash_map<uint64_t, uint64_t>;

void EncodeStateVector(const StateVector& sv, Encoder& enc);
// Fails (sticky decoder error) on malformed input.
StateVector DecodeStateVector(Decoder& dec);

class StructStore {
 public:
  // Clients in no particular order; each vector is sorted by clock and contiguous from 0.
  absl::flat_hash_map<uint64_t, std::vector<Item*>> clients;

  uint64_t State(uint64_t client) const {
    auto it = clients.find(client);
    if (it == clients.end() || it->second.empty()) return 0;
    return it->second.back()->end_clock();
  }
  StateVector GetStateVector() const;
  // Index of the struct containing clock; structs must contain it.
  static size_t FindIndex(const std::vector<Item*>& structs, uint64_t clock);
  // The struct containing id, or nullptr.
  Item* Find(Id id) const;
  void Append(Item* item) { clients[item->id.client].push_back(item); }
};

struct DeleteRange {
  uint64_t clock;
  uint64_t len;
};

class DeleteSet {
 public:
  std::map<uint64_t, std::vector<DeleteRange>> clients;
  // Clients in the order Add first saw them (Yjs keeps a Map's insertion order,
  // and its undo manager re-creates deleted content in that order).
  std::vector<uint64_t> order;

  void Add(uint64_t client, uint64_t clock, uint64_t len) {
    if (len == 0) return;
    auto [it, inserted] = clients.try_emplace(client);
    if (inserted) order.push_back(client);
    it->second.push_back({clock, len});
  }
  // `order`, then clients added without Add, ascending.
  std::vector<uint64_t> OrderedClients() const;
  bool empty() const { return clients.empty(); }
  // Sorts ranges and merges overlapping or adjacent ones.
  void SortAndMerge();
  // Requires SortAndMerge.
  bool Contains(Id id) const;
  void MergeFrom(const DeleteSet& other);
  // Clients in descending order, ranges as (clock, len), as lib0 writes them.
  void Encode(Encoder& enc) const;
  static DeleteSet Decode(Decoder& dec);
};

// The delete set of everything deleted in a store (deleted items and GC structs).
DeleteSet DeleteSetFromStore(const StructStore& store);

}  // namespace codesync

#endif  // CODESYNC_CORE_STORE_H_
