// The C ABI of awareness, the sync messages and rooms (lib/awareness, lib/sync).
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "awareness/awareness.h"
#include "capi/internal.h"
#include "codesync.h"
#include "core/update.h"
#include "encoding/utf8.h"
#include "sync/protocol.h"
#include "sync/room.h"

struct codesync_awareness {
  std::unique_ptr<codesync::Awareness> owned;  // null when borrowed from a room
  codesync::Awareness* aw;
};

struct codesync_awareness_subscription {
  codesync::Awareness* aw;
  uint64_t id;
};

struct codesync_room {
  codesync_doc doc;
  codesync::sync::Room room;
  codesync_awareness awareness;
  codesync_room(const codesync::DocOptions& d, const codesync::sync::RoomOptions& r)
      : doc(d), room(doc.doc, r), awareness{nullptr, &room.awareness()} {}
};

using namespace codesync::capi;  // NOLINT: the shim is all glue

namespace {

int Null(const char* what) { return SetError(CODESYNC_ERR_INVALID_ARGUMENT, std::string(what) + " is NULL"); }

std::optional<std::string> Origin(const char* origin) {
  if (!origin) return std::nullopt;
  return std::string(origin);
}

const uint8_t* Bytes(const uint8_t* p) { return p ? p : reinterpret_cast<const uint8_t*>(""); }

std::string_view View(const uint8_t* p, size_t len) { return {reinterpret_cast<const char*>(Bytes(p)), len}; }

// Everything with a state when clients is NULL.
std::vector<uint64_t> ClientList(const codesync::Awareness& aw, const uint64_t* clients, size_t count) {
  if (!clients) return aw.Clients();
  return std::vector<uint64_t>(clients, clients + count);
}

}  // namespace

/* ---- Awareness ----------------------------------------------------------- */

codesync_awareness* codesync_awareness_new(uint64_t client_id, int64_t timeout_ms) {
  return GuardPtr<codesync_awareness>([&]() -> codesync_awareness* {
    auto aw = std::make_unique<codesync::Awareness>(
        client_id, timeout_ms > 0 ? timeout_ms : codesync::Awareness::kOutdatedTimeoutMs);
    codesync::Awareness* raw = aw.get();
    return new codesync_awareness{std::move(aw), raw};
  });
}

void codesync_awareness_free(codesync_awareness* aw) {
  if (!aw || !aw->owned) return;  // the room's awareness goes with the room
  delete aw;
}

uint64_t codesync_awareness_client_id(const codesync_awareness* aw) { return aw ? aw->aw->client_id() : 0; }

int codesync_awareness_set_local_state(codesync_awareness* aw, const char* json, size_t len, int64_t now_ms) {
  return Guard([&]() -> int {
    if (!aw) return Null("aw");
    if (!json) return ToCode(aw->aw->SetLocalState(std::nullopt, now_ms).status());
    return ToCode(aw->aw->SetLocalStateJson(std::string_view(json, len), now_ms).status());
  });
}

int codesync_awareness_local_state(codesync_awareness* aw, codesync_buffer* out) {
  return Guard([&]() -> int {
    if (!aw) return Null("aw");
    const std::string* json = aw->aw->StateJson(aw->aw->client_id());
    return Fill(out, json ? *json : std::string("null"));
  });
}

int codesync_awareness_state(codesync_awareness* aw, uint64_t client_id, codesync_buffer* out) {
  return Guard([&]() -> int {
    if (!aw) return Null("aw");
    const std::string* json = aw->aw->StateJson(client_id);
    if (!json) return SetError(CODESYNC_ERR_OUT_OF_RANGE, "the client has no awareness state");
    return Fill(out, *json);
  });
}

int codesync_awareness_clock(codesync_awareness* aw, uint64_t client_id, uint64_t* clock_out) {
  return Guard([&]() -> int {
    if (!aw) return Null("aw");
    if (!clock_out) return Null("clock_out");
    auto clock = aw->aw->Clock(client_id);
    if (!clock) return SetError(CODESYNC_ERR_OUT_OF_RANGE, "the client was never seen");
    *clock_out = *clock;
    return CODESYNC_OK;
  });
}

size_t codesync_awareness_count(const codesync_awareness* aw) { return aw ? aw->aw->size() : 0; }

int codesync_awareness_clients(codesync_awareness* aw, uint64_t* clients, size_t capacity, size_t* count_out) {
  return Guard([&]() -> int {
    if (!aw) return Null("aw");
    if (!count_out) return Null("count_out");
    if (!clients && capacity) return Null("clients");
    std::vector<uint64_t> all = aw->aw->Clients();
    for (size_t i = 0; i < all.size() && i < capacity; i++) clients[i] = all[i];
    *count_out = all.size();
    return CODESYNC_OK;
  });
}

