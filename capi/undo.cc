// C API: the undo manager over lib/history/undo.
#include <memory>

#include "capi/internal.h"
#include "codesync.h"
#include "history/undo.h"

using codesync::Branch;
using codesync::history::UndoManager;
using namespace codesync::capi;  // NOLINT: the shim is all glue

struct codesync_undo_manager {
  std::unique_ptr<UndoManager> um;
};

struct codesync_undo_subscription {
  codesync_undo_manager* owner;
  uint64_t id;
};

namespace {

int NullArg(const char* what) { return SetError(CODESYNC_ERR_INVALID_ARGUMENT, std::string(what) + " is NULL"); }

int AddScope(codesync_undo_manager* um, Branch* b, const char* what) {
  if (!um || !b) return NullArg(!um ? "um" : what);
  if (b->doc != &um->um->doc()) {
    return SetError(CODESYNC_ERR_INVALID_ARGUMENT, std::string(what) + " belongs to another document");
  }
  um->um->AddScope(b);
  return CODESYNC_OK;
}

std::optional<std::string> Origin(const char* origin) {
  if (!origin) return std::nullopt;
  return std::string(origin);
}

int Step(codesync_undo_manager* um, bool undo, int* changed_out) {
  if (!um) return NullArg("um");
  auto r = undo ? um->um->Undo() : um->um->Redo();
  if (!r.ok()) return ToCode(r.status());
  if (changed_out) *changed_out = *r ? 1 : 0;
  return CODESYNC_OK;
}

}  // namespace

