// Per-client struct runs (id -> item in O(log n)), state vectors and delete sets.
#ifndef CODESYNC_CORE_STORE_H_
#define CODESYNC_CORE_STORE_H_

#include <cstddef>
#include <algorithm>
#include <cstdint>
#include <iterator>
#include <map>
#include <stdexcept>
#include <utility>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/container/btree_set.h"
#include "absl/container/flat_hash_map.h"
#include "core/item.h"
#include "encoding/lib0.h"

namespace codesync {

using StateVector = absl::flat_hash_map<uint64_t, uint64_t>;

void EncodeStateVector(const StateVector& sv, Encoder& enc);
// Fails (sticky decoder error) on malformed input.
StateVector DecodeStateVector(Decoder& dec);

// One client's structs, sorted by clock and contiguous from 0, in a B-tree
// keyed by first clock: lookup, split (insert) and merge (erase) are all
// O(log n), where a flat vector made every split and merge O(history).  The
// B-tree holds only the item pointers and orders them by the item's own first
// clock: 8 bytes per struct instead of a 16-byte (clock, pointer) pair, half
// the nodes. A first clock may move (a deleted run taking over a neighbour's
// end or head) but never past a neighbour's, so the order holds untouched.
class ClientStructs {
  struct ByClock {
    using is_transparent = void;
    static uint64_t Key(const Item* i) { return i->id.clock; }
    static uint64_t Key(uint64_t c) { return c; }
    template <typename A, typename B>
    bool operator()(const A& a, const B& b) const {
      return Key(a) < Key(b);
    }
  };
  using Map = absl::btree_set<Item*, ByClock>;

 public:
  // Iterates the structs in clock order; dereferences to Item*.
  class const_iterator {
   public:
    using iterator_category = std::bidirectional_iterator_tag;
    using value_type = Item*;
    using difference_type = std::ptrdiff_t;
    using pointer = Item* const*;
    using reference = Item*;
    const_iterator() = default;
    explicit const_iterator(Map::const_iterator it) : it_(it) {}
    explicit const_iterator(Item* const* p) : p_(p), flat_(true) {}
    Item* operator*() const { return flat_ ? *p_ : *it_; }
    const_iterator& operator++() {
      if (flat_) {
        ++p_;
      } else {
        ++it_;
      }
      return *this;
    }
    const_iterator& operator--() {
      if (flat_) {
        --p_;
      } else {
        --it_;
      }
      return *this;
    }
    const_iterator operator++(int) { auto c = *this; ++*this; return c; }
    const_iterator operator--(int) { auto c = *this; --*this; return c; }
    bool operator==(const const_iterator& o) const { return flat_ ? p_ == o.p_ : it_ == o.it_; }
    bool operator!=(const const_iterator& o) const { return !(*this == o); }

   private:
    friend class ClientStructs;
    Map::const_iterator it_;
    Item* const* p_ = nullptr;
    bool flat_ = false;
  };

  bool empty() const { return flat_ ? flat_items_.empty() : map_.empty(); }
  size_t size() const { return flat_ ? flat_items_.size() : map_.size(); }
  const_iterator begin() const { return flat_ ? const_iterator(flat_items_.data()) : const_iterator(map_.begin()); }
  const_iterator end() const {
    return flat_ ? const_iterator(flat_items_.data() + flat_items_.size()) : const_iterator(map_.end());
  }
  Item* front() const { return *begin(); }
  // The i-th struct in clock order. O(i): for tests and debugging, not for hot paths.
  Item* operator[](size_t i) const { return *std::next(begin(), static_cast<std::ptrdiff_t>(i)); }
  Item* back() const { return last_; }
  // The next clock of this client (0 when empty).
  uint64_t end_clock() const { return last_ ? last_->end_clock() : 0; }
  // The struct containing clock, or nullptr when clock >= end_clock().
  Item* Find(uint64_t clock) const {
    if (clock >= end_clock()) return nullptr;
    if (clock >= last_->id.clock) return last_;
    return *std::prev(UpperBound(clock));
  }
  // Position of the struct containing clock (end() when clock >= end_clock()).
  const_iterator FindIter(uint64_t clock) const {
    if (clock >= end_clock()) return end();
    return std::prev(UpperBound(clock));
  }
  // Calls f(items, n) on consecutive spans of the structs, in clock order:
  // the sorted vector as one span, the B-tree copied out kChunk at a time
  // into a stack array (the encoder's walk: no heap vector, and no test of
  // the form per step).
  template <typename F>
  void ForEachSpan(F&& f) const {
    if (flat_) {
      if (!flat_items_.empty()) f(static_cast<const Item* const*>(flat_items_.data()), flat_items_.size());
      return;
    }
    constexpr size_t kChunk = 256;
    const Item* chunk[kChunk];
    size_t n = 0;
    for (const Item* i : map_) {
      chunk[n++] = i;
      if (n == kChunk) {
        f(static_cast<const Item* const*>(chunk), n);
        n = 0;
      }
    }
    if (n > 0) f(static_cast<const Item* const*>(chunk), n);
  }
  // Position of a struct of this client.
  const_iterator IterOf(const Item* item) const {
    if (!flat_) return const_iterator(map_.find(item->id.clock));
    const_iterator it = std::prev(UpperBound(item->id.clock));
    return *it == item ? it : end();
  }
  // The struct right after / before `item` (nullptr at either end).
  Item* Next(const Item* item) const { return Find(item->end_clock()); }
  Item* Prev(const Item* item) const { return item->id.clock == 0 ? nullptr : Find(item->id.clock - 1); }

