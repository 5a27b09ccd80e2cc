// Tests for lib/sync: the y-protocols sync messages in the y-websocket
// envelope, the peer-side handler, and the sans-I/O Room.  Expected frames
// are assembled by hand from the format (see protocol.h); the fixed ones were
// also printed by y-protocols 1.0.7 / yjs 13.6.33 and matched:
//   SyncStep1 of an empty doc            00 00 01 00
//   update of client 1 inserting "hi"    01 01 01 00 04 01 01 74 02 68 69 00
//   permission denied "read-only"        02 00 09 'read-only'
#include <doctest/doctest.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "awareness/awareness.h"
#include "core/doc.h"
#include "core/update.h"
#include "encoding/lib0.h"
#include "sync/protocol.h"
#include "sync/room.h"
#include "types/types.h"

namespace codesync::sync {
namespace {

using Bytes = std::vector<uint8_t>;

Bytes FromHex(std::string_view hex) {
  Bytes out;
  auto nibble = [](char c) { return c <= '9' ? c - '0' : c - 'a' + 10; };
  for (size_t i = 0; i + 1 < hex.size(); i += 2) out.push_back(static_cast<uint8_t>(nibble(hex[i]) * 16 + nibble(hex[i + 1])));
  return out;
}

Bytes Cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& p : parts) {
    for (uint8_t b : p) out.push_back(b);
  }
  return out;
}

// Client 1 inserting "hi" into text "t" at 0 (yjs writes exactly these bytes).
const Bytes kHiUpdate = FromHex("010101000401017402686900");

std::unique_ptr<Doc> NewDoc(uint64_t client) {
  DocOptions o;
  o.client_id = client;
  return std::make_unique<Doc>(o);
}

Branch* Text(Doc& doc, const char* name = "t") { return *doc.Root(name, TypeRef::kText); }

std::string TextOf(Doc& doc, const char* name = "t") { return types::TextString(*Text(doc, name)); }

// Every local update of a doc, as the client would send it.
struct UpdateLog {
  std::vector<Bytes> updates;
  explicit UpdateLog(Doc& doc) {
    doc.AddUpdateObserver([this](const std::vector<uint8_t>& u, const Transaction&) { updates.push_back(u); });
  }
};

std::string_view V(const Bytes& b) { return {reinterpret_cast<const char*>(b.data()), b.size()}; }

// Drains the room into per-connection frame lists.
std::map<uint64_t, std::vector<Bytes>> Drain(Room& room) {
  std::map<uint64_t, std::vector<Bytes>> out;
  OutgoingMessage m;
  while (room.NextMessage(&m)) out[m.conn].push_back(*m.frame);
  return out;
}

absl::Status Send(Room& room, uint64_t conn, const Bytes& frame, int64_t now = 0) {
  return room.Receive(conn, frame.data(), frame.size(), now);
}

TEST_CASE("Message encoding matches y-protocols bytes") {
  auto empty = NewDoc(1);
  CHECK(EncodeSyncStep1(*empty) == FromHex("00000100"));
  CHECK(EncodeSyncUpdate(V(kHiUpdate)) == Cat({{0, 2, 12}, kHiUpdate}));
  CHECK(EncodeSyncStep2(V(kHiUpdate)) == Cat({{0, 1, 12}, kHiUpdate}));
  CHECK(EncodePermissionDenied("read-only") == FromHex("020009726561642d6f6e6c79"));
  CHECK(EncodeQueryAwareness() == Bytes{3});
  CHECK(EncodeAwarenessMessage(V(Bytes{1, 5, 1, 2, '{', '}'})) == Bytes{1, 6, 1, 5, 1, 2, '{', '}'});

  // A doc holding "hi" from client 1: step1 carries its state vector (1 -> 2),
  // and step2 against an empty state vector is the whole update.
  auto doc = NewDoc(1);
  REQUIRE(types::TextInsert(*doc, Text(*doc), 0, "hi", nullptr).ok());
  CHECK(EncodeSyncStep1(*doc) == FromHex("000003010102"));
  StateVector none;
  CHECK(EncodeSyncStep2(*doc, &none) == FromHex("00010c010101000401017402686900"));
}

