#include "history/undo.h"

#include <algorithm>
#include <memory>

#include "history/positions.h"

namespace codesync::history {

void IterateStructs(Doc& doc, Transaction& t, const DeleteSet& ds, const std::function<void(Item*)>& f) {
  StructStore& store = doc.store();
  for (uint64_t client : ds.OrderedClients()) {  // in Yjs's order: it decides the ids of re-created content
    if (store.clients.find(client) == store.clients.end()) continue;
    for (const DeleteRange& r : ds.clients.at(client)) {
      const uint64_t state = store.State(client);
      if (r.len == 0 || r.clock >= state) continue;
      const uint64_t end = std::min(r.clock + r.len, state);
      Item* s = doc.GetItemCleanStart(t, {client, r.clock});
      while (s && s->id.clock < end) {
        if (end < s->end_clock()) doc.GetItemCleanStart(t, {client, end});
        f(s);
        s = store.clients.at(client).Next(s);
      }
    }
  }
}

void UndoManager::StackItem::Normalize() {
  if (normalized) return;
  deletions.SortAndMerge();
  insertions.SortAndMerge();
  normalized = true;
}

void KeepItem(Item* item, bool keep) {
  while (item && item->keep != keep) {
    item->keep = keep;
    item = item->parent ? item->parent->item : nullptr;
  }
}

UndoManager::UndoManager(Doc& doc, Options options) : doc_(doc), options_(std::move(options)) {
  hook_id_ = doc_.AddAfterTransactionObserver([this](Transaction& t) { OnAfterTransaction(t); });
}

UndoManager::~UndoManager() { doc_.RemoveAfterTransactionObserver(hook_id_); }

bool UndoManager::InScope(const Item* item) const {
  while (item && item->parent) {
    if (scope_.contains(item->parent)) return true;
    item = item->parent->item;
  }
  return false;
}

bool UndoManager::ScopeChanged(const Transaction& t) const {
  // Yjs changedParentTypes: every changed, live type and all its ancestors.
  for (Branch* b : t.changed) {
    if (b->is_deleted()) continue;
    for (Branch* x = b; x;) {
      if (scope_.contains(x)) return true;
      x = x->item ? x->item->parent : nullptr;
    }
  }
  return false;
}

bool UndoManager::DeletedByStacks(Id id) {
  for (auto* stack : {&undo_, &redo_}) {
    for (StackItem& s : *stack) {
      s.Normalize();
      if (s.deletions.Contains(id)) return true;
    }
  }
  return false;
}

void UndoManager::ClearItem(Transaction& t, StackItem& item) {
  item.Normalize();
  IterateStructs(doc_, t, item.deletions, [&](Item* s) {
    if (!s->is_gc() && InScope(s)) KeepItem(s, false);
  });
}

absl::Status UndoManager::Clear(bool undo_stack, bool redo_stack) {
  if (!((undo_stack && CanUndo()) || (redo_stack && CanRedo()))) return absl::OkStatus();
  if (doc_.busy() || doc_.txn()) {
    return absl::UnavailableError("the document is busy: clear the undo manager outside transactions and observers");
  }
  Transaction& t = doc_.Begin(std::nullopt, /*local=*/true);
  if (undo_stack) {
    for (StackItem& s : undo_) ClearItem(t, s);
    undo_.clear();
  }
  if (redo_stack) {
    for (StackItem& s : redo_) ClearItem(t, s);
    redo_.clear();
  }
  doc_.Commit();
  return absl::OkStatus();
}

void UndoManager::OnAfterTransaction(Transaction& t) {
  const bool own = &t == own_txn_;
  if (!own && !IsTracked(t.origin)) return;
  if (!ScopeChanged(t)) return;
  const bool undoing = own && undoing_;
  const bool redoing = own && redoing_;
  std::vector<StackItem>& stack = undoing ? redo_ : undo_;
  if (undoing) {
    StopCapturing();  // the next undo gets a stack item of its own
  } else if (!redoing && !redo_.empty()) {
    // A new change: what was undone can no longer be redone.
    for (StackItem& s : redo_) ClearItem(t, s);
    redo_.clear();
  }
  DeleteSet insertions;
  std::vector<uint64_t> grown(t.touched_clients.begin(), t.touched_clients.end());  // clients with new structs
  std::sort(grown.begin(), grown.end());
  for (uint64_t client : grown) {
    uint64_t before = t.BeforeClock(client);
    uint64_t after = doc_.store().State(client);
    if (after > before) insertions.Add(client, before, after - before);
  }
  insertions.SortAndMerge();
  const int64_t now = Now();
  bool added = false;
  if (has_last_change_ && now - last_change_ < options_.capture_timeout_ms && !stack.empty() && !undoing &&
      !redoing) {
    StackItem& top = stack.back();
    for (const auto* from : {&t.delete_set, &insertions}) {
      DeleteSet& into = from == &insertions ? top.insertions : top.deletions;
      for (uint64_t client : from->OrderedClients()) {
        for (const DeleteRange& r : from->clients.at(client)) into.Add(client, r.clock, r.len);
      }
    }
    top.normalized = false;
  } else {
    stack.push_back(StackItem{t.delete_set, std::move(insertions), {}});
    added = true;
  }
  if (!undoing && !redoing) {
    last_change_ = now;
    has_last_change_ = true;
  }
  // Deleted content this stack item may re-create must not be collected.
  IterateStructs(doc_, t, t.delete_set, [&](Item* s) {
    if (!s->is_gc() && InScope(s)) KeepItem(s, true);
  });
  Emit({added ? EventKind::kAdded : EventKind::kUpdated, undoing ? Stack::kRedo : Stack::kUndo, &t.origin,
        &stack.back()});
}

absl::StatusOr<bool> UndoManager::Undo() {
  undoing_ = true;
  auto r = Pop(Stack::kUndo);
  undoing_ = false;
  return r;
}

absl::StatusOr<bool> UndoManager::Redo() {
  redoing_ = true;
  auto r = Pop(Stack::kRedo);
  redoing_ = false;
  return r;
}

Item* UndoManager::RedoneOf(Transaction& t, Item* item) {
  uint64_t start = 0;
  const RedoneRange* r = doc_.FindRedone(item->id, &start);
  if (!r) return nullptr;
  return doc_.GetItemCleanStart(t, {r->target.client, r->target.clock + (item->id.clock - start)});
}

namespace {

// A new item holding a copy of item's content (Yjs content.copy()).
Item* CopyContent(Doc& doc, const Item& item) {
  Item* c = doc.NewItem();
  c->kind = item.kind;
  c->length = item.length;
  c->str = item.str;
  if (item.extra()) c->set_extra(std::make_unique<ContentExtra>(*item.extra()));
  if (item.kind == ContentKind::kType) {
    // A copied type starts empty; its former children are re-created into it.
    c->set_type(doc.NewBranch(item.type()->ref, item.type()->node_name));
  }
  return c;
}

bool SameParentItem(const Item* x, const Item* parent_item) { return x->parent && x->parent->item == parent_item; }

}  // namespace

Item* UndoManager::RedoItem(Transaction& t, Item* item, const absl::flat_hash_set<Item*>& redo_items,
                            const DeleteSet& inserted) {
  if (Item* done = RedoneOf(t, item)) return done;
  Item* parent_item = item->parent->item;
  if (parent_item && parent_item->deleted) {
    // Re-create the parent first, if this stack item re-creates it anyway.
    if (!doc_.FindRedone(parent_item->id, nullptr) &&
        (!redo_items.contains(parent_item) || !RedoItem(t, parent_item, redo_items, inserted))) {
      return nullptr;
    }
    while (Item* next = RedoneOf(t, parent_item)) parent_item = next;
  }
  Branch* parent_type = parent_item ? parent_item->type() : item->parent;
  if (!parent_type || parent_type->collected) return nullptr;
  if (item->kind == ContentKind::kType && !item->type()) return nullptr;

  Item* left = nullptr;
  Item* right = nullptr;
  if (!item->parent_sub()) {
    // At the old position: nearest neighbours that live (or were re-created) in the parent.
    for (left = item->left; left; left = left->left) {
      Item* trace = left;
      while (trace && !SameParentItem(trace, parent_item)) trace = RedoneOf(t, trace);
      if (trace) {
        left = trace;
        break;
      }
    }
    for (right = item; right; right = right->right) {
      Item* trace = right;
      while (trace && !SameParentItem(trace, parent_item)) trace = RedoneOf(t, trace);
      if (trace) {
        right = trace;
        break;
      }
    }
  } else {
    auto current = [&]() -> Item* {
      auto it = parent_type->map.find(*item->parent_sub());
      return it == parent_type->map.end() ? nullptr : it->second;
    };
    if (item->right) {
      // Later values of the key that this undo removes anyway may be overwritten;
      // any other later value is another peer's change and wins.
      left = item;
      while (left && left->right &&
             (doc_.FindRedone(left->right->id, nullptr) || inserted.Contains(left->right->id) ||
              DeletedByStacks(left->right->id))) {
        left = left->right;
        while (Item* next = RedoneOf(t, left)) left = next;
      }
      if (left && left->right) return nullptr;
    } else {
      left = current();
    }
    if (left && !SameParentItem(left, parent_item)) left = current();
  }
  Item* copy = CopyContent(doc_, *item);
  Id next = doc_.NextId();
  doc_.redone()[item->id.client][item->id.clock] = RedoneRange{item->length, next};
  copy->keep = true;
  KeepItem(parent_type->item, true);
  doc_.InsertLocal(t, parent_type, left, right, item->parent_sub(), copy);
  return copy;
}

absl::StatusOr<bool> UndoManager::Pop(Stack from) {
  if (doc_.busy()) return absl::UnavailableError("the document is busy: undo from inside an observer is refused");
  if (doc_.txn()) return absl::UnavailableError("undo and redo are refused while a transaction is open");
  std::vector<StackItem>& stack = from == Stack::kUndo ? undo_ : redo_;
  std::optional<StackItem> result;
  Transaction& t = doc_.Begin(options_.origin, /*local=*/true);
  own_txn_ = &t;
  while (!stack.empty() && !result) {
    StackItem s = std::move(stack.back());
    stack.pop_back();
    s.Normalize();
    std::vector<Item*> to_delete;
    std::vector<Item*> to_redo;
    absl::flat_hash_set<Item*> redo_set;
    IterateStructs(doc_, t, s.insertions, [&](Item* st) {
      if (st->is_gc()) return;
      if (doc_.FindRedone(st->id, nullptr)) {
        uint64_t diff = 0;
        Item* copy = FollowRedone(doc_, st->id, &diff);
        if (diff > 0) copy = doc_.GetItemCleanStart(t, {copy->id.client, copy->id.clock + diff});
        st = copy;
      }
      if (!st->deleted && InScope(st)) to_delete.push_back(st);
    });
    IterateStructs(doc_, t, s.deletions, [&](Item* st) {
      // Content created and deleted within the same stack item stays deleted.
      if (!st->is_gc() && InScope(st) && !s.insertions.Contains(st->id) && redo_set.insert(st).second) {
        to_redo.push_back(st);
      }
    });
    bool changed = false;
    for (Item* st : to_redo) changed = RedoItem(t, st, redo_set, s.insertions) != nullptr || changed;
    // Children before parents.
    for (auto it = to_delete.rbegin(); it != to_delete.rend(); ++it) {
      doc_.DeleteItem(t, *it);
      changed = true;
    }
    if (changed) result = std::move(s);
  }
  doc_.Commit();  // records the inverse change on the other stack
  own_txn_ = nullptr;
  if (!result) return false;
  Emit({EventKind::kPopped, from, &options_.origin, &*result});
  return true;
}

uint64_t UndoManager::AddListener(Listener fn) {
  uint64_t id = next_listener_++;
  listeners_.emplace_back(id, std::move(fn));
  return id;
}

void UndoManager::RemoveListener(uint64_t id) {
  std::erase_if(listeners_, [id](auto& p) { return p.first == id; });
}

void UndoManager::Emit(const Event& e) {
  auto listeners = listeners_;  // callbacks may unsubscribe
  for (auto& [id, fn] : listeners) fn(e);
}

}  // namespace codesync::history
