// Tests for lib/awareness: the y-protocols awareness rules and wire format.
// Expected bytes are written by hand from the format (varUint count, then
// varUint client, varUint clock, varString JSON); each was also printed once by
// y-protocols 1.0.7 (encodeAwarenessUpdate) and matched.
#include <doctest/doctest.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "awareness/awareness.h"
#include "encoding/any.h"

namespace codesync {
namespace {

using Bytes = std::vector<uint8_t>;

Bytes FromHex(std::string_view hex) {
  Bytes out;
  auto nibble = [](char c) { return c <= '9' ? c - '0' : c - 'a' + 10; };
  for (size_t i = 0; i + 1 < hex.size(); i += 2) out.push_back(static_cast<uint8_t>(nibble(hex[i]) * 16 + nibble(hex[i + 1])));
  return out;
}

// One record, built by hand: client and clock below 128 take one byte each.
Bytes Record1(uint8_t client, uint8_t clock, std::string_view json) {
  Bytes b = {1, client, clock, static_cast<uint8_t>(json.size())};
  for (char ch : json) b.push_back(static_cast<uint8_t>(ch));  // (insert() trips a GCC 12 false warning)
  return b;
}

Any Json(std::string_view s) { return *Any::FromJson(s); }

std::string StateOf(const Awareness& aw, uint64_t client) {
  const std::string* s = aw.StateJson(client);
  return s ? *s : "<none>";
}

TEST_CASE("Local state: clocks start at 1 and the bytes are y-protocols'") {
  Awareness aw(5);
  CHECK(aw.LocalState() == nullptr);
  CHECK(aw.Clock(5) == 0u);
  auto c = aw.SetLocalStateJson(R"({"x":1})", 1000);
  REQUIRE(c.ok());
  CHECK(c->added == std::vector<uint64_t>{5});
  CHECK(aw.Clock(5) == 1u);
  // y-protocols: 01 05 01 07 '{"x":1}'
  CHECK(aw.EncodeAll() == FromHex("010501077b2278223a317d"));

  // JavaScript key order: integer-like keys first, ascending; then insertion order.
  c = aw.SetLocalStateJson(R"({"b":1,"a":2,"1":3})", 1000);
  REQUIRE(c.ok());
  CHECK(c->updated == std::vector<uint64_t>{5});
  CHECK(aw.EncodeAll() == FromHex("010502137b2231223a332c2262223a312c2261223a327d"));

  // Removing the local state bumps the clock and encodes as null.
  c = aw.RemoveStates({5}, 1000, std::string("x"));
  REQUIRE(c.ok());
  CHECK(c->removed == std::vector<uint64_t>{5});
  CHECK(aw.size() == 0);
  CHECK(aw.EncodeUpdate({5}) == FromHex("010503046e756c6c"));
  CHECK(aw.EncodeAll() == Bytes{0});
}

TEST_CASE("Decoding y-protocols bytes: multi-byte client id and UTF-8 state") {
  // y-protocols, clientID 300 with {name:'é'}: 01 ac02 01 0d '{"name":"é"}'
  Bytes wire = FromHex("01ac02010d7b226e616d65223a22c3a9227d");
  auto records = DecodeAwarenessUpdate(wire.data(), wire.size());
  REQUIRE(records.ok());
  REQUIRE(records->size() == 1);
  CHECK((*records)[0].client == 300);
  CHECK((*records)[0].clock == 1);
  REQUIRE((*records)[0].state.has_value());
  CHECK((*records)[0].state->ToJson() == "{\"name\":\"\xc3\xa9\"}");
  CHECK(EncodeAwarenessUpdate(*records) == wire);

  Awareness aw(1);
  auto c = aw.ApplyUpdate(wire.data(), wire.size(), 0, std::nullopt);
  REQUIRE(c.ok());
  CHECK(c->added == std::vector<uint64_t>{300});
  CHECK(aw.EncodeUpdate({300}) == wire);
  CHECK(aw.StatesJson() == "{\"300\":{\"name\":\"\xc3\xa9\"}}");
}

TEST_CASE("Clock rules: newer wins, equal null removes, unknown counts as clock 0") {
  Awareness aw(1);
  Bytes b;

  // An unknown client is at clock 0: a record at clock 0 does not win.
  b = Record1(9, 0, R"({"a":1})");
  REQUIRE(aw.ApplyUpdate(b.data(), b.size(), 0, std::nullopt).ok());
  CHECK(aw.State(9) == nullptr);

  b = Record1(9, 2, R"({"a":1})");
  auto c = aw.ApplyUpdate(b.data(), b.size(), 0, std::nullopt);
  REQUIRE(c.ok());
  CHECK(c->added == std::vector<uint64_t>{9});
  CHECK(StateOf(aw, 9) == R"({"a":1})");

  // Older and equal (non-null) records lose.
  b = Record1(9, 1, R"({"a":"old"})");
  c = aw.ApplyUpdate(b.data(), b.size(), 0, std::nullopt);
  REQUIRE(c.ok());
  CHECK(c->empty());
  b = Record1(9, 2, R"({"a":"same clock"})");
  c = aw.ApplyUpdate(b.data(), b.size(), 0, std::nullopt);
  REQUIRE(c.ok());
  CHECK(c->empty());
  CHECK(StateOf(aw, 9) == R"({"a":1})");

  // Same state, newer clock: a renewal.
  b = Record1(9, 3, R"({"a":1})");
  c = aw.ApplyUpdate(b.data(), b.size(), 0, std::nullopt);
  REQUIRE(c.ok());
  CHECK(c->renewed == std::vector<uint64_t>{9});
  CHECK(!c->changed());

  b = Record1(9, 4, R"({"a":2})");
  c = aw.ApplyUpdate(b.data(), b.size(), 0, std::nullopt);
  REQUIRE(c.ok());
  CHECK(c->updated == std::vector<uint64_t>{9});

  // Equal clock with null removes; the clock stays known.
  b = Record1(9, 4, "null");
  c = aw.ApplyUpdate(b.data(), b.size(), 0, std::nullopt);
  REQUIRE(c.ok());
  CHECK(c->removed == std::vector<uint64_t>{9});
  CHECK(aw.State(9) == nullptr);
  CHECK(aw.Clock(9) == 4u);

  // A second null at the same clock does nothing; an old state cannot come back.
  c = aw.ApplyUpdate(b.data(), b.size(), 0, std::nullopt);
  REQUIRE(c.ok());
  CHECK(c->empty());
  b = Record1(9, 3, R"({"a":1})");
  REQUIRE(aw.ApplyUpdate(b.data(), b.size(), 0, std::nullopt).ok());
  CHECK(aw.State(9) == nullptr);
  // A newer state brings the client back, reported as added.
  b = Record1(9, 5, R"({"a":5})");
  c = aw.ApplyUpdate(b.data(), b.size(), 0, std::nullopt);
  REQUIRE(c.ok());
  CHECK(c->added == std::vector<uint64_t>{9});
}

TEST_CASE("A peer cannot remove our own state: we outbid its clock") {
  Awareness aw(7);
  REQUIRE(aw.SetLocalStateJson(R"({"me":true})", 0).ok());  // clock 1
  Bytes b = Record1(7, 1, "null");
  auto c = aw.ApplyUpdate(b.data(), b.size(), 10, std::nullopt);
  REQUIRE(c.ok());
  CHECK(StateOf(aw, 7) == R"({"me":true})");
  CHECK(aw.Clock(7) == 2u);
  CHECK(c->renewed == std::vector<uint64_t>{7});
  b = Record1(7, 5, "null");
  REQUIRE(aw.ApplyUpdate(b.data(), b.size(), 10, std::nullopt).ok());
  CHECK(aw.Clock(7) == 6u);
  CHECK(aw.EncodeAll() == Record1(7, 6, R"({"me":true})"));
}

TEST_CASE("Removal of a remote client keeps its clock, so the equal-clock null removes it elsewhere") {
  Awareness server(100), other(200);
  Bytes b = Record1(9, 3, R"({"cursor":4})");
  REQUIRE(server.ApplyUpdate(b.data(), b.size(), 0, std::nullopt).ok());
  REQUIRE(other.ApplyUpdate(b.data(), b.size(), 0, std::nullopt).ok());
  auto c = server.RemoveStates({9, 12345}, 5, std::nullopt);  // 12345 unknown: ignored
  REQUIRE(c.ok());
  CHECK(c->removed == std::vector<uint64_t>{9});
  CHECK(server.Clock(9) == 3u);
  Bytes removal = server.EncodeUpdate({9, 12345});  // never-seen clients are skipped
  CHECK(removal == Record1(9, 3, "null"));
  c = other.ApplyUpdate(removal.data(), removal.size(), 5, std::nullopt);
  REQUIRE(c.ok());
  CHECK(c->removed == std::vector<uint64_t>{9});
  CHECK(other.size() == 0);
}

TEST_CASE("Timeouts with an injected clock") {
  Awareness aw(1);
  REQUIRE(aw.SetLocalStateJson(R"({"n":"local"})", 0).ok());
  Bytes b = Record1(2, 1, R"({"n":"two"})");
  REQUIRE(aw.ApplyUpdate(b.data(), b.size(), 1000, std::nullopt).ok());
  b = Record1(3, 1, R"({"n":"three"})");
  REQUIRE(aw.ApplyUpdate(b.data(), b.size(), 20000, std::nullopt).ok());

  std::vector<std::pair<AwarenessChange, std::optional<std::string>>> events;
  aw.AddObserver([&](const AwarenessChange& c, const std::optional<std::string>& o) { events.emplace_back(c, o); });

  auto c = aw.Tick(14999);
  REQUIRE(c.ok());
  CHECK(c->empty());
  CHECK(events.empty());

  // Half the timeout since the local state was set: renewed at clock 2.
  c = aw.Tick(15000);
  REQUIRE(c.ok());
  CHECK(c->renewed == std::vector<uint64_t>{1});
  CHECK(aw.Clock(1) == 2u);
  REQUIRE(events.size() == 1);
  CHECK(events[0].second == std::optional<std::string>("local"));

  // Client 2 was last updated at 1000: gone at 31000, not at 30999 (when the
  // local state is due again, 15999 after its renewal).
  c = aw.Tick(30999);
  REQUIRE(c.ok());
  CHECK(c->removed.empty());
  CHECK(c->renewed == std::vector<uint64_t>{1});
  CHECK(aw.State(2) != nullptr);
  c = aw.Tick(31000);
  REQUIRE(c.ok());
  CHECK(c->removed == std::vector<uint64_t>{2});
  CHECK(c->renewed.empty());
  REQUIRE(events.size() == 3);
  CHECK(events[1].first.renewed == std::vector<uint64_t>{1});
  CHECK(events[2].first.removed == std::vector<uint64_t>{2});
  CHECK(events[2].second == std::optional<std::string>("timeout"));
  CHECK(aw.State(3) != nullptr);
  CHECK(aw.LocalState() != nullptr);  // the local state never expires

  // A renewal from the peer keeps client 3 alive past its first deadline.
  b = Record1(3, 2, R"({"n":"three"})");
  REQUIRE(aw.ApplyUpdate(b.data(), b.size(), 45000, std::nullopt).ok());
  REQUIRE(aw.Tick(50000).ok());
  CHECK(aw.State(3) != nullptr);
  REQUIRE(aw.Tick(75000).ok());
  CHECK(aw.State(3) == nullptr);
}

TEST_CASE("A custom timeout") {
  Awareness aw(1, 1000);
  Bytes b = Record1(2, 1, "{}");
  REQUIRE(aw.ApplyUpdate(b.data(), b.size(), 0, std::nullopt).ok());
  REQUIRE(aw.Tick(999).ok());
  CHECK(aw.size() == 1);
  REQUIRE(aw.Tick(1000).ok());
  CHECK(aw.size() == 0);
}

TEST_CASE("Change events carry the origin and report net changes") {
  Awareness aw(1);
  std::vector<std::pair<AwarenessChange, std::optional<std::string>>> events;
  uint64_t id =
      aw.AddObserver([&](const AwarenessChange& c, const std::optional<std::string>& o) { events.emplace_back(c, o); });

  // Client 4 twice in one update (state, then null at the same clock): net nothing.
  Bytes b = {2, 4, 1, 2, '{', '}', 4, 1, 4, 'n', 'u', 'l', 'l'};
  REQUIRE(aw.ApplyUpdate(b.data(), b.size(), 0, std::string("conn")).ok());
  CHECK(events.empty());
  CHECK(aw.Clock(4) == 1u);

  // Two clients at once.
  b = {2, 4, 2, 2, '{', '}', 5, 1, 2, '[', ']'};
  REQUIRE(aw.ApplyUpdate(b.data(), b.size(), 0, std::string("conn")).ok());
  REQUIRE(events.size() == 1);
  CHECK(events[0].first.added == std::vector<uint64_t>{4, 5});
  CHECK(events[0].second == std::optional<std::string>("conn"));
  CHECK(aw.Clients() == std::vector<uint64_t>{4, 5});

  // Local changes say "local"; setting null twice reports once.
  REQUIRE(aw.SetLocalStateJson("{\"a\":1}", 0).ok());
  REQUIRE(aw.SetLocalState(std::nullopt, 0).ok());
  REQUIRE(aw.SetLocalState(Any::Null(), 0).ok());
  REQUIRE(events.size() == 3);
  CHECK(events[1].first.added == std::vector<uint64_t>{1});
  CHECK(events[2].first.removed == std::vector<uint64_t>{1});
  CHECK(events[2].second == std::optional<std::string>("local"));

  // Changing the awareness from inside an observer is refused.
  absl::Status inner;
  aw.RemoveObserver(id);
  aw.AddObserver([&](const AwarenessChange&, const std::optional<std::string>&) {
    inner = aw.SetLocalStateJson("{}", 0).status();
  });
  REQUIRE(aw.SetLocalStateJson("{\"b\":2}", 0).ok());
  CHECK(absl::IsUnavailable(inner));
  CHECK(StateOf(aw, 1) == "{\"b\":2}");
}

TEST_CASE("Malformed updates are refused whole") {
  Awareness aw(1);
  Bytes good = Record1(2, 1, "{}");
  REQUIRE(aw.ApplyUpdate(good.data(), good.size(), 0, std::nullopt).ok());
  const std::vector<Bytes> bad = {
      {},                                          // nothing
      {1, 3},                                      // truncated record
      {1, 3, 1, 5, '{', '}'},                      // string longer than the data
      {2, 3, 1, 2, '{', '}'},                      // count says two records
      {1, 3, 1, 2, '{', 'x'},                      // not JSON
      {1, 3, 1, 2, '"', 0xff},                     // not UTF-8
      {1, 3, 1, 2, '{', '}', 0},                   // trailing byte
      {0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01},  // count far beyond the data
      // A valid record for client 3, then a broken one: nothing of it applies.
      {2, 3, 1, 2, '{', '}', 2, 9, 1, '{'},
  };
  for (const Bytes& b : bad) {
    auto c = aw.ApplyUpdate(b.data(), b.size(), 0, std::nullopt);
    CHECK(absl::IsDataLoss(c.status()));
  }
  CHECK(aw.Clients() == std::vector<uint64_t>{2});
  CHECK(!aw.Clock(3).has_value());
  CHECK(aw.Clock(2) == 1u);

  CHECK(absl::IsInvalidArgument(aw.SetLocalStateJson("{", 0).status()));
  CHECK(aw.LocalState() == nullptr);
  CHECK(aw.Clock(1) == 0u);
}

TEST_CASE("Any JSON value is a state; null removes") {
  Awareness aw(1);
  REQUIRE(aw.SetLocalStateJson("[1, \"two\", {\"3\": null}]", 0).ok());
  CHECK(StateOf(aw, 1) == "[1,\"two\",{\"3\":null}]");
  REQUIRE(aw.SetLocalStateJson(" null ", 0).ok());
  CHECK(aw.LocalState() == nullptr);
  CHECK(aw.StatesJson() == "{}");
  CHECK(aw.SetLocalState(Json("7"), 0).ok());
  CHECK(aw.StatesJson() == "{\"1\":7}");
}

}  // namespace
}  // namespace codesync