TEST_CASE("Decoding frames") {
  Bytes step1 = FromHex("000003010102");
  auto m = DecodeMessage(step1.data(), step1.size());
  REQUIRE(m.ok());
  CHECK(m->kind == MessageKind::kSyncStep1);
  CHECK(m->payload == V(FromHex("010102")));
  auto sv = DecodeStateVectorPayload(m->payload);
  REQUIRE(sv.ok());
  CHECK(sv->at(1) == 2u);

  Bytes denied = FromHex("020009726561642d6f6e6c79");
  m = DecodeMessage(denied.data(), denied.size());
  REQUIRE(m.ok());
  CHECK(m->kind == MessageKind::kPermissionDenied);
  CHECK(m->payload == "read-only");

  Bytes query = {3};
  m = DecodeMessage(query.data(), query.size());
  REQUIRE(m.ok());
  CHECK(m->kind == MessageKind::kQueryAwareness);
  CHECK(m->payload.empty());

  const std::vector<Bytes> bad = {
      {},                      // empty frame
      {4},                     // unknown envelope
      {0, 3, 0},               // unknown sync type
      {0},                     // sync without a type
      {0, 2, 5, 1, 2},         // payload shorter than its length
      {0, 2, 2, 0, 0, 9},      // trailing byte
      {2, 1, 0},               // unknown auth type
      {2, 0, 1, 0xff},         // reason not UTF-8
      {3, 0},                  // query with trailing data
      {1},                     // awareness without payload
  };
  for (const Bytes& b : bad) CHECK(absl::IsDataLoss(DecodeMessage(b.data(), b.size()).status()));
  CHECK(absl::IsDataLoss(DecodeStateVectorPayload(V(Bytes{1, 1})).status()));
  CHECK(absl::IsDataLoss(DecodeStateVectorPayload(V(Bytes{1, 1, 2, 0})).status()));
}

TEST_CASE("HandleMessage: two peers sync both ways through step1/step2 and updates") {
  auto a = NewDoc(1), b = NewDoc(2);
  REQUIRE(types::TextInsert(*a, Text(*a), 0, "left", nullptr).ok());
  REQUIRE(types::TextInsert(*b, Text(*b), 0, "right", nullptr).ok());

  // a -> b: step1; b answers step2 with what a lacks.
  Bytes s1 = EncodeSyncStep1(*a);
  auto r = HandleMessage(*b, nullptr, s1.data(), s1.size(), 0, std::nullopt);
  REQUIRE(r.ok());
  CHECK(r->kind == MessageKind::kSyncStep1);
  REQUIRE(!r->reply.empty());
  auto r2 = HandleMessage(*a, nullptr, r->reply.data(), r->reply.size(), 0, std::string("peer"));
  REQUIRE(r2.ok());
  CHECK(r2->kind == MessageKind::kSyncStep2);
  CHECK(r2->reply.empty());
  // b <- a the same way.
  s1 = EncodeSyncStep1(*b);
  r = HandleMessage(*a, nullptr, s1.data(), s1.size(), 0, std::nullopt);
  REQUIRE(r.ok());
  REQUIRE(HandleMessage(*b, nullptr, r->reply.data(), r->reply.size(), 0, std::nullopt).ok());
  CHECK(TextOf(*a) == TextOf(*b));
  CHECK(TextOf(*a).size() == 9);

  // Incremental updates.
  UpdateLog log(*a);
  REQUIRE(types::TextInsert(*a, Text(*a), 0, "!", nullptr).ok());
  REQUIRE(log.updates.size() == 1);
  Bytes u = EncodeSyncUpdate(V(log.updates[0]));
  r = HandleMessage(*b, nullptr, u.data(), u.size(), 0, std::nullopt);
  REQUIRE(r.ok());
  CHECK(r->kind == MessageKind::kSyncUpdate);
  CHECK(TextOf(*b) == TextOf(*a));

  // Awareness and queries.
  Awareness aw(2);
  Bytes am = EncodeAwarenessMessage(V(Bytes{1, 7, 1, 2, '{', '}'}));
  r = HandleMessage(*b, &aw, am.data(), am.size(), 0, std::nullopt);
  REQUIRE(r.ok());
  CHECK(aw.Clients() == std::vector<uint64_t>{7});
  Bytes q = EncodeQueryAwareness();
  r = HandleMessage(*b, &aw, q.data(), q.size(), 0, std::nullopt);
  REQUIRE(r.ok());
  CHECK(r->reply == Bytes{1, 6, 1, 7, 1, 2, '{', '}'});
  Bytes d = EncodePermissionDenied("no");
  r = HandleMessage(*b, &aw, d.data(), d.size(), 0, std::nullopt);
  REQUIRE(r.ok());
  CHECK(r->kind == MessageKind::kPermissionDenied);
  CHECK(r->reason == "no");

  // A malformed update changes nothing.
  std::string before = TextOf(*b);
  Bytes broken = Cat({{0, 2, 4}, {1, 1, 9, 0}});
  CHECK(!HandleMessage(*b, &aw, broken.data(), broken.size(), 0, std::nullopt).ok());
  CHECK(TextOf(*b) == before);
}