int codesync_awareness_states_json(codesync_awareness* aw, codesync_buffer* out) {
  return Guard([&]() -> int {
    if (!aw) return Null("aw");
    return Fill(out, aw->aw->StatesJson());
  });
}

int codesync_awareness_apply_update(codesync_awareness* aw, const uint8_t* update, size_t len, int64_t now_ms,
                                    const char* origin) {
  return Guard([&]() -> int {
    if (!aw) return Null("aw");
    if (!update && len) return Null("update");
    return ToCode(aw->aw->ApplyUpdate(Bytes(update), len, now_ms, Origin(origin)).status());
  });
}

int codesync_awareness_encode_update(codesync_awareness* aw, const uint64_t* clients, size_t count,
                                     codesync_buffer* out) {
  return Guard([&]() -> int {
    if (!aw) return Null("aw");
    return Fill(out, aw->aw->EncodeUpdate(ClientList(*aw->aw, clients, count)));
  });
}

int codesync_awareness_remove_states(codesync_awareness* aw, const uint64_t* clients, size_t count, int64_t now_ms,
                                     const char* origin) {
  return Guard([&]() -> int {
    if (!aw) return Null("aw");
    if (!clients && count) return Null("clients");
    std::vector<uint64_t> list(clients, clients + (clients ? count : 0));
    return ToCode(aw->aw->RemoveStates(list, now_ms, Origin(origin)).status());
  });
}

int codesync_awareness_tick(codesync_awareness* aw, int64_t now_ms) {
  return Guard([&]() -> int {
    if (!aw) return Null("aw");
    return ToCode(aw->aw->Tick(now_ms).status());
  });
}

codesync_awareness_subscription* codesync_awareness_observe(codesync_awareness* aw, codesync_awareness_fn fn,
                                                            void* user_data) {
  return GuardPtr<codesync_awareness_subscription>([&]() -> codesync_awareness_subscription* {
    if (!aw || !fn) {
      Null(!aw ? "aw" : "fn");
      return nullptr;
    }
    uint64_t id = aw->aw->AddObserver(
        [fn, user_data](const codesync::AwarenessChange& c, const std::optional<std::string>& origin) {
          codesync_awareness_change change = {c.added.data(),   c.added.size(),   c.updated.data(),
                                              c.updated.size(), c.renewed.data(), c.renewed.size(),
                                              c.removed.data(), c.removed.size()};
          fn(&change, origin ? origin->c_str() : nullptr, user_data);
        });
    return new codesync_awareness_subscription{aw->aw, id};
  });
}

void codesync_awareness_unobserve(codesync_awareness_subscription* sub) {
  if (!sub) return;
  sub->aw->RemoveObserver(sub->id);
  delete sub;
}

/* ---- Sync messages ------------------------------------------------------- */

int codesync_sync_decode(const uint8_t* frame, size_t len, codesync_message_kind* kind_out,
                         const uint8_t** payload_out, size_t* payload_len_out) {
  return Guard([&]() -> int {
    if (!frame && len) return Null("frame");
    auto m = codesync::sync::DecodeMessage(Bytes(frame), len);
    if (!m.ok()) return ToCode(m.status());
    if (kind_out) *kind_out = static_cast<codesync_message_kind>(m->kind);
    if (payload_out) *payload_out = m->payload.empty() ? nullptr : reinterpret_cast<const uint8_t*>(m->payload.data());
    if (payload_len_out) *payload_len_out = m->payload.size();
    return CODESYNC_OK;
  });
}

int codesync_sync_encode_step1(codesync_doc* doc, codesync_buffer* out) {
  return Guard([&]() -> int {
    if (!doc) return Null("doc");
    return Fill(out, codesync::sync::EncodeSyncStep1(doc->doc));
  });
}

int codesync_sync_encode_step2(codesync_doc* doc, const uint8_t* state_vector, size_t sv_len, codesync_buffer* out) {
  return Guard([&]() -> int {
    if (!doc) return Null("doc");
    if (!state_vector) return Fill(out, codesync::sync::EncodeSyncStep2(doc->doc, nullptr));
    auto sv = codesync::sync::DecodeStateVectorPayload(View(state_vector, sv_len));
    if (!sv.ok()) return ToCode(sv.status());
    return Fill(out, codesync::sync::EncodeSyncStep2(doc->doc, &*sv));
  });
}

int codesync_sync_encode_update(const uint8_t* update, size_t len, codesync_buffer* out) {
  return Guard([&]() -> int {
    if (!update && len) return Null("update");
    return Fill(out, codesync::sync::EncodeSyncUpdate(View(update, len)));
  });
}

int codesync_sync_encode_awareness(codesync_awareness* aw, const uint64_t* clients, size_t count,
                                   codesync_buffer* out) {
  return Guard([&]() -> int {
    if (!aw) return Null("aw");
    std::vector<uint8_t> update = aw->aw->EncodeUpdate(ClientList(*aw->aw, clients, count));
    return Fill(out, codesync::sync::EncodeAwarenessMessage(codesync::sync::AsView(update)));
  });
}