extern "C" {

void codesync_undo_options_init(codesync_undo_options* opts) {
  if (!opts) return;
  std::memset(opts, 0, sizeof(*opts));
  opts->capture_timeout_ms = 500;
  opts->clock = nullptr;
  opts->clock_user_data = nullptr;
  opts->origin = "codesync:undo";
}

codesync_undo_manager* codesync_undo_manager_new(codesync_doc* doc, const codesync_undo_options* opts) {
  return GuardPtr<codesync_undo_manager>([&]() -> codesync_undo_manager* {
    if (!doc) {
      NullArg("doc");
      return nullptr;
    }
    codesync_undo_options o;
    codesync_undo_options_init(&o);
    if (opts) o = *opts;
    if (o.capture_timeout_ms < 0) {
      SetError(CODESYNC_ERR_INVALID_ARGUMENT, "capture_timeout_ms is negative");
      return nullptr;
    }
    UndoManager::Options options;
    options.capture_timeout_ms = o.capture_timeout_ms;
    options.origin = Origin(o.origin);
    if (o.clock) {
      codesync_clock_fn fn = o.clock;
      void* data = o.clock_user_data;
      options.clock = [fn, data] { return fn(data); };
    }
    auto* um = new codesync_undo_manager();
    um->um = std::make_unique<UndoManager>(doc->doc, std::move(options));
    return um;
  });
}

void codesync_undo_manager_free(codesync_undo_manager* um) { delete um; }

int codesync_undo_manager_add_text(codesync_undo_manager* um, codesync_text* text) {
  return Guard([&] { return AddScope(um, reinterpret_cast<Branch*>(text), "text"); });
}
int codesync_undo_manager_add_map(codesync_undo_manager* um, codesync_map* map) {
  return Guard([&] { return AddScope(um, reinterpret_cast<Branch*>(map), "map"); });
}
int codesync_undo_manager_add_array(codesync_undo_manager* um, codesync_array* array) {
  return Guard([&] { return AddScope(um, reinterpret_cast<Branch*>(array), "array"); });
}

int codesync_undo_manager_add_tracked_origin(codesync_undo_manager* um, const char* origin) {
  return Guard([&]() -> int {
    if (!um) return NullArg("um");
    um->um->AddTrackedOrigin(Origin(origin));
    return CODESYNC_OK;
  });
}

int codesync_undo_manager_remove_tracked_origin(codesync_undo_manager* um, const char* origin) {
  return Guard([&]() -> int {
    if (!um) return NullArg("um");
    um->um->RemoveTrackedOrigin(Origin(origin));
    return CODESYNC_OK;
  });
}

int codesync_undo_manager_undo(codesync_undo_manager* um, int* changed_out) {
  return Guard([&] { return Step(um, true, changed_out); });
}
int codesync_undo_manager_redo(codesync_undo_manager* um, int* changed_out) {
  return Guard([&] { return Step(um, false, changed_out); });
}

int codesync_undo_manager_can_undo(const codesync_undo_manager* um) { return um && um->um->CanUndo() ? 1 : 0; }
int codesync_undo_manager_can_redo(const codesync_undo_manager* um) { return um && um->um->CanRedo() ? 1 : 0; }
size_t codesync_undo_manager_undo_depth(const codesync_undo_manager* um) { return um ? um->um->UndoDepth() : 0; }
size_t codesync_undo_manager_redo_depth(const codesync_undo_manager* um) { return um ? um->um->RedoDepth() : 0; }

int codesync_undo_manager_stop_capturing(codesync_undo_manager* um) {
  if (!um) return NullArg("um");
  um->um->StopCapturing();
  return CODESYNC_OK;
}

int codesync_undo_manager_clear(codesync_undo_manager* um) {
  return Guard([&]() -> int {
    if (!um) return NullArg("um");
    return ToCode(um->um->Clear());
  });
}

int codesync_undo_manager_set_time(codesync_undo_manager* um, int64_t now_ms) {
  if (!um) return NullArg("um");
  um->um->SetTime(now_ms);
  return CODESYNC_OK;
}

int codesync_undo_manager_set_meta(codesync_undo_manager* um, codesync_undo_stack stack, const uint8_t* meta,
                                   size_t len) {
  return Guard([&]() -> int {
    if (!um) return NullArg("um");
    if (!meta && len) return NullArg("meta");
    if (stack != CODESYNC_UNDO_STACK_UNDO && stack != CODESYNC_UNDO_STACK_REDO) {
      return SetError(CODESYNC_ERR_INVALID_ARGUMENT, "unknown stack");
    }
    UndoManager::StackItem* top =
        um->um->Top(stack == CODESYNC_UNDO_STACK_UNDO ? UndoManager::Stack::kUndo : UndoManager::Stack::kRedo);
    if (!top) return SetError(CODESYNC_ERR_OUT_OF_RANGE, "the stack is empty");
    top->meta.assign(reinterpret_cast<const char*>(meta ? meta : reinterpret_cast<const uint8_t*>("")), len);
    return CODESYNC_OK;
  });
}

int codesync_undo_manager_get_meta(codesync_undo_manager* um, codesync_undo_stack stack, codesync_buffer* out) {
  return Guard([&]() -> int {
    if (!um) return NullArg("um");
    if (stack != CODESYNC_UNDO_STACK_UNDO && stack != CODESYNC_UNDO_STACK_REDO) {
      return SetError(CODESYNC_ERR_INVALID_ARGUMENT, "unknown stack");
    }
    UndoManager::StackItem* top =
        um->um->Top(stack == CODESYNC_UNDO_STACK_UNDO ? UndoManager::Stack::kUndo : UndoManager::Stack::kRedo);
    if (!top) return SetError(CODESYNC_ERR_OUT_OF_RANGE, "the stack is empty");
    return Fill(out, top->meta);
  });
}

codesync_undo_subscription* codesync_undo_manager_observe(codesync_undo_manager* um, codesync_undo_fn fn,
                                                          void* user_data) {
  return GuardPtr<codesync_undo_subscription>([&]() -> codesync_undo_subscription* {
    if (!um || !fn) {
      NullArg(!um ? "um" : "fn");
      return nullptr;
    }
    uint64_t id = um->um->AddListener([um, fn, user_data](const UndoManager::Event& e) {
      codesync_undo_event ev;
      ev.kind = e.kind == UndoManager::EventKind::kAdded     ? CODESYNC_UNDO_ITEM_ADDED
                : e.kind == UndoManager::EventKind::kUpdated ? CODESYNC_UNDO_ITEM_UPDATED
                                                             : CODESYNC_UNDO_ITEM_POPPED;
      ev.stack = e.stack == UndoManager::Stack::kUndo ? CODESYNC_UNDO_STACK_UNDO : CODESYNC_UNDO_STACK_REDO;
      ev.origin = e.origin && *e.origin ? (*e.origin)->c_str() : nullptr;
      ev.meta = e.item->meta.empty() ? nullptr : reinterpret_cast<const uint8_t*>(e.item->meta.data());
      ev.meta_len = e.item->meta.size();
      fn(um, &ev, user_data);
    });
    return new codesync_undo_subscription{um, id};
  });
}

void codesync_undo_manager_unobserve(codesync_undo_subscription* sub) {
  if (!sub) return;
  sub->owner->um->RemoveListener(sub->id);
  delete sub;
}

}  // extern "C"