TEST_CASE("Room: first messages on attach are y-websocket's") {
  auto doc = NewDoc(100);
  Room room(*doc);
  REQUIRE(room.Attach(1, false, 0).ok());
  auto out = Drain(room);
  REQUIRE(out[1].size() == 1);
  CHECK(out[1][0] == FromHex("00000100"));  // step1 only: no awareness states yet

  CHECK(absl::IsInvalidArgument(room.Attach(1, false, 0)));

  // With a state in the room, the newcomer also gets every state.
  REQUIRE(Send(room, 1, EncodeAwarenessMessage(V(Bytes{1, 9, 1, 2, '{', '}'}))).ok());
  Drain(room);
  REQUIRE(room.Attach(2, false, 0).ok());
  out = Drain(room);
  REQUIRE(out[2].size() == 2);
  CHECK(out[2][0] == FromHex("00000100"));
  CHECK(out[2][1] == Bytes({1, 6, 1, 9, 1, 2, '{', '}'}));
  CHECK(out.count(1) == 0);
}

TEST_CASE("Room: step1 is answered, updates are applied and go to the others") {
  auto doc = NewDoc(100);
  Room room(*doc);
  for (uint64_t c : {1, 2, 3}) REQUIRE(room.Attach(c, false, 0).ok());
  Drain(room);

  // An update from 1 reaches 2 and 3 as the same Update, not 1.
  REQUIRE(Send(room, 1, EncodeSyncUpdate(V(kHiUpdate))).ok());
  CHECK(TextOf(*doc) == "hi");
  auto out = Drain(room);
  CHECK(out.count(1) == 0);
  REQUIRE(out[2].size() == 1);
  REQUIRE(out[3].size() == 1);
  CHECK(out[2][0] == Cat({{0, 2, 12}, kHiUpdate}));
  CHECK(out[3][0] == out[2][0]);

  // Step1 from 2 with an empty state vector: step2 with everything, to 2 only.
  REQUIRE(Send(room, 2, FromHex("00000100")).ok());
  out = Drain(room);
  REQUIRE(out.size() == 1);
  REQUIRE(out[2].size() == 1);
  CHECK(out[2][0] == FromHex("00010c010101000401017402686900"));

  // Step1 from a client that has it all: an empty diff (no structs, no deletes).
  REQUIRE(Send(room, 3, FromHex("000003010102")).ok());
  out = Drain(room);
  CHECK(out[3][0] == Bytes({0, 1, 2, 0, 0}));

  // Step2 from a client is applied and broadcast like an update.
  auto client = NewDoc(7);
  UpdateLog log(*client);
  REQUIRE(ApplyUpdate(*client, kHiUpdate.data(), kHiUpdate.size(), std::nullopt).ok());
  REQUIRE(types::TextInsert(*client, Text(*client), 2, "!", nullptr).ok());
  StateVector room_sv = doc->store().GetStateVector();
  REQUIRE(Send(room, 3, EncodeSyncStep2(*client, &room_sv)).ok());
  CHECK(TextOf(*doc) == "hi!");
  out = Drain(room);
  CHECK(out.count(3) == 0);
  CHECK(out[1].size() == 1);
  CHECK(out[2].size() == 1);

  // An update the room already has changes nothing and is not echoed.
  REQUIRE(Send(room, 2, EncodeSyncUpdate(V(kHiUpdate))).ok());
  CHECK(Drain(room).empty());
}