int codesync_sync_encode_permission_denied(const char* reason, codesync_buffer* out) {
  return Guard([&]() -> int {
    if (!reason) return Null("reason");
    if (!codesync::utf8::IsValid(reason)) return SetError(CODESYNC_ERR_INVALID_ARGUMENT, "reason is not valid UTF-8");
    return Fill(out, codesync::sync::EncodePermissionDenied(reason));
  });
}

int codesync_sync_encode_query_awareness(codesync_buffer* out) {
  return Guard([&]() -> int { return Fill(out, codesync::sync::EncodeQueryAwareness()); });
}

int codesync_sync_receive(codesync_doc* doc, codesync_awareness* aw, const uint8_t* frame, size_t len,
                          int64_t now_ms, const char* origin, codesync_message_kind* kind_out,
                          codesync_buffer* reply_out) {
  return Guard([&]() -> int {
    if (!doc) return Null("doc");
    if (!frame && len) return Null("frame");
    if (!reply_out) return Null("reply_out");
    auto r = codesync::sync::HandleMessage(doc->doc, aw ? aw->aw : nullptr, Bytes(frame), len, now_ms,
                                           Origin(origin));
    if (!r.ok()) return ToCode(r.status());
    if (kind_out) *kind_out = static_cast<codesync_message_kind>(r->kind);
    return Fill(reply_out, r->reply);
  });
}

/* ---- Rooms --------------------------------------------------------------- */

void codesync_room_options_init(codesync_room_options* opts) {
  if (!opts) return;
  std::memset(opts, 0, sizeof(*opts));
  codesync_doc_options_init(&opts->doc);
  opts->awareness_timeout_ms = codesync::Awareness::kOutdatedTimeoutMs;
}

codesync_room* codesync_room_new(const codesync_room_options* opts) {
  return GuardPtr<codesync_room>([&]() -> codesync_room* {
    codesync::DocOptions d;
    codesync::sync::RoomOptions r;
    if (!ToDocOptions(opts ? &opts->doc : nullptr, &d)) return nullptr;
    if (opts && opts->awareness_timeout_ms > 0) r.awareness_timeout_ms = opts->awareness_timeout_ms;
    return new codesync_room(d, r);
  });
}

void codesync_room_free(codesync_room* room) { delete room; }

codesync_doc* codesync_room_doc(codesync_room* room) { return room ? &room->doc : nullptr; }

codesync_awareness* codesync_room_awareness(codesync_room* room) { return room ? &room->awareness : nullptr; }

int codesync_room_attach(codesync_room* room, uint64_t conn_id, int read_only, int64_t now_ms) {
  return Guard([&]() -> int {
    if (!room) return Null("room");
    return ToCode(room->room.Attach(conn_id, read_only != 0, now_ms));
  });
}

int codesync_room_detach(codesync_room* room, uint64_t conn_id, int64_t now_ms) {
  return Guard([&]() -> int {
    if (!room) return Null("room");
    return ToCode(room->room.Detach(conn_id, now_ms));
  });
}

int codesync_room_set_read_only(codesync_room* room, uint64_t conn_id, int read_only) {
  return Guard([&]() -> int {
    if (!room) return Null("room");
    return ToCode(room->room.SetReadOnly(conn_id, read_only != 0));
  });
}

int codesync_room_receive(codesync_room* room, uint64_t conn_id, const uint8_t* frame, size_t len, int64_t now_ms) {
  return Guard([&]() -> int {
    if (!room) return Null("room");
    if (!frame && len) return Null("frame");
    return ToCode(room->room.Receive(conn_id, Bytes(frame), len, now_ms));
  });
}

int codesync_room_tick(codesync_room* room, int64_t now_ms) {
  return Guard([&]() -> int {
    if (!room) return Null("room");
    return ToCode(room->room.Tick(now_ms));
  });
}

int codesync_room_next_message(codesync_room* room, uint64_t* conn_id_out, codesync_buffer* frame_out) {
  return Guard([&]() -> int {
    if (!room) return Null("room");
    if (!conn_id_out) return Null("conn_id_out");
    if (!frame_out) return Null("frame_out");
    const codesync::sync::OutgoingMessage* next = room->room.PeekMessage();
    if (!next) return 0;
    // Copy before popping, so a failed allocation loses no frame.
    codesync::sync::OutgoingMessage m;
    int rc = Fill(frame_out, *next->frame);
    if (rc != CODESYNC_OK) return rc;
    room->room.NextMessage(&m);
    *conn_id_out = m.conn;
    return 1;
  });
}

size_t codesync_room_pending_messages(const codesync_room* room) { return room ? room->room.pending_messages() : 0; }

size_t codesync_room_connection_count(const codesync_room* room) { return room ? room->room.connection_count() : 0; }
