#include "core/doc.h"

#include <algorithm>
#include <cstring>
#include <new>
#include <random>

#include "absl/container/inlined_vector.h"
#include "core/seq_index.h"
#include "core/update.h"
#include "encoding/utf8.h"

namespace codesync {

Doc::Doc(const DocOptions& options) : client_id_(options.client_id), gc_(options.gc), unit_(options.unit) {
  if (client_id_ == 0) {
    std::random_device rd;
    client_id_ = rd();  // 32 bits, as Yjs picks them
  }
}

Doc::~Doc() {
  for (auto& [client, structs] : store_.clients) {
    for (Item* item : structs) {
      if (item->pooled) {
        item->~Item();  // the slabs go with the Doc
      } else {
        delete item;
      }
    }
  }
  for (auto& [client, refs] : pending_structs) {
    for (StructRef& ref : refs) FreeItem(ref.item);
  }
}

absl::StatusOr<Branch*> Doc::Root(std::string_view name, TypeRef want) {
  auto it = roots_.find(name);
  if (it == roots_.end()) {
    Branch* b = NewBranch(want);
    auto [pos, inserted] = roots_.emplace(std::string(name), b);
    b->root_name = &pos->first;
    return b;
  }
  Branch* b = it->second;
  if (want == TypeRef::kUnknown || b->ref == want) return b;
  if (b->ref == TypeRef::kUnknown) {
    b->ref = want;
    return b;
  }
  return absl::FailedPreconditionError("root type '" + std::string(name) + "' exists with another kind");
}

Branch* Doc::NewBranch(TypeRef ref, std::string node_name) {
  branches_.push_back(std::make_unique<Branch>());
  Branch* b = branches_.back().get();
  b->ref = ref;
  b->node_name = std::move(node_name);
  b->doc = this;
  return b;
}

const std::string* Doc::Intern(std::string_view s) { return &*interned_.emplace(s).first; }

std::unique_ptr<UpdateScratch> Doc::TakeUpdateScratch() { return std::move(update_scratch_); }
void Doc::ReturnUpdateScratch(std::unique_ptr<UpdateScratch> s) { update_scratch_ = std::move(s); }

#if defined(__SANITIZE_ADDRESS__)
#define CODESYNC_ITEM_POOL 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CODESYNC_ITEM_POOL 0
#endif
#endif
#ifndef CODESYNC_ITEM_POOL
#define CODESYNC_ITEM_POOL 1
#endif

Item* Doc::NewItemSlow() {
  if (!CODESYNC_ITEM_POOL) return new Item();
  void* slot;
  if (free_items_) {
    slot = free_items_;
    free_items_ = *static_cast<void**>(slot);
  } else {
    if (slab_next_ == slab_end_) {
      // Slabs grow from 16 to 256 items: small documents stay small, and a
      // large one wastes at most one slab's tail (45 KB).
      slab_size_ = slab_size_ ? std::min<size_t>(slab_size_ * 2, 256) : 16;
      // Raw storage: each slot is constructed when handed out (no memset of the slab).
      item_slabs_.push_back(std::make_unique_for_overwrite<ItemSlot[]>(slab_size_));
      slab_next_ = item_slabs_.back().get();
      slab_end_ = slab_next_ + slab_size_;
    }
    slot = slab_next_++;
  }
  Item* item = new (slot) Item();
  item->pooled = true;
  return item;
}

char* Doc::AllocText(size_t n) {
  // The n bytes are the caller's to write (a load fills them at once); only
  // the slack, which the encoder reads past a string's end, is zeroed.
  text_blocks_.push_back(std::make_unique_for_overwrite<char[]>(n + kTextSlack));
  char* p = text_blocks_.back().get();
  std::memset(p + n, 0, kTextSlack);
  return p;
}

void Doc::FreeItem(Item* item) {
  if (item == typing_run_) typing_run_ = nullptr;
  if (!item->pooled) {
    delete item;
    return;
  }
  item->~Item();
  void* slot = item;
  *static_cast<void**>(slot) = free_items_;
  free_items_ = slot;
}

// (flatten: the two appends inline; a typing transaction makes exactly these.)
[[gnu::flatten]] void Transaction::AddTouched(uint64_t client, uint64_t clock_now) {
  hint_ = touched_clients.size();
  touched_clients.push_back(client);
  before_clocks_.push_back(clock_now);
  if (hint_ >= kLinear) IndexTouched(client);
}

void Transaction::IndexTouched(uint64_t client) {
  if (touched_clients.size() == kLinear + 1) {
    for (size_t i = 0; i < touched_clients.size(); i++) index_[touched_clients[i]] = i;
  } else {
    index_[client] = hint_;
  }
}

Transaction& Doc::Begin(std::optional<std::string> origin, bool local) {
  Transaction& t = Begin(local);
  // (Only the outermost Begin's origin counts; a spare transaction has none: Reset.)
  if (origin && txn_depth_ == 1) t.origin = std::move(origin);
  return t;
}

std::unique_ptr<Transaction> Doc::NewTransaction() {
  auto t = std::make_unique<Transaction>();
  t->doc = this;
  return t;
}

void Doc::CommitSlow() {
  std::unique_ptr<Transaction> t = std::move(txn_);
  const bool folded = FoldedOnly(*t);
  // The commit makes the merges that folded deletions anticipated (DeleteInRun).
  folds_.clear();
  folds_pending_ = false;
  if (folded && t->local && !t->loaded_merged) {
    // A local fold and nothing to tell anyone (FoldedOnly): of
    // CleanupTransaction's passes only the merges of new structs and split
    // halves have something to try; there is no formatting cleanup or client
    // id check for a local transaction.
    MergeNewStructs(*t, /*skip_loaded=*/false);
    t->Reset();
    spare_txn_ = std::move(t);
    return;
  }
  // Cleanups (formatting, below) run as transactions of their own, after this one.
  std::vector<std::unique_ptr<Transaction>> queue;
  CleanupTransaction(*t, folded, queue);
  for (size_t i = 0; i < queue.size(); i++) {
    Transaction* follow_up = queue[i].get();  // (stays put while the queue grows)
    CleanupTransaction(*follow_up, false, queue);
  }
  t->Reset();
  spare_txn_ = std::move(t);
}

bool Doc::QuietRemote(const Transaction& t) const {
  for (Branch* b : t.changed) {
    if (b->has_formatting) return false;
  }
  return !(t.Touched(client_id_) && store_.State(client_id_) != t.BeforeClock(client_id_));
}

bool Doc::FoldedOnly(const Transaction& t) const {
  if (folds_.size() != 1 || !folds_pending_ || t.delete_set.clients.size() != 1 || observed()) {
    return false;
  }
  const Fold& f = folds_.front();
  const auto& [client, ranges] = *t.delete_set.clients.begin();
  return ranges.size() == 1 && client == f.into->id.client && ranges[0].clock == f.clock && ranges[0].len == f.length;
}

// ---------------------------------------------------------------------------
// Splitting and lookup

// (The store directly: a local split leaves folds in place, see SettleFolds.)
Item* Doc::SplitOff(Transaction& t, Item* left, uint64_t diff) {
  Item* right = NewItem();
  SplitContent(*left, diff, *right);
  right->id = {left->id.client, left->id.clock + diff};
  right->origin = OptId::Of({left->id.client, left->id.clock + diff - 1});
  right->right_origin = left->right_origin;
  right->parent = left->parent;
  right->set_parent_sub(left->parent_sub());
  right->deleted = left->deleted;
  right->keep = left->keep;
  right->left = left;
  right->right = left->right;
  left->right = right;
  if (right->right) right->right->left = right;
  store_.clients[left->id.client].InsertSplit(right);
  t.AddMergeCandidate(right);
  if (right->parent_sub() && !right->right) right->parent->map[*right->parent_sub()] = right;
  return right;
}

Item* Doc::SplitItem(Transaction& t, Item* left, uint64_t diff) {
  const Weights old = left->weights();
  Item* right = SplitOff(t, left, diff);
  if (right->parent && !right->parent_sub()) {
    seq::Reweigh(right->parent->tree, left, old);
    seq::InsertAfter(right->parent->tree, left, right);
  }
  return right;
}

Item* Doc::GetItemCleanStart(Transaction& t, Id id) {
  if (folds_pending_) SettleFolds();
  Item* s = store_.clients[id.client].Find(id.clock);
  if (s->id.clock < id.clock && !s->is_gc()) return SplitItem(t, s, id.clock - s->id.clock);
  return s;
}

Item* Doc::GetItemCleanEnd(Transaction& t, Id id) {
  if (folds_pending_) SettleFolds();
  Item* s = store_.clients[id.client].Find(id.clock);
  if (id.clock != s->end_clock() - 1 && !s->is_gc()) SplitItem(t, s, id.clock - s->id.clock + 1);
  return s;
}

// ---------------------------------------------------------------------------
// Integration

std::optional<uint64_t> Doc::GetMissing(Transaction& t, StructRef& ref) {
  if (folds_pending_) SettleFolds();
  Item* item = ref.item;
  if (item->is_gc() || item->kind == ContentKind::kSkip) return std::nullopt;
  const uint64_t own = item->id.client;
  // The origin's client structs, looked up once for the check and the split
  // (a reference to the struct's own client always exists: it points back).
  ClientStructs* origin_structs = nullptr;
  if (item->origin.present()) {
    auto it = store_.clients.find(item->origin.id.client);
    if (it != store_.clients.end()) origin_structs = &it->second;
    if (item->origin.id.client != own && (!origin_structs || item->origin.id.clock >= origin_structs->end_clock())) {
      return item->origin.id.client;
    }
  }
  if (item->right_origin.present() && item->right_origin.id.client != own &&
      item->right_origin.id.clock >= store_.State(item->right_origin.id.client)) {
    return item->right_origin.id.client;
  }
  if (ref.parent_id.present() && ref.parent_id.id.client != own &&
      ref.parent_id.id.clock >= store_.State(ref.parent_id.id.client)) {
    return ref.parent_id.id.client;
  }
  // Everything referenced exists: resolve the references.
  Item* left = nullptr;
  Item* right = nullptr;
  if (item->origin.present()) {
    const Id o = item->origin.id;
    left = origin_structs->Find(o.clock);
    if (o.clock != left->end_clock() - 1 && !left->is_gc()) SplitItem(t, left, o.clock - left->id.clock + 1);
    item->origin = OptId::Of(left->last_id());
  }
  if (item->right_origin.present()) {
    // Usually the right origin is still the left origin's neighbour (always,
    // for a state written in clock order by one client): the struct holding
    // that clock is then at hand, without a B-tree lookup.
    const Id r = item->right_origin.id;
    Item* next = left ? left->right : nullptr;
    if (next && next->id.client == r.client && next->id.clock <= r.clock && r.clock < next->end_clock()) {
      right = next->id.clock == r.clock ? next : SplitItem(t, next, r.clock - next->id.clock);
    } else {
      right = GetItemCleanStart(t, r);
    }
    item->right_origin = OptId::Of(right->id);
  }
  item->left = left;
  item->right = right;
  item->parent = nullptr;
  if ((left && left->is_gc()) || (right && right->is_gc())) {
    // The neighbours were collected: so was the parent. Becomes a GC struct.
  } else if (!ref.parent_id.present() && !ref.parent_root) {
    Item* from = left ? left : right;
    if (from) {
      item->parent = from->parent;
      item->set_parent_sub(from->parent_sub());
    }
  } else if (ref.parent_id.present()) {
    Item* p = store_.Find(ref.parent_id.id);
    if (p && p->type()) item->parent = p->type();
  } else {
    item->parent = *Root(*ref.parent_root, TypeRef::kUnknown);
  }
  // Neighbours must live in the same parent and key; hostile input that claims
  // otherwise is dropped like content of a collected parent, never linked.
  if (item->parent) {
    for (Item* n : {left, right}) {
      if (n && (n->parent != item->parent || n->parent_sub() != item->parent_sub())) item->parent = nullptr;
    }
  }
  return std::nullopt;
}

Item* Doc::Integrate(Transaction& t, Item* item, uint64_t offset, bool absorb) {
  // (No SettleFolds: a local insert is fold-safe, and the remote paths read
  // store() before integrating.)
  // A client the transaction already has needs no clock lookup (Touch would not add it again).
  // Every struct integrates at its client's state (the offset cuts what we
  // already have), so that is the clock to record, with no State() lookup.
  const uint64_t client = item->id.client;
  if (t.touched_clients.empty() || t.touched_clients.back() != client) t.Touch(client, item->id.clock + offset);
  if (offset > 0) {
    item->id.clock += offset;
    if (!item->is_gc()) {
      Item* left = GetItemCleanEnd(t, {item->id.client, item->id.clock - 1});
      item->left = left;
      item->origin = OptId::Of(left->last_id());
      Item rest;
      SplitContent(*item, offset, rest);
      item->TakeContent(rest);
      item->length = rest.length;
      if (left->is_gc() || left->parent != item->parent || left->parent_sub() != item->parent_sub()) item->parent = nullptr;
    } else {
      item->length -= offset;
    }
  }
  if (item->is_gc() || !item->parent) {
    item->reset_extra();  // (while the kind still says what the payload is)
    item->kind = ContentKind::kGC;
    item->deleted = true;
    item->str.clear();
    item->parent = nullptr;
    item->set_parent_sub(nullptr);
    item->left = item->right = nullptr;
    store_.Append(item);
    t.appended++;
    return item;
  }
  Branch* parent = item->parent;
  const std::string* sub = item->parent_sub();
  Item* left = item->left;
  Item* right = item->right;
  if ((!left && (!right || right->left != nullptr)) || (left && left->right != right)) {
    Item* o;
    if (left) {
      o = left->right;
    } else if (sub) {
      auto it = parent->map.find(*sub);
      o = it == parent->map.end() ? nullptr : it->second;
      while (o && o->left) o = o->left;
    } else {
      o = parent->start;
    }
    // YATA: scan the items between left and right origin and place this one
    // after every item that must precede it; ties go to the lower client id.
    absl::flat_hash_set<const Item*> conflicting;
    absl::flat_hash_set<const Item*> before_origin;
    while (o && o != right) {
      before_origin.insert(o);
      conflicting.insert(o);
      if (item->origin == o->origin) {
        if (o->id.client < item->id.client) {
          left = o;
          conflicting.clear();
        } else if (item->right_origin == o->right_origin) {
          break;
        }
      } else if (o->origin.present() && before_origin.contains(store_.Find(o->origin.id))) {
        if (!conflicting.contains(store_.Find(o->origin.id))) {
          left = o;
          conflicting.clear();
        }
      } else {
        break;
      }
      o = o->right;
    }
    item->left = left;
  }
  if (absorb && item->kind == ContentKind::kString && !sub && item->left && parent->delta_observers.empty() &&
      !parent->has_formatting) {
    // TryMerge's conditions, decided now instead of at commit: same client,
    // next clock, origin at left's end, same right origin, adjacent, both live.
    // (Not under a delta observer, which must tell the old part from the new.)
    // The item's clock is its client's state, so a left neighbour ending there
    // is that client's newest struct.
    Item* l = item->left;
    if (l->kind == ContentKind::kString && !l->deleted && l->id.client == item->id.client &&
        l->end_clock() == item->id.clock &&
        item->origin == OptId::Of(l->last_id()) && item->right_origin == l->right_origin && !parent->is_deleted()) {
      const Weights added = AppendString(*l, item->str, item->length);  // l is live
      if (item->keep) l->keep = true;
      seq::AddWeights(parent->tree, l, added);
      t.changed.insert(parent);
      return l;
    }
  }
  if (item->left) {
    item->right = item->left->right;
    item->left->right = item;
  } else {
    Item* r;
    if (sub) {
      auto it = parent->map.find(*sub);
      r = it == parent->map.end() ? nullptr : it->second;
      while (r && r->left) r = r->left;
    } else {
      r = parent->start;
      parent->start = item;
    }
    item->right = r;
  }
  if (item->right) {
    item->right->left = item;
  } else if (sub) {
    parent->map[*sub] = item;
    if (item->left) DeleteItem(t, item->left);
  }
  if (!sub) {
    ComputeWeights(*item);
    seq::InsertAfter(parent->tree, item->left, item);
  }
  store_.Append(item);
  t.appended++;
  if (item->kind == ContentKind::kType) {
    if (!item->type()) {
      ContentExtra& e = item->mutable_extra();
      item->set_type(NewBranch(static_cast<TypeRef>(e.value.as_number()), e.key));
    }
    item->type()->item = item;
    item->type()->doc = this;
  } else if (item->kind == ContentKind::kFormat) {
    parent->has_formatting = true;
  } else if (item->kind == ContentKind::kDeleted) {
    // Content that arrives already deleted counts as deleted by this transaction (as in Yjs).
    item->deleted = true;
    t.delete_set.Add(item->id.client, item->id.clock, item->length);
  }
  t.changed.insert(parent);
  if ((parent->item && parent->item->deleted) || (sub && item->right)) DeleteItem(t, item);
  return item;
}

void Doc::RefreshOwnStructs() const {
  auto it = store_.clients.find(client_id_);
  own_structs_ = it == store_.clients.end() ? nullptr : &it->second;
  own_structs_clients_ = store_.clients.size();
  own_structs_capacity_ = store_.clients.capacity();
  own_structs_id_ = client_id_;
}

void Doc::AppendToOwnRun(Transaction& t, Item* left, std::string_view s, uint64_t utf16_len) {
  t.Touch(client_id_, left->end_clock());
  if (left != typing_run_) {
    if (typing_run_) typing_run_->str.shrink_to_fit();
    typing_run_ = left;
  }
  if (s.size() == utf16_len && left->ascii()) {
    // ASCII onto an ASCII run (AppendString's result, without its measuring):
    // bytes, UTF-16 units and code points all grow by the same count.
    if (s.size() == 1) {
      left->str.append(std::string_view(s.data(), 1));  // a one-byte copy, not a memcpy call
    } else {
      left->str.append(s);
    }
    left->length += utf16_len;
    left->codepoints = static_cast<uint32_t>(left->length);
    seq::AddWeights(left->parent->tree, left, Weights{{utf16_len, utf16_len, utf16_len, 0}});
  } else {
    seq::AddWeights(left->parent->tree, left, AppendString(*left, s, utf16_len));  // a live run
  }
  t.changed.insert(left->parent);
}

Item* Doc::InsertLocal(Transaction& t, Branch* parent, Item* left, Item* right, const std::string* parent_sub,
                       Item* content) {
  content->id = NextId();
  content->origin = left ? OptId::Of(left->last_id()) : OptId::None();
  content->right_origin = right ? OptId::Of(right->id) : OptId::None();
  content->parent = parent;
  content->set_parent_sub(parent_sub);
  content->left = left;
  content->right = right;
  Integrate(t, content, 0);
  return content;
}

void Doc::MarkDeleted(Transaction& t, Item* item) { MarkDeleted(t, item, item->weights()); }

void Doc::MarkDeleted(Transaction& t, Item* item, const Weights& old) {
  item->deleted = true;
  // Deleted: weighs nothing in any unit but still counts as one item.
  if (item->parent && !item->parent_sub()) seq::Reweigh(item->parent->tree, item, old);
  t.delete_set.Add(item->id.client, item->id.clock, item->length);
  if (item->parent) t.changed.insert(item->parent);
}

bool Doc::FoldDeletion(Transaction& t, Item* run, uint64_t from, uint64_t to) {
  // The general path splits the part off; the commit then collects it (a
  // deleted run) and merges it with the deleted run next to it.  Both are
  // certain when: collection is on and nothing can keep the part from it (no
  // after-transaction observer such as an undo manager, not `keep`), no
  // redone range blocks merges, and no delta observer reads the deleted text
  // at the commit.  Anything else that looks before the commit settles first.
  if (!gc_ || run->keep || run->parent_sub() || !after_transaction_observers_.empty() || !redone_.empty() ||
      !run->parent->delta_observers.empty()) {
    return false;
  }
  const uint64_t client = run->id.client;
  const bool at_start = from == 0;
  Item* into = at_start ? run->left : run->right;
  // TryMerge's conditions for the part and `into`, which nothing before the
  // commit can change (links between two deleted runs, origins, clocks).
  if (!into || into->kind != ContentKind::kDeleted || !into->deleted || into->id.client != client ||
      !(into->right_origin == run->right_origin)) {
    return false;
  }
  if (at_start ? into->end_clock() != run->id.clock || !(run->origin == OptId::Of(into->last_id()))
               : into->id.clock != run->end_clock() || !(into->origin == OptId::Of(run->last_id()))) {
    return false;
  }
  // Folded into the run on the right, the commit's delete-set pass starts at
  // that run's end, where the general path's only gets to from the split
  // half's merge candidate (added below either way): the same attempt, unless
  // the struct there is a deleted one that could merge, whose merge might then
  // come before others.  (A live one cannot merge into a deleted run.)
  if (!at_start) {
    const Item* next = into->right;
    if (next && next->deleted && next->id.client == client && next->id.clock == into->end_clock()) return false;
  }

  // The byte where the deleted part starts or ends (SplitContent's cut; a cut
  // inside a surrogate pair, which index checks refuse, is left to it).
  const uint64_t cut = at_start ? to : from;
  size_t b = cut;
  const bool ascii = run->ascii();
  if (!ascii) {
    bool inside_pair = false;
    b = utf8::ByteOffsetOfUtf16(run->str, cut, &inside_pair);
    if (inside_pair) return false;
  }
  if (folds_.empty()) fold_text_.clear();  // the last transaction's folds are gone
  const std::string_view str = run->str;
  Fold f{into, run->id.clock + from, to - from, at_start, fold_text_.size(), 0};
  // An ASCII run stays one and loses the part's length in every unit: its
  // index sums take that difference without weighing the run twice.
  const Weights old = ascii ? Weights{} : run->weights();
  if (at_start) {
    fold_text_.append(str.data(), b);
    const size_t rest = str.size() - b;
    std::memmove(run->str.data(), run->str.data() + b, rest);  // drops the head in place
    run->str.resize(rest);
    run->length -= to;
    into->length += to;
    run->id.clock += to;
    run->origin = OptId::Of(into->last_id());
    // `run` left the clocks it held: a struct noted by pointer and clock is
    // found by clock again.
    frees_++;
    t.AddMergeCandidate(run);  // the general path's right half of the split
  } else {
    fold_text_.append(str.data() + b, str.size() - b);
    run->str.resize(b);
    run->length = from;
    into->id.clock = f.clock;
    into->length += f.length;
    into->origin = OptId::Of(run->last_id());
    t.AddMergeCandidate(into);  // the general path's right half of the split
  }
  if (ascii) {
    const uint64_t gone = uint64_t{0} - f.length;  // modular, as Reweigh's differences
    seq::AddWeights(run->parent->tree, run, Weights{{gone, gone, gone, 0}});
  } else {
    ComputeWeights(*run);
    seq::Reweigh(run->parent->tree, run, old);
  }
  f.text_len = fold_text_.size() - f.text_at;
  t.delete_set.Add(client, f.clock, f.length);
  t.changed.insert(run->parent);
  folds_.push_back(f);
  folds_pending_ = true;
  return true;
}

void Doc::SettleFolds() {
  folds_pending_ = false;
  // Latest first: each restores the state the one before it left.
  for (auto f = folds_.rbegin(); f != folds_.rend(); ++f) {
    Item* x = f->into;
    Item* m = NewItem();
    m->id = {x->id.client, f->clock};
    m->length = f->length;
    m->kind = ContentKind::kString;
    m->str.assign(std::string_view(fold_text_).substr(f->text_at, f->text_len));
    m->deleted = true;
    m->right_origin = x->right_origin;
    m->parent = x->parent;
    ClientStructs& structs = store_.clients[x->id.client];
    if (f->at_start) {
      x->length -= f->length;  // gives back its tail
      m->origin = OptId::Of(x->last_id());
      m->left = x;
      m->right = x->right;
    } else {
      m->origin = x->origin;  // gives back its head
      x->id.clock += f->length;
      x->length -= f->length;
      x->origin = OptId::Of(m->last_id());
      m->left = x->left;
      m->right = x;
    }
    if (m->left) {
      m->left->right = m;
    } else {
      m->parent->start = m;
    }
    if (m->right) m->right->left = m;
    ComputeWeights(*m);
    seq::InsertAfter(m->parent->tree, m->left, m);
    structs.InsertSplit(m);
  }
  folds_.clear();
  fold_text_.clear();
  frees_++;  // structs noted by pointer may no longer hold their clock
}

Item* Doc::DeleteInRun(Transaction& t, Item* run, uint64_t from, uint64_t to) {
  if ((from == 0) != (to == run->length) && FoldDeletion(t, run, from, to)) {
    return from == 0 ? run->left : run->right;
  }
  seq::Tree& tree = run->parent->tree;
  const Weights old = run->weights();
  if (from == 0) {
    if (to < run->length) {
      Item* rest = SplitOff(t, run, to);
      MarkDeleted(t, run, old);  // reweighs `run` to nothing
      seq::InsertAfter(tree, run, rest);
    } else {
      MarkDeleted(t, run);
    }
    return run;
  }
  // Both splits first (the deleted part must still be live when `rest` is cut
  // from it, which copies its flags), then each piece weighed once.
  Item* mid = SplitOff(t, run, from);
  Item* rest = to - from < mid->length ? SplitOff(t, mid, to - from) : nullptr;
  seq::Reweigh(tree, run, old);
  mid->deleted = true;  // nothing in any unit, one item
  seq::InsertAfter(tree, run, mid);
  if (rest) seq::InsertAfter(tree, mid, rest);
  t.delete_set.Add(mid->id.client, mid->id.clock, mid->length);
  t.changed.insert(mid->parent);
  return mid;
}

void Doc::DeleteItem(Transaction& t, Item* first) {
  if (!first->type()) {
    if (!first->deleted) MarkDeleted(t, first);
    return;
  }
  // Its children's deleted runs become merge candidates: as Yjs holds them.
  if (folds_pending_) SettleFolds();
  // Iterative: deleting a type deletes its children, and nesting may be deep.
  std::vector<Item*> work{first};
  while (!work.empty()) {
    Item* item = work.back();
    work.pop_back();
    if (item->deleted) continue;
    MarkDeleted(t, item);
    if (!item->type()) continue;
    Branch* b = item->type();
    auto visit = [&](Item* c) {
      if (!c->deleted) {
        work.push_back(c);
      } else {
        if (c->id.clock < t.BeforeClock(c->id.client)) t.AddMergeCandidate(c);
      }
    };
    for (Item* c = b->start; c; c = c->right) visit(c);
    for (auto& [key, c] : b->map) visit(c);
  }
}

// ---------------------------------------------------------------------------
// Garbage collection and merging

void Doc::GcItem(Item* first, bool parent_gcd) {
  if (!parent_gcd && first->kind != ContentKind::kType && !first->is_gc() && first->deleted) {
    // Deleted content of a live parent (every deleted keystroke): no work list.
    first->reset_extra();  // (while the kind still says what the payload is)
    first->str.clear();
    first->str.shrink_to_fit();
    first->kind = ContentKind::kDeleted;
    return;
  }
  std::vector<std::pair<Item*, bool>> work{{first, parent_gcd}};
  while (!work.empty()) {
    auto [item, gcd] = work.back();
    work.pop_back();
    if (item->is_gc() || !item->deleted) continue;
    if (item->type()) {
      Branch* b = item->type();
      for (Item* c = b->start; c; c = c->right) work.push_back({c, true});
      for (auto& [key, c] : b->map) {
        for (Item* x = c; x; x = x->left) work.push_back({x, true});
      }
      b->start = nullptr;
      seq::Clear(b->tree);
      b->map.clear();
      // Handles to the type outlive its struct, which may now merge away.
      b->item = nullptr;
      b->collected = true;
      item->set_type(nullptr);
    }
    item->reset_extra();
    item->str.clear();
    item->str.shrink_to_fit();
    if (gcd) {
      // The parent is gone: nothing references this struct any more.
      item->kind = ContentKind::kGC;
      item->parent = nullptr;
      item->set_parent_sub(nullptr);
    } else {
      item->kind = ContentKind::kDeleted;
    }
  }
}

bool Doc::TryMerge(Item* left, Item* right) {
  if (left->is_gc() || right->is_gc()) {
    if (!(left->is_gc() && right->is_gc())) return false;
    left->length += right->length;
    return true;
  }
  if (!(right->origin == OptId::Of(left->last_id()) && left->right == right &&
        left->right_origin == right->right_origin && left->id.client == right->id.client &&
        left->end_clock() == right->id.clock && left->deleted == right->deleted && left->kind == right->kind &&
        ContentMergeable(left->kind))) {
    return false;
  }
  if (!redone_.empty() && (FindRedone(left->id, nullptr) || FindRedone(right->id, nullptr))) return false;
  if (right->parent_sub()) {
    auto it = right->parent->map.find(*right->parent_sub());
    if (it != right->parent->map.end() && it->second == right) it->second = left;
  }
  if (right->keep) left->keep = true;
  left->right = right->right;
  if (left->right) left->right->left = left;
  bool in_sequence = left->parent && !left->parent_sub();
  if (in_sequence) {
    // Same kind and visibility: the merged run weighs what both did (one
    // item); deleted runs weigh one item before and after (no walk to the root).
    const Weights old = left->weights();
    seq::Erase(left->parent->tree, right);
    MergeContent(*left, *right);
    seq::Reweigh(left->parent->tree, left, old);
  } else {
    MergeContent(*left, *right);
  }
  return true;
}

Item* Doc::ClockPrev(const ClientStructs& structs, Item* s) {
  Item* l = s->left;
  if (!s->is_gc() && l && l->id.client == s->id.client && l->end_clock() == s->id.clock) return l;
  return structs.Prev(s);
}

Item* Doc::NextThatMayMerge(const ClientStructs& structs, Item* s) {
  if (s->is_gc()) return structs.Next(s);
  return NextThatMayMerge(s);
}

Doc::Merged Doc::MergeWithLeftsSlow(ClientStructs& structs, Item* right) {
  size_t merged = 0;
  while (right->id.clock > 0) {
    Item* left;
    if (right->is_gc()) {
      left = structs.Prev(right);  // GC structs have no links: by clock
    } else {
      // TryMerge needs left->right == right, so the only struct that can take
      // `right` is its sequence neighbour, when that is its clock neighbour
      // too; anything else fails without a B-tree lookup.
      left = right->left;
      if (!left || left->id.client != right->id.client || left->end_clock() != right->id.clock) break;
    }
    if (left->deleted != right->deleted || left->is_gc() != right->is_gc() || !TryMerge(left, right)) break;
    structs.EraseMerged(right, left);
    FreeItem(right);
    frees_++;
    merged++;
    right = left;
  }
  return {right, merged};
}

void Doc::CleanupTransaction(Transaction& t, bool folded, std::vector<std::unique_ptr<Transaction>>& follow_ups) {
  if (!t.delete_set.empty() && !folded) t.delete_set.SortAndMerge();

  if (delta_observer_count_ > 0) EmitDeltas(t, follow_ups);
  if (!after_transaction_observers_.empty()) {
    busy_ = true;
    auto observers = after_transaction_observers_;  // callbacks may unsubscribe
    for (auto& [id, fn] : observers) fn(t);
    busy_ = false;
  }

  // After remote changes to formatted text, Yjs deletes format items that
  // became redundant, in a local transaction of its own.  So do we, so that a
  // peer ends in the same state as a yjs peer with the same history.
  if (!t.local) {
    bool formatted = false;
    for (Branch* b : t.changed) formatted |= b->has_formatting;
    if (formatted) {
      std::unique_ptr<Transaction> follow_up = NewFollowUp();
      CleanupFormatting(*follow_up, t);
      if (!follow_up->delete_set.empty()) follow_ups.push_back(std::move(follow_up));
    }
    // Someone else wrote structs under our client id: pick a new one, as Yjs does.
    // (Only a client the transaction touched can have moved.)
    if (t.Touched(client_id_) && store_.State(client_id_) != t.BeforeClock(client_id_)) {
      std::random_device rd;
      client_id_ = rd();
    }
  }

  // The struct holding the last clock of each range (highest first) when the
  // delete set has one client: the GC pass finds them, the merge pass starts
  // there while nothing has been freed (GC frees nothing and moves no boundary).
  // (Positions in the client's B-tree: valid while nothing is erased.)
  absl::InlinedVector<ClientStructs::const_iterator, 4> range_last;
  // A fold (DeleteInRun) left its range inside a collected deleted run `into`
  // and noted the merge candidate the general path's split makes.  From the
  // struct after the range leftwards, the delete-set pass would try: into's
  // clock neighbour on the right into it (the candidate tries that too), and,
  // for a tail folded into the run on its right, into into the live run it
  // came from (the candidate too); for a head folded into the run on its
  // left, the live rest into into.  Live into deleted fails.  (Yjs would also
  // try into into its own left, as two collected runs next to each other: they
  // would have merged at the later one's commit already.)
  //
  // A bulk load that proved no struct it loaded can merge: only split halves
  // (noted by observers) could, and they are merged below.
  const bool skip_loaded = t.loaded_merged && t.merge_structs.empty();
  if (gc_ && !folded && !t.loaded_collected) {
    const bool one_client = t.delete_set.clients.size() == 1;
    for (auto& [client, ranges] : t.delete_set.clients) {
      auto& structs = store_.clients[client];
      // Where the previous (higher) range started: the next range usually
      // starts a few structs before it (a decoded state's deleted runs), so
      // step back from there instead of a B-tree lookup per range.
      auto from = structs.end();
      for (auto r = ranges.rbegin(); r != ranges.rend(); ++r) {
        uint64_t end = r->clock + r->len;
        auto last = structs.end();
        int steps = 0;
        while (from != structs.begin() && from != structs.end() && (*from)->id.clock > r->clock && steps < 8) {
          --from;
          steps++;
        }
        if (from == structs.end() || (*from)->id.clock > r->clock || (*from)->end_clock() <= r->clock) {
          from = structs.FindIter(r->clock);
        }
        for (auto si = from; si != structs.end(); ++si) {
          Item* s = *si;
          if (s->id.clock >= end) break;
          last = si;
          if (!s->is_gc() && s->deleted && !s->keep) GcItem(s, false);
        }
        if (one_client) range_last.push_back(last);
      }
    }
  }

  // Merge deleted runs, new structs and split halves back where Yjs would
  // (tryMergeDeleteSet, then the clients with new structs, then the split
  // halves), visiting the same structs in the same order.
  const uint64_t frees_before_merge = frees_;
  for (auto& [client, ranges] : t.delete_set.clients) {
    if (folded || skip_loaded) break;
    auto& structs = store_.clients[client];
    const bool have_lasts = range_last.size() == ranges.size();
    for (auto r = ranges.rbegin(); r != ranges.rend(); ++r) {
      if (structs.empty()) break;
      // From the struct after the range (when there is one) leftwards into it.
      // `pos` is s's position while `cached` (nothing erased since the GC pass).
      bool cached = have_lasts && frees_ == frees_before_merge;
      ClientStructs::const_iterator pos;
      Item* s;
      if (cached) {
        pos = range_last[r - ranges.rbegin()];
        s = pos == structs.end() ? nullptr : *pos;
      } else {
        s = structs.Find(r->clock + r->len - 1);
      }
      if (!s) {
        s = structs.back();
        cached = false;
      } else if (Item* next = NextThatMayMerge(structs, s)) {
        s = next;  // (a struct after that cannot merge into s would stop at once)
        if (cached) ++pos;  // next holds s's end clock: the next position
      }
      while (s->id.clock > 0 && s->id.clock >= r->clock) {
        Merged m = MergeWithLefts(structs, s);
        s = m.into;
        if (s->id.clock == 0 || s->id.clock - 1 < r->clock) break;
        if (cached && m.merged == 0) {
          s = *--pos;
        } else {
          cached = false;
          s = ClockPrev(structs, s);
        }
      }
    }
  }
  MergeNewStructs(t, skip_loaded);

  if (update_observers_.empty()) return;
  bool changed = !t.delete_set.empty();
  std::vector<std::pair<uint64_t, uint64_t>> grown;  // (client, clock before) of clients with new structs
  for (size_t i = 0; i < t.touched_clients.size(); i++) {
    const uint64_t client = t.touched_clients[i];
    const uint64_t before = t.BeforeClock(client);
    if (before != store_.State(client)) grown.emplace_back(client, before);
  }
  if (!grown.empty()) changed = true;
  if (changed) {
    Encoder enc;
    WriteClientsStructs(store_, std::move(grown), enc);
    t.delete_set.Encode(enc);
    const std::vector<uint8_t>& bytes = enc.data();
    busy_ = true;
    auto observers = update_observers_;  // callbacks may unsubscribe
    for (auto& [id, fn] : observers) fn(bytes, t);
    busy_ = false;
  }
}

void Doc::MergeNewStructs(Transaction& t, bool skip_loaded) {
  // With no struct appended and none split off (splits are the only other
  // way a struct is added), every touched client only grew in place: the loop
  // would skip each of them.
  const bool new_structs = (t.appended > 0 || !t.merge_structs.empty()) && !skip_loaded;
  for (size_t c = 0; new_structs && c < t.touched_clients.size(); c++) {
    const uint64_t client = t.touched_clients[c];
    const uint64_t before = t.BeforeClock(client);
    auto it = store_.clients.find(client);
    if (it == store_.clients.end()) continue;
    ClientStructs& structs = it->second;
    if (structs.empty() || structs.end_clock() == before) continue;
    // Only appended in place to a struct older than the transaction (typing,
    // absorbed remote keystrokes): no new struct.  Yjs would merge the new one
    // into it and then try it against its own left, which already failed when
    // it was made and still fails (origins, right origins and clocks never
    // change, and both are live, as they were then).
    Item* s = structs.back();
    if (s->id.clock < before) continue;
    // The new structs, from the last one down to the one holding `before`,
    // stepping a position leftwards (a decoded state rarely has a struct's
    // clock neighbour as its sequence neighbour: no B-tree lookup per struct).
    // A merge erases from the B-tree, which invalidates the position.
    const uint64_t first = structs.Find(before)->id.clock;
    auto pos = std::prev(structs.end());
    while (s->id.clock > 0 && s->id.clock >= first) {
      Merged m = MergeWithLefts(structs, s);
      s = m.into;
      if (s->id.clock <= first) break;
      if (m.merged > 0) pos = structs.IterOf(s);
      s = *--pos;
    }
  }
  for (auto it = t.merge_structs.rbegin(); it != t.merge_structs.rend(); ++it) {
    // The client's structs are looked up only when needed: most attempts
    // fail on the items' own links (MayMergeLeft).
    ClientStructs* structs = nullptr;
    auto client_structs = [&]() -> ClientStructs& {
      if (!structs) structs = &store_.clients[it->id.client];
      return *structs;
    };
    // Nothing freed since it was noted: the struct made is still the one
    // holding the clock (structs only ever grow to the right).
    Item* s = it->frees == frees_ ? it->item : client_structs().Find(it->id.clock);
    if (!s) continue;
    if (Item* next = s->is_gc() ? client_structs().Next(s) : NextThatMayMerge(s)) {
      if (MayMergeLeft(next) && MergeWithLeftsSlow(client_structs(), next).merged > 1) continue;
      // `next` merged into `s` or stayed: either way `s` still holds the clock.
    }
    if (MayMergeLeft(s)) MergeWithLeftsSlow(client_structs(), s);
  }
}

std::unique_ptr<Transaction> Doc::NewFollowUp() {
  auto f = std::make_unique<Transaction>();
  f->doc = this;
  f->local = true;
  return f;
}

void Doc::EmitDeltas(Transaction& t, std::vector<std::unique_ptr<Transaction>>& follow_ups) {
  for (Branch* b : t.changed) {
    if (b->delta_observers.empty()) continue;
    std::vector<Item*> redundant;
    std::vector<DeltaOp> ops = ComputeDelta(*b, t, &redundant);
    if (!redundant.empty()) {
      // Computing a delta drops format items that change nothing, in a transaction of its own (as Yjs).
      follow_ups.push_back(NewFollowUp());
      for (Item* item : redundant) DeleteItem(*follow_ups.back(), item);
    }
    if (ops.empty()) continue;
    busy_ = true;
    auto observers = b->delta_observers;
    for (auto& [id, fn] : observers) fn(ops, t);
    busy_ = false;
  }
}

uint64_t Doc::AddUpdateObserver(UpdateObserver fn) {
  uint64_t id = next_observer_id_++;
  update_observers_.emplace_back(id, std::move(fn));
  return id;
}

void Doc::RemoveUpdateObserver(uint64_t id) {
  std::erase_if(update_observers_, [id](auto& p) { return p.first == id; });
}

uint64_t Doc::AddDeltaObserver(Branch* text, DeltaObserver fn) {
  if (folds_pending_) SettleFolds();  // it reads the deleted content at the commit
  uint64_t id = next_observer_id_++;
  text->delta_observers.emplace_back(id, std::move(fn));
  delta_observer_count_++;
  return id;
}

uint64_t Doc::AddAfterTransactionObserver(AfterTransactionObserver fn) {
  if (folds_pending_) SettleFolds();  // it may keep deleted content from collection
  uint64_t id = next_observer_id_++;
  after_transaction_observers_.emplace_back(id, std::move(fn));
  return id;
}

void Doc::RemoveAfterTransactionObserver(uint64_t id) {
  std::erase_if(after_transaction_observers_, [id](auto& p) { return p.first == id; });
}

const RedoneRange* Doc::FindRedone(Id id, uint64_t* start_clock) const {
  auto c = redone_.find(id.client);
  if (c == redone_.end()) return nullptr;
  auto it = c->second.upper_bound(id.clock);
  if (it == c->second.begin()) return nullptr;
  --it;
  if (id.clock >= it->first + it->second.len) return nullptr;
  if (start_clock) *start_clock = it->first;
  return &it->second;
}

void Doc::RemoveDeltaObserver(Branch* text, uint64_t id) {
  delta_observer_count_ -= std::erase_if(text->delta_observers, [id](auto& p) { return p.first == id; });
}

}  // namespace codesync