TEST_CASE("Room: edits by the embedder go to every connection; origins name the connection") {
  auto doc = NewDoc(100);
  Room room(*doc);
  std::vector<std::optional<std::string>> origins;
  doc->AddUpdateObserver([&](const std::vector<uint8_t>&, const Transaction& t) { origins.push_back(t.origin); });
  REQUIRE(room.Attach(1, false, 0).ok());
  REQUIRE(room.Attach(2, false, 0).ok());
  Drain(room);
  REQUIRE(types::TextInsert(*doc, Text(*doc), 0, "server", nullptr).ok());
  auto out = Drain(room);
  CHECK(out[1].size() == 1);
  CHECK(out[2].size() == 1);
  REQUIRE(Send(room, 2, EncodeSyncUpdate(V(kHiUpdate))).ok());
  REQUIRE(origins.size() == 2);
  CHECK(!origins[0].has_value());
  CHECK(origins[1] == std::optional<std::string>("conn:2"));
  // A client that replays the server's own update gets nothing back.
  auto other = NewDoc(5);
  for (const Bytes& f : out[1]) {
    REQUIRE(HandleMessage(*other, nullptr, f.data(), f.size(), 0, std::nullopt).ok());
  }
  CHECK(TextOf(*other) == "server");
}

TEST_CASE("Room: pending structs are echoed to the sender too") {
  // Client 1 types "a" then "b"; the room first gets only the second update.
  auto client = NewDoc(1);
  UpdateLog log(*client);
  REQUIRE(types::TextInsert(*client, Text(*client), 0, "a", nullptr).ok());
  REQUIRE(types::TextInsert(*client, Text(*client), 1, "b", nullptr).ok());
  REQUIRE(log.updates.size() == 2);

  auto doc = NewDoc(100);
  Room room(*doc);
  REQUIRE(room.Attach(1, false, 0).ok());
  REQUIRE(room.Attach(2, false, 0).ok());
  Drain(room);
  REQUIRE(Send(room, 1, EncodeSyncUpdate(V(log.updates[1]))).ok());
  CHECK(doc->has_pending());
  CHECK(Drain(room).empty());  // nothing integrated, nothing sent
  REQUIRE(Send(room, 2, EncodeSyncUpdate(V(log.updates[0]))).ok());
  CHECK(!doc->has_pending());
  CHECK(TextOf(*doc) == "ab");
  auto out = Drain(room);
  // Connection 2 sent "a" but never had "b": it must get the change as well.
  REQUIRE(out[2].size() == 1);
  REQUIRE(out[1].size() == 1);
  auto peer2 = NewDoc(2);
  REQUIRE(ApplyUpdate(*peer2, log.updates[0].data(), log.updates[0].size(), std::nullopt).ok());
  REQUIRE(HandleMessage(*peer2, nullptr, out[2][0].data(), out[2][0].size(), 0, std::nullopt).ok());
  CHECK(TextOf(*peer2) == "ab");
}

