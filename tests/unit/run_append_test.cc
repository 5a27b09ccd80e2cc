// A remote keystroke appended to its run straight from the wire
// (ApplyOptions::append_runs, core/update.cc) against the general path (the
// same update decoded into an Item and absorbed by Integrate): the same
// structs, bytes, sequence index and update-observer bytes.
#include <doctest/doctest.h>

#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "core/doc.h"
#include "core/seq_index.h"
#include "core/store.h"
#include "core/update.h"
#include "types/types.h"

namespace codesync {
namespace {

using Bytes = std::vector<uint8_t>;

Branch* TextOf(Doc& doc) {
  auto b = doc.Root("t", TypeRef::kText);
  REQUIRE(b.ok());
  return *b;
}

std::string Str(Doc& doc) { return types::TextString(*TextOf(doc)); }
Bytes Full(const Doc& doc) { return EncodeStateAsUpdate(doc, nullptr); }

struct Peer {
  std::unique_ptr<Doc> doc;
  std::vector<Bytes> updates;
  // observe = false: no observer (a keystroke then grows its run without a transaction).
  explicit Peer(uint64_t client, bool observe = true) {
    DocOptions o;
    o.client_id = client;
    doc = std::make_unique<Doc>(o);
    TextOf(*doc);
    if (observe) {
      doc->AddUpdateObserver([this](const std::vector<uint8_t>& u, const Transaction&) { updates.push_back(u); });
    }
  }
};

absl::Status Apply(Doc& doc, const Bytes& u, bool append_runs, bool* appended = nullptr) {
  ApplyOptions o;
  o.append_runs = append_runs;
  o.appended_run = appended;
  return ApplyUpdate(doc, u.data(), u.size(), std::nullopt, o);
}

void CheckSame(Doc& a, Doc& b) {
  CHECK(Str(a) == Str(b));
  CHECK(Full(a) == Full(b));
  REQUIRE(a.store().clients.size() == b.store().clients.size());
  for (auto& [client, structs] : a.store().clients) {
    CAPTURE(client);
    auto it = b.store().clients.find(client);
    REQUIRE(it != b.store().clients.end());
    REQUIRE(structs.size() == it->second.size());
    auto j = it->second.begin();
    for (const Item* s : structs) {
      const Item* o = *j++;
      CHECK(s->id == o->id);
      CHECK(s->length == o->length);
      CHECK(s->kind == o->kind);
      CHECK(s->deleted == o->deleted);
      CHECK(s->origin == o->origin);
      CHECK(s->right_origin == o->right_origin);
      CHECK(std::string_view(s->str) == std::string_view(o->str));
      for (int u = 0; u < kUnitCount; u++) CHECK(s->weight(Unit(u)) == o->weight(Unit(u)));
    }
  }
  for (Doc* d : {&a, &b}) {
    Branch* t = TextOf(*d);
    CHECK(seq::Validate(t->tree, t->start));
    CHECK(t->Length(kUtf8) == Str(*d).size());
    CHECK(t->Length(kUtf16) == TextOf(a)->Length(kUtf16));
  }
}

// Applies every update the writer produced to fast (shortcut on) and slow
// (off); returns how many took the shortcut.
// `bare` (if given) has no observer and takes the shortcut too.
int Sync(Peer& writer, Peer& fast, Peer& slow, Peer* bare = nullptr) {
  int appended = 0;
  for (const Bytes& u : writer.updates) {
    bool a = false, b = true, c = false;
    REQUIRE(Apply(*fast.doc, u, true, &a).ok());
    REQUIRE(Apply(*slow.doc, u, false, &b).ok());
    if (bare) {
      REQUIRE(Apply(*bare->doc, u, true, &c).ok());
      CHECK(c == a);
    }
    CHECK_FALSE(b);
    appended += a;
  }
  writer.updates.clear();
  CheckSame(*fast.doc, *slow.doc);
  if (bare) CheckSame(*bare->doc, *slow.doc);
  CHECK(fast.updates == slow.updates);
  return appended;
}

TEST_CASE("Remote keystrokes appended from the wire leave what the general path leaves") {
  Peer w(1), fast(2), slow(3);
  Branch* t = TextOf(*w.doc);
  // The first struct of a client: nothing to continue.
  REQUIRE(types::TextInsert(*w.doc, t, 0, "he", nullptr).ok());
  CHECK(Sync(w, fast, slow) == 0);
  // Typing at the end (no right origin), ASCII and not.
  for (std::string_view k : {"l", "l", "o", " ", "\xc3\xa9", "\xf0\x9f\x98\x80", "x"}) {
    REQUIRE(types::TextInsert(*w.doc, t, t->Length(kUtf16), k, nullptr).ok());
    CHECK(Sync(w, fast, slow) == 1);
  }
  CHECK(fast.doc->store().clients[1].size() == 1);
  // Typing in the middle: a new run with a right origin, then keystrokes continuing it.
  REQUIRE(types::TextInsert(*w.doc, t, 2, "A", nullptr).ok());
  CHECK(Sync(w, fast, slow) == 0);
  uint64_t at = 3;
  for (std::string_view k : {"B", "\xc3\xa9", "C"}) {
    REQUIRE(types::TextInsert(*w.doc, t, at++, k, nullptr).ok());
    CHECK(Sync(w, fast, slow) == 1);
  }
  // A keystroke and a deletion in one update (a struct and a delete set).
  w.doc->Begin(std::nullopt, true);
  REQUIRE(types::TextInsert(*w.doc, t, at, "z", nullptr).ok());  // right after C
  REQUIRE(types::TextDelete(*w.doc, t, 0, 1).ok());
  w.doc->Commit();
  CHECK(Sync(w, fast, slow) == 1);
  // Two keystrokes in one transaction are one struct of two characters.
  w.doc->Begin(std::nullopt, true);
  REQUIRE(types::TextInsert(*w.doc, t, at, "q", nullptr).ok());  // z moved left with the deletion
  REQUIRE(types::TextInsert(*w.doc, t, at + 1, "r", nullptr).ok());
  w.doc->Commit();
  CHECK(Sync(w, fast, slow) == 1);
  CHECK(Str(*fast.doc) == Str(*w.doc));
  CheckSame(*fast.doc, *w.doc);
}

TEST_CASE("A keystroke whose run has a new neighbour goes through the YATA scan") {
  Peer a(10), b(20), fast(2), slow(3);
  REQUIRE(types::TextInsert(*a.doc, TextOf(*a.doc), 0, "ab", nullptr).ok());
  for (Peer* p : {&b}) {
    for (const Bytes& u : a.updates) REQUIRE(Apply(*p->doc, u, true).ok());
  }
  CHECK(Sync(a, fast, slow) == 0);
  // b types right after a's run; a, concurrently, continues it.
  REQUIRE(types::TextInsert(*b.doc, TextOf(*b.doc), 2, "X", nullptr).ok());
  REQUIRE(types::TextInsert(*a.doc, TextOf(*a.doc), 2, "c", nullptr).ok());
  CHECK(Sync(b, fast, slow) == 0);
  CHECK(Sync(a, fast, slow) == 0);  // a's run now has X on its right: no shortcut
  CHECK(Str(*fast.doc) == "abcX");  // the lower client id goes first
}

TEST_CASE("A malformed keystroke is refused by both paths and changes nothing") {
  Peer w(1), fast(2), slow(3);
  Branch* t = TextOf(*w.doc);
  REQUIRE(types::TextInsert(*w.doc, t, 0, "ab", nullptr).ok());
  (void)Sync(w, fast, slow);
  REQUIRE(types::TextInsert(*w.doc, t, 2, "c", nullptr).ok());
  const Bytes good = w.updates.back();
  w.updates.clear();
  const Bytes before = Full(*fast.doc);
  std::vector<Bytes> bad;
  for (size_t n = 1; n < good.size(); n++) bad.emplace_back(good.begin(), good.begin() + n);  // truncated
  Bytes trailing = good;
  trailing.push_back(0);
  bad.push_back(trailing);
  Bytes invalid_utf8 = good;
  for (size_t i = 0; i < invalid_utf8.size(); i++) {
    if (invalid_utf8[i] == 'c') invalid_utf8[i] = 0xff;
  }
  bad.push_back(invalid_utf8);
  for (const Bytes& u : bad) {
    CAPTURE(u.size());
    bool appended = true;
    absl::Status f = Apply(*fast.doc, u, true, &appended);
    absl::Status s = Apply(*slow.doc, u, false);
    CHECK_FALSE(f.ok());
    CHECK_FALSE(appended);
    CHECK(f.code() == s.code());
    CHECK(f.message() == s.message());
    CHECK(Full(*fast.doc) == before);
  }
  CheckSame(*fast.doc, *slow.doc);
  bool appended = false;
  REQUIRE(Apply(*fast.doc, good, true, &appended).ok());
  CHECK(appended);
  CHECK(Str(*fast.doc) == "abc");
}

TEST_CASE("A one-range delete read without the general decoder: same result, same errors") {
  Peer w(1), fast(2), slow(3);
  Branch* t = TextOf(*w.doc);
  REQUIRE(types::TextInsert(*w.doc, t, 0, "abcdef", nullptr).ok());
  (void)Sync(w, fast, slow);
  REQUIRE(types::TextDelete(*w.doc, t, 2, 2).ok());
  const Bytes good = w.updates.back();
  w.updates.clear();
  REQUIRE(good.size() >= 5);
  CHECK(good[0] == 0);  // no structs: the shape the shortcut reads
  const Bytes before = Full(*fast.doc);
  std::vector<Bytes> bad;
  for (size_t n = 1; n < good.size(); n++) bad.emplace_back(good.begin(), good.begin() + n);  // truncated
  Bytes trailing = good;
  trailing.push_back(0);
  bad.push_back(trailing);
  for (const Bytes& u : bad) {
    CAPTURE(u.size());
    absl::Status f = Apply(*fast.doc, u, true);
    absl::Status s = Apply(*slow.doc, u, false);
    CHECK_FALSE(f.ok());
    CHECK(f.code() == s.code());
    CHECK(f.message() == s.message());
    CHECK(Full(*fast.doc) == before);
  }
  // A zero-length range and a range past the state: both paths agree.
  Bytes empty_range = good;
  empty_range.back() = 0;
  Bytes future = {0, 1, 1, 1, 40, 2};
  for (const Bytes& u : {empty_range, future}) {
    REQUIRE(Apply(*fast.doc, u, true).ok());
    REQUIRE(Apply(*slow.doc, u, false).ok());
    CheckSame(*fast.doc, *slow.doc);
  }
  REQUIRE(Apply(*fast.doc, good, true).ok());
  REQUIRE(Apply(*slow.doc, good, false).ok());
  CheckSame(*fast.doc, *slow.doc);
  CHECK(Str(*fast.doc) == "abef");
  // The future range applies once the text it names arrives.
  REQUIRE(types::TextInsert(*w.doc, t, 4, std::string(40, 'x'), nullptr).ok());
  (void)Sync(w, fast, slow);
  CHECK(Str(*fast.doc) == Str(*slow.doc));
  CHECK(Str(*fast.doc).size() == 4 + 40 - 2);
}

TEST_CASE("Seeded sessions of two writers: the shortcut and the general path agree after every update") {
  for (uint64_t seed : {1u, 2u, 3u}) {
    CAPTURE(seed);
    std::mt19937_64 rng(20261201 + seed);
    auto below = [&](uint64_t n) { return n == 0 ? 0 : rng() % n; };
    const std::string_view alphabet[] = {"a", "b", " ", "\xc3\xa9", "\xf0\x9f\x98\x80"};
    Peer w1(31), w2(32), fast(33), slow(34), bare(35, /*observe=*/false);
    Peer* writers[] = {&w1, &w2};
    uint64_t cursor[2] = {0, 0};
    int appended = 0;
    for (int step = 0; step < 400; step++) {
      CAPTURE(step);
      const int k = static_cast<int>(below(4) == 0);
      Peer& w = *writers[k];
      Branch* t = TextOf(*w.doc);
      const uint64_t len = t->Length(kUtf16);
      uint64_t& cur = cursor[k];
      if (cur > len || below(12) == 0) cur = below(len + 1);
      const uint64_t op = below(10);
      if (op < 7 || len == 0) {
        const std::string_view s = alphabet[below(5)];
        const uint64_t before = len;
        if (types::TextInsert(*w.doc, t, cur, s, nullptr).ok()) cur += t->Length(kUtf16) - before;
      } else {
        const uint64_t n = std::min<uint64_t>(cur, 1);
        if (n > 0 && types::TextDelete(*w.doc, t, cur - n, n).ok()) cur -= n;
      }
      // Each update goes to the other writer now or, sometimes, later
      // (concurrent edits), and always to the two readers.
      Peer& other = *writers[1 - k];
      if (below(3) != 0) {
        for (const Bytes& u : w.updates) REQUIRE(Apply(*other.doc, u, true).ok());
        appended += Sync(w, fast, slow, &bare);
      }
      if (step % 50 == 49) {
        for (Peer* p : writers) {
          Peer& q = *writers[p == &w1 ? 1 : 0];
          for (const Bytes& u : p->updates) REQUIRE(Apply(*q.doc, u, true).ok());
          appended += Sync(*p, fast, slow, &bare);
        }
      }
    }
    for (Peer* p : writers) appended += Sync(*p, fast, slow, &bare);
    CHECK(appended > 100);  // the shortcut was exercised
  }
}

}  // namespace
}  // namespace codesync