  // Before appending `n` structs to an empty client in one go (a whole-state
  // load): they go to a sorted vector, which a split or merge turns into the
  // B-tree the first time one happens (absl has no bulk build from a sorted
  // range, and one insert per struct was 15% of a load).
  void BeginBulk(size_t n) {
    if (!empty()) return;
    flat_ = true;
    flat_items_.reserve(n);
  }
  // The same for a load that writes its structs itself (an empty client
  // only): up to n of them go to the returned slots in clock order, then
  // EndBulkFill says how many (no per-struct call or capacity test).
  Item** BeginBulkFill(size_t n) {
    BeginBulk(n);
    flat_items_.resize(n);
    return flat_items_.data();
  }
  void EndBulkFill(size_t written) {
    flat_items_.resize(written);
    last_ = written ? flat_items_[written - 1] : nullptr;
  }
  // A new struct at the end (its clock is end_clock()).
  void Append(Item* item) {
    if (flat_) {
      flat_items_.push_back(item);
    } else {
      map_.insert(map_.end(), item);
    }
    last_ = item;
  }
  // The right half of a split (its clock lies inside the range already covered).
  void InsertSplit(Item* item) {
    Thaw();
    map_.insert(item);
    if (last_ && item->id.clock > last_->id.clock) last_ = item;
  }
  // Removes `right`, which merged into `left`, its neighbour by clock.
  void EraseMerged(const Item* right, Item* left) {
    Thaw();
    map_.erase(right->id.clock);
    if (last_ == right) last_ = left;
  }
  // Removes a struct that merged into its left neighbour; returns the position after it.
  const_iterator Erase(const_iterator pos) {
    Map::const_iterator at = pos.it_;
    if (flat_) {
      const uint64_t clock = (*pos)->id.clock;
      Thaw();
      at = map_.find(clock);
    }
    auto next = map_.erase(at);
    if (next == map_.end()) last_ = map_.empty() ? nullptr : *std::prev(map_.end());
    return const_iterator(next);
  }

 private:
  const_iterator UpperBound(uint64_t clock) const {
    if (!flat_) return const_iterator(map_.upper_bound(clock));
    Item* const* first = flat_items_.data();
    return const_iterator(std::upper_bound(first, first + flat_items_.size(), clock,
                                           [](uint64_t c, const Item* i) { return c < i->id.clock; }));
  }
  // Moves a bulk-loaded client into the B-tree (invalidates positions, as
  // any B-tree insert or erase does).
  void Thaw() {
    if (!flat_) return;
    map_ = Map(flat_items_.begin(), flat_items_.end());
    std::vector<Item*>().swap(flat_items_);
    flat_ = false;
  }

  Map map_;
  std::vector<Item*> flat_items_;  // the structs while flat_ (see BeginBulk)
  bool flat_ = false;
  Item* last_ = nullptr;  // the struct with the highest clock, cached for State()
};

class StructStore {
 public:
  // Clients in no particular order.
  absl::flat_hash_map<uint64_t, ClientStructs> clients;

  uint64_t State(uint64_t client) const {
    auto it = clients.find(client);
    return it == clients.end() ? 0 : it->second.end_clock();
  }
  StateVector GetStateVector() const;
  // Clears sv and fills it with the state of every client (reuses sv's memory).
  void FillStateVector(StateVector& sv) const;
  // The struct containing id, or nullptr.
  Item* Find(Id id) const {
    auto it = clients.find(id.client);
    return it == clients.end() ? nullptr : it->second.Find(id.clock);
  }
  void Append(Item* item) { clients[item->id.client].Append(item); }
};

struct DeleteRange {
  uint64_t clock;
  uint64_t len;
};

// A delete set's clients, ascending, each with its ranges: a vector instead
// of a std::map, as a transaction's delete set usually holds one client and a
// map node taken and given back per transaction cost more than the deletion
// it recorded.  Cleared entries stay as spares that keep their ranges'
// memory.  Insertion keeps the order (a rotate: delete sets hold few
// clients; bulk builders append and sort once, see SortClients).
class DeleteSetClients {
 public:
  using value_type = std::pair<uint64_t, std::vector<DeleteRange>>;
  using iterator = value_type*;
  using const_iterator = const value_type*;