TEST_CASE("Room: read-only connections") {
  auto doc = NewDoc(100);
  Room room(*doc);
  REQUIRE(room.Attach(1, false, 0).ok());
  REQUIRE(room.Attach(2, true, 0).ok());
  CHECK(room.IsReadOnly(2) == true);
  Drain(room);
  const Bytes denied = FromHex("020009726561642d6f6e6c79");

  // Its update is dropped and answered with permission denied; nobody else hears of it.
  REQUIRE(Send(room, 2, EncodeSyncUpdate(V(kHiUpdate))).ok());
  CHECK(TextOf(*doc) == "");
  auto out = Drain(room);
  REQUIRE(out.size() == 1);
  REQUIRE(out[2].size() == 1);
  CHECK(out[2][0] == denied);

  // It may read: step1 is answered, and others' updates reach it.
  REQUIRE(Send(room, 1, EncodeSyncUpdate(V(kHiUpdate))).ok());
  out = Drain(room);
  REQUIRE(out[2].size() == 1);
  CHECK(out[2][0] == Cat({{0, 2, 12}, kHiUpdate}));
  REQUIRE(Send(room, 2, FromHex("00000100")).ok());
  out = Drain(room);
  CHECK(out[2][0] == FromHex("00010c010101000401017402686900"));

  // Its step2 without news (answering our step1) is dropped silently ...
  REQUIRE(Send(room, 2, EncodeSyncStep2(V(kHiUpdate))).ok());
  REQUIRE(Send(room, 2, EncodeSyncStep2(V(Bytes{0, 0}))).ok());
  CHECK(Drain(room).empty());
  // ... with news, it is refused like an update.
  auto writer = NewDoc(9);
  REQUIRE(types::TextInsert(*writer, Text(*writer), 0, "x", nullptr).ok());
  REQUIRE(Send(room, 2, EncodeSyncStep2(*writer, nullptr)).ok());
  out = Drain(room);
  REQUIRE(out[2].size() == 1);
  CHECK(out[2][0] == denied);
  CHECK(TextOf(*doc) == "hi");

  // Presence is allowed.
  REQUIRE(Send(room, 2, EncodeAwarenessMessage(V(Bytes{1, 9, 1, 2, '{', '}'}))).ok());
  CHECK(room.awareness().Clients() == std::vector<uint64_t>{9});

  // Turned writable, its updates apply.
  REQUIRE(room.SetReadOnly(2, false).ok());
  Drain(room);
  REQUIRE(Send(room, 2, EncodeSyncStep2(*writer, nullptr)).ok());
  CHECK(TextOf(*doc).size() == 3);
  // Malformed updates are still errors on a read-only connection.
  REQUIRE(room.SetReadOnly(2, true).ok());
  CHECK(absl::IsDataLoss(Send(room, 2, Cat({{0, 2, 3}, {1, 1, 9}}))));
}

TEST_CASE("Room: awareness is relayed, owned by connections and removed on detach") {
  auto doc = NewDoc(100);
  Room room(*doc);
  for (uint64_t c : {1, 2, 3}) REQUIRE(room.Attach(c, false, 0).ok());
  Drain(room);
  const Bytes state9 = {1, 9, 1, 2, '{', '}'};
  REQUIRE(Send(room, 1, EncodeAwarenessMessage(V(state9)), 1000).ok());
  auto out = Drain(room);
  CHECK(out.count(1) == 0);
  CHECK(out[2] == std::vector<Bytes>{EncodeAwarenessMessage(V(state9))});
  CHECK(out[3] == out[2]);

  // An echo (same clock) changes nothing and is not relayed: no loops.
  REQUIRE(Send(room, 2, EncodeAwarenessMessage(V(state9)), 1000).ok());
  CHECK(Drain(room).empty());

  // Two clients from connection 2.
  const Bytes two = {2, 10, 1, 2, '{', '}', 11, 1, 4, 'n', 'u', 'l', 'l'};
  REQUIRE(Send(room, 2, EncodeAwarenessMessage(V(two)), 1000).ok());
  CHECK(room.awareness().Clients() == std::vector<uint64_t>{9, 10});
  Drain(room);

  // Queued frames for a detached connection are dropped.
  REQUIRE(room.Attach(4, false, 1000).ok());
  CHECK(room.pending_messages() == 2);
  REQUIRE(room.Detach(4, 1000).ok());
  CHECK(room.pending_messages() == 0);

  // Detaching 1 removes client 9 (at its own clock, as null) for the others.
  REQUIRE(room.Detach(1, 2000).ok());
  CHECK(room.awareness().Clients() == std::vector<uint64_t>{10});
  out = Drain(room);
  CHECK(out.count(1) == 0);
  const Bytes gone9 = EncodeAwarenessMessage(V(Bytes{1, 9, 1, 4, 'n', 'u', 'l', 'l'}));
  CHECK(out[2] == std::vector<Bytes>{gone9});
  CHECK(out[3] == std::vector<Bytes>{gone9});
  CHECK(absl::IsInvalidArgument(room.Detach(1, 2000)));

  // A query is answered with every state.
  REQUIRE(Send(room, 3, EncodeQueryAwareness()).ok());
  out = Drain(room);
  CHECK(out[3] == std::vector<Bytes>{EncodeAwarenessMessage(V(Bytes{1, 10, 1, 2, '{', '}'}))});

  // The room's own presence (a server-side agent) goes to everyone, and a
  // peer cannot remove it: the revival goes back to that peer too.
  REQUIRE(room.awareness().SetLocalStateJson(R"({"agent":1})", 2000).ok());
  out = Drain(room);
  CHECK(out[2].size() == 1);
  CHECK(out[3].size() == 1);
  REQUIRE(Send(room, 3, EncodeAwarenessMessage(V(Bytes{1, 100, 1, 4, 'n', 'u', 'l', 'l'})), 2000).ok());
  out = Drain(room);
  CHECK(out[3].size() == 1);
  CHECK(out[2].size() == 1);
  CHECK(room.awareness().Clock(100) == 2u);

  // A connection that overwrites the room's own state (y-protocols accepts a newer
  // clock for any client) does not come to own it: its detach leaves the state.
  REQUIRE(Send(room, 3, EncodeAwarenessMessage(V(Bytes{1, 100, 9, 2, '{', '}'})), 2000).ok());
  CHECK(room.awareness().StateJson(100) != nullptr);
  REQUIRE(room.Detach(3, 2000).ok());
  CHECK(room.awareness().StateJson(100) != nullptr);
}

TEST_CASE("Room: awareness timeouts via Tick") {
  auto doc = NewDoc(100);
  Room room(*doc);
  REQUIRE(room.Attach(1, false, 0).ok());
  REQUIRE(room.Attach(2, false, 0).ok());
  Drain(room);
  REQUIRE(Send(room, 1, EncodeAwarenessMessage(V(Bytes{1, 9, 1, 2, '{', '}'})), 1000).ok());
  Drain(room);
  REQUIRE(room.Tick(30999).ok());
  CHECK(Drain(room).empty());
  REQUIRE(room.Tick(31000).ok());
  CHECK(room.awareness().size() == 0);
  auto out = Drain(room);
  const Bytes gone9 = EncodeAwarenessMessage(V(Bytes{1, 9, 1, 4, 'n', 'u', 'l', 'l'}));
  CHECK(out[1] == std::vector<Bytes>{gone9});  // everyone, the owner included
  CHECK(out[2] == std::vector<Bytes>{gone9});
  // The expired client no longer belongs to connection 1: detaching sends nothing.
  REQUIRE(room.Detach(1, 32000).ok());
  CHECK(Drain(room).empty());

  RoomOptions quick;
  quick.awareness_timeout_ms = 100;
  auto doc2 = NewDoc(101);
  Room fast(*doc2, quick);
  REQUIRE(fast.Attach(1, false, 0).ok());
  REQUIRE(Send(fast, 1, EncodeAwarenessMessage(V(Bytes{1, 9, 1, 2, '{', '}'})), 0).ok());
  REQUIRE(fast.Tick(100).ok());
  CHECK(fast.awareness().size() == 0);
}

TEST_CASE("Room: malformed frames fail that call only") {
  auto doc = NewDoc(100);
  Room room(*doc);
  REQUIRE(room.Attach(1, false, 0).ok());
  REQUIRE(room.Attach(2, false, 0).ok());
  REQUIRE(Send(room, 1, EncodeSyncUpdate(V(kHiUpdate))).ok());
  Drain(room);
  Bytes state_before = EncodeStateAsUpdate(*doc, nullptr);

  const std::vector<Bytes> bad = {
      {},
      {9},
      {0, 7, 0},
      {0, 0, 2, 5},                                 // step1 with a truncated state vector
      Cat({{0, 2, 4}, {1, 1, 9, 0}}),               // update with a struct cut short
      {0, 2, 2, 0, 0, 0},                           // trailing byte
      {1, 4, 1, 9, 1, '{'},                         // awareness state not JSON
      {1, 6, 1, 9, 1, 2, '{', '}', 7},              // awareness payload length wrong
  };
  for (const Bytes& b : bad) {
    absl::Status s = Send(room, 1, b);
    CHECK(!s.ok());
    CHECK(!absl::IsInvalidArgument(s));
  }
  CHECK(EncodeStateAsUpdate(*doc, nullptr) == state_before);
  CHECK(room.awareness().size() == 0);
  CHECK(room.pending_messages() == 0);

  // The same connection and the others go on working.
  auto writer = NewDoc(3);
  REQUIRE(ApplyUpdate(*writer, kHiUpdate.data(), kHiUpdate.size(), std::nullopt).ok());
  UpdateLog log(*writer);
  REQUIRE(types::TextInsert(*writer, Text(*writer), 2, "?", nullptr).ok());
  REQUIRE(Send(room, 1, EncodeSyncUpdate(V(log.updates[0]))).ok());
  CHECK(TextOf(*doc) == "hi?");
  CHECK(Drain(room)[2].size() == 1);

  CHECK(absl::IsInvalidArgument(Send(room, 42, EncodeQueryAwareness())));
  // Auth messages from clients are ignored.
  REQUIRE(Send(room, 1, EncodePermissionDenied("x")).ok());
  CHECK(room.pending_messages() == 0);
}