  DeleteSetClients() = default;
  DeleteSetClients(const DeleteSetClients& o) : entries_(o.begin(), o.end()), size_(o.size_) {}
  DeleteSetClients& operator=(const DeleteSetClients& o) {
    if (this != &o) {
      entries_.assign(o.begin(), o.end());
      size_ = o.size_;
    }
    return *this;
  }
  DeleteSetClients(DeleteSetClients&& o) noexcept : entries_(std::move(o.entries_)), size_(o.size_) {
    o.entries_.clear();
    o.size_ = 0;
  }
  DeleteSetClients& operator=(DeleteSetClients&& o) noexcept {
    entries_ = std::move(o.entries_);
    size_ = o.size_;
    o.entries_.clear();
    o.size_ = 0;
    return *this;
  }

  iterator begin() { return entries_.data(); }
  iterator end() { return entries_.data() + size_; }
  const_iterator begin() const { return entries_.data(); }
  const_iterator end() const { return entries_.data() + size_; }
  std::reverse_iterator<const_iterator> rbegin() const { return std::reverse_iterator<const_iterator>(end()); }
  std::reverse_iterator<const_iterator> rend() const { return std::reverse_iterator<const_iterator>(begin()); }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  iterator find(uint64_t client) {
    iterator it = LowerBound(client);
    return it != end() && it->first == client ? it : end();
  }
  const_iterator find(uint64_t client) const { return const_cast<DeleteSetClients*>(this)->find(client); }
  bool contains(uint64_t client) const { return find(client) != end(); }
  size_t count(uint64_t client) const { return contains(client) ? 1 : 0; }
  std::vector<DeleteRange>& at(uint64_t client) {
    iterator it = find(client);
    if (it == end()) throw std::out_of_range("DeleteSetClients::at");
    return it->second;
  }
  const std::vector<DeleteRange>& at(uint64_t client) const { return const_cast<DeleteSetClients*>(this)->at(client); }
  std::vector<DeleteRange>& operator[](uint64_t client) { return try_emplace(client).first->second; }
  // The entry for `client`, made (with no ranges) when missing.
  std::pair<iterator, bool> try_emplace(uint64_t client) {
    if (size_ == 0 && !entries_.empty()) {  // (a reused delete set: no search, no move)
      entries_[0].first = client;
      size_ = 1;
      return {begin(), true};
    }
    iterator it = LowerBound(client);
    if (it != end() && it->first == client) return {it, false};
    return {Insert(static_cast<size_t>(it - begin()), client), true};
  }
  // Appends an entry without keeping the order; SortClients restores it
  // (for builders that add many clients).
  std::vector<DeleteRange>& AppendUnsorted(uint64_t client) {
    if (size_ == entries_.size()) entries_.emplace_back();
    entries_[size_].first = client;
    return entries_[size_++].second;
  }
  // Sorts entries by client, joining the ranges of repeated clients in the
  // order they were appended.
  void SortClients();
  // Empties the set; the entries' memory stays for reuse.
  void clear() {
    for (size_t i = 0; i < size_; i++) entries_[i].second.clear();
    size_ = 0;
  }

 private:
  iterator LowerBound(uint64_t client) {
    return std::lower_bound(begin(), end(), client, [](const value_type& e, uint64_t c) { return e.first < c; });
  }
  iterator Insert(size_t at, uint64_t client);

  std::vector<value_type> entries_;  // [0, size_) in use, ascending; the rest spare (no ranges)
  size_t size_ = 0;
};

class DeleteSet {
 public:
  DeleteSetClients clients;
  // Clients in the order Add first saw them (Yjs keeps a Map's insertion order,
  // and its undo manager re-creates deleted content in that order).
  std::vector<uint64_t> order;

  void Add(uint64_t client, uint64_t clock, uint64_t len) {
    if (len == 0) return;
    if (clients.size() == 1 && clients.begin()->first == client) {
      clients.begin()->second.push_back({clock, len});  // (a transaction's one client)
      return;
    }
    auto [it, inserted] = clients.try_emplace(client);
    if (inserted) order.push_back(client);
    it->second.push_back({clock, len});
  }
  // `order`, then clients added without Add, ascending.
  std::vector<uint64_t> OrderedClients() const;
  bool empty() const { return clients.empty(); }
  // Keeps the memory: a reused transaction's delete set then allocates nothing.
  void Clear() {
    clients.clear();
    order.clear();
  }
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