TEST_CASE("Room: calls from inside observers are refused") {
  auto doc = NewDoc(100);
  Room room(*doc);
  REQUIRE(room.Attach(1, false, 0).ok());
  Drain(room);
  absl::Status inner_receive, inner_detach, inner_attach;
  doc->AddUpdateObserver([&](const std::vector<uint8_t>&, const Transaction&) {
    Bytes q = EncodeQueryAwareness();
    inner_receive = room.Receive(1, q.data(), q.size(), 0);
    inner_detach = room.Detach(1, 0);
    inner_attach = room.Attach(5, false, 0);
  });
  REQUIRE(Send(room, 1, EncodeSyncUpdate(V(kHiUpdate))).ok());
  CHECK(absl::IsUnavailable(inner_receive));
  CHECK(absl::IsUnavailable(inner_detach));
  CHECK(absl::IsUnavailable(inner_attach));
  CHECK(room.HasConnection(1));
  CHECK(!room.HasConnection(5));
}

TEST_CASE("Room: two yjs-like clients converge through the room") {
  // Each client runs the peer handler on the frames the room sends it, and
  // sends its own updates; concurrent edits end equal everywhere.
  auto doc = NewDoc(100);
  Room room(*doc);
  auto c1 = NewDoc(1), c2 = NewDoc(2);
  UpdateLog l1(*c1), l2(*c2);
  REQUIRE(types::TextInsert(*c1, Text(*c1), 0, "one ", nullptr).ok());
  REQUIRE(types::TextInsert(*c2, Text(*c2), 0, "two ", nullptr).ok());
  std::map<uint64_t, Doc*> clients = {{1, c1.get()}, {2, c2.get()}};
  REQUIRE(room.Attach(1, false, 0).ok());
  REQUIRE(room.Attach(2, false, 0).ok());
  // Clients open with step1 (y-websocket does on connect).
  REQUIRE(Send(room, 1, EncodeSyncStep1(*c1)).ok());
  REQUIRE(Send(room, 2, EncodeSyncStep1(*c2)).ok());
  REQUIRE(types::TextInsert(*c1, Text(*c1), 0, "A", nullptr).ok());
  REQUIRE(types::TextInsert(*c2, Text(*c2), 0, "B", nullptr).ok());
  for (Bytes& u : l1.updates) REQUIRE(Send(room, 1, EncodeSyncUpdate(V(u))).ok());
  for (Bytes& u : l2.updates) REQUIRE(Send(room, 2, EncodeSyncUpdate(V(u))).ok());
  for (int round = 0; round < 4; round++) {
    OutgoingMessage m;
    while (room.NextMessage(&m)) {
      auto r = HandleMessage(*clients[m.conn], nullptr, m.frame->data(), m.frame->size(), 0, std::string("server"));
      REQUIRE(r.ok());
      if (!r->reply.empty()) REQUIRE(Send(room, m.conn, r->reply).ok());
    }
  }
  CHECK(TextOf(*c1) == TextOf(*doc));
  CHECK(TextOf(*c2) == TextOf(*doc));
  CHECK(TextOf(*doc).size() == 10);
  CHECK(EncodeStateAsUpdate(*c1, nullptr).size() == EncodeStateAsUpdate(*doc, nullptr).size());
}

}  // namespace
}  // namespace codesync::sync
