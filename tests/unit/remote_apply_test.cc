// The remote apply path's shortcuts (core/update.cc) against the general path:
// a remote backspace merged into the deleted run at delete time must leave the
// same structs, bytes and update-observer bytes as splitting, collecting and
// merging at commit does.  The general path is forced by what disables the
// shortcut: an after-transaction observer, or an open outer transaction.
#include <doctest/doctest.h>

#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <utility>
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

// A document that records the update bytes its observers get.
struct Peer {
  std::unique_ptr<Doc> doc;
  std::vector<Bytes> updates;
  // observe = false: no observer at all (the deletion is then not even recorded for one).
  explicit Peer(uint64_t client, bool gc = true, bool observe = true) {
    DocOptions o;
    o.client_id = client;
    o.gc = gc;
    doc = std::make_unique<Doc>(o);
    TextOf(*doc);
    if (observe) {
      doc->AddUpdateObserver([this](const std::vector<uint8_t>& u, const Transaction&) { updates.push_back(u); });
    }
  }
};

enum class Mode { kPlain, kAfterObserver, kOuterTransaction };

absl::Status ApplyAs(Doc& doc, Mode mode, const Bytes& u) {
  if (mode != Mode::kOuterTransaction) return ApplyUpdate(doc, u.data(), u.size(), std::nullopt);
  doc.Begin(std::nullopt, /*local=*/false);
  absl::Status st = ApplyUpdate(doc, u.data(), u.size(), std::nullopt);
  doc.Commit();
  return st;
}

// Same structs (ids, lengths, kinds, flags, origins) and the same bytes.
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
    }
  }
  for (Doc* d : {&a, &b}) {
    Branch* t = TextOf(*d);
    CHECK(seq::Validate(t->tree, t->start));
    CHECK(t->Length(kUtf8) == Str(*d).size());
  }
}

TEST_CASE("A remote backspace leaves the structs and bytes the general path leaves") {
  Peer writer(1);
  Doc& w = *writer.doc;
  Peer fast(2), slow(3), outer(4), bare(5, true, /*observe=*/false);
  slow.doc->AddAfterTransactionObserver([](Transaction&) {});
  auto sync = [&]() {
    for (const Bytes& u : writer.updates) {
      REQUIRE(ApplyUpdate(*fast.doc, u.data(), u.size(), std::nullopt).ok());
      REQUIRE(ApplyUpdate(*bare.doc, u.data(), u.size(), std::nullopt).ok());
      REQUIRE(ApplyAs(*slow.doc, Mode::kAfterObserver, u).ok());
      REQUIRE(ApplyAs(*outer.doc, Mode::kOuterTransaction, u).ok());
    }
    writer.updates.clear();
    CheckSame(*fast.doc, *slow.doc);
    CheckSame(*fast.doc, *outer.doc);
    CheckSame(*fast.doc, w);
    CheckSame(*fast.doc, *bare.doc);
    // Observers got the same bytes (the deletion's delete set included).
    CHECK(fast.updates == slow.updates);
    CHECK(fast.updates == outer.updates);
  };
  Branch* t = TextOf(w);
  // Typing, then backspacing through the run: each deleted character joins
  // the deleted run on its right.
  REQUIRE(types::TextInsert(w, t, 0, "ab\xc3\xa9" "cd\xf0\x9f\x98\x80" "efgh", nullptr).ok());  // 11 UTF-16 units
  sync();
  for (uint64_t i = 10; i >= 8; i--) {
    REQUIRE(types::TextDelete(w, t, i, 1).ok());
    sync();
  }
  REQUIRE(fast.doc->store().clients[1].size() == 2);
  CHECK(fast.doc->store().clients[1][1]->kind == ContentKind::kDeleted);
  CHECK(fast.doc->store().clients[1][1]->length == 3);
  // Through the emoji (two clocks) and the é.
  for (auto [at, n] : {std::pair<uint64_t, uint64_t>{7, 1}, {5, 2}, {4, 1}, {2, 2}}) {
    REQUIRE(types::TextDelete(w, t, at, n).ok());
    sync();
  }
  CHECK(Str(*fast.doc) == "ab");
  // Several backspaces in one transaction: one update with one range.
  w.Begin(std::nullopt, true);
  REQUIRE(types::TextDelete(w, t, 1, 1).ok());
  REQUIRE(types::TextDelete(w, t, 0, 1).ok());
  w.Commit();
  sync();
  CHECK(Str(*fast.doc).empty());
  // Typing again in the middle of the deleted run, then backspacing: the new
  // run's right neighbour is deleted but was not split from it (other origin).
  REQUIRE(types::TextInsert(w, t, 0, "xyz", nullptr).ok());
  sync();
  REQUIRE(types::TextDelete(w, t, 2, 1).ok());
  sync();
  REQUIRE(types::TextDelete(w, t, 1, 1).ok());
  sync();
  // Two separate ranges in one update.
  REQUIRE(types::TextInsert(w, t, 1, "0123456789", nullptr).ok());
  sync();
  w.Begin(std::nullopt, true);
  REQUIRE(types::TextDelete(w, t, 8, 3).ok());
  REQUIRE(types::TextDelete(w, t, 2, 2).ok());
  w.Commit();
  sync();
}

TEST_CASE("A remote forward delete leaves the structs and bytes the general path leaves") {
  Peer writer(1);
  Doc& w = *writer.doc;
  Peer fast(2), slow(3), outer(4), bare(5, true, /*observe=*/false), nogc(6, /*gc=*/false);
  slow.doc->AddAfterTransactionObserver([](Transaction&) {});
  auto sync = [&]() {
    for (const Bytes& u : writer.updates) {
      REQUIRE(ApplyUpdate(*fast.doc, u.data(), u.size(), std::nullopt).ok());
      REQUIRE(ApplyUpdate(*bare.doc, u.data(), u.size(), std::nullopt).ok());
      REQUIRE(ApplyUpdate(*nogc.doc, u.data(), u.size(), std::nullopt).ok());
      REQUIRE(ApplyAs(*slow.doc, Mode::kAfterObserver, u).ok());
      REQUIRE(ApplyAs(*outer.doc, Mode::kOuterTransaction, u).ok());
    }
    writer.updates.clear();
    CheckSame(*fast.doc, *slow.doc);
    CheckSame(*fast.doc, *outer.doc);
    CheckSame(*fast.doc, w);
    CheckSame(*fast.doc, *bare.doc);
    CHECK(Full(*fast.doc) != Bytes{});
    CHECK(Str(*nogc.doc) == Str(*fast.doc));
    CHECK(fast.updates == slow.updates);
    CHECK(fast.updates == outer.updates);
  };
  Branch* t = TextOf(w);
  REQUIRE(types::TextInsert(w, t, 0, "abcd\xc3\xa9" "f\xf0\x9f\x98\x80" "ghijklmn", nullptr).ok());  // 16 UTF-16 units
  sync();
  // Delete at 3 repeatedly: the first splits the run in three, each next one
  // takes the head of the rest into the deleted run on its left (the é, the
  // emoji's two units as one range).
  for (uint64_t n : {1, 1, 1, 2, 1, 1}) {
    REQUIRE(types::TextDelete(w, t, 3, n).ok());
    sync();
  }
  CHECK(Str(*fast.doc) == "abcijklmn");
  REQUIRE(fast.doc->store().clients[1].size() == 3);
  CHECK(fast.doc->store().clients[1][1]->kind == ContentKind::kDeleted);
  CHECK(fast.doc->store().clients[1][1]->length == 7);
  CHECK(fast.doc->store().clients[1][2]->id.clock == 10);
  // "b" (a split), "a" and "c" (whole runs), then the head "ij" of the rest,
  // whose left is the deleted run that "c" joined.
  for (auto [at, n] : {std::pair<uint64_t, uint64_t>{1, 1}, {0, 1}, {0, 1}, {0, 2}}) {
    REQUIRE(types::TextDelete(w, t, at, n).ok());
    sync();
  }
  CHECK(Str(*fast.doc) == "klmn");
  // Typing between, then forward deletes through the new run into the old one.
  REQUIRE(types::TextInsert(w, t, 2, "XYZ", nullptr).ok());
  sync();
  for (int i = 0; i < 5; i++) {
    REQUIRE(types::TextDelete(w, t, 2, 1).ok());
    sync();
  }
  CHECK(Str(*fast.doc) == "kl");
  // A forward delete whose update also carries a struct, and two ranges in one update.
  w.Begin(std::nullopt, true);
  REQUIRE(types::TextInsert(w, t, 2, "uvwxyz", nullptr).ok());
  w.Commit();
  sync();
  w.Begin(std::nullopt, true);
  REQUIRE(types::TextDelete(w, t, 3, 1).ok());
  REQUIRE(types::TextInsert(w, t, 0, "q", nullptr).ok());
  w.Commit();
  sync();
  w.Begin(std::nullopt, true);
  REQUIRE(types::TextDelete(w, t, 4, 1).ok());
  REQUIRE(types::TextDelete(w, t, 1, 1).ok());
  w.Commit();
  sync();
  REQUIRE(types::TextDelete(w, t, 3, 1).ok());
  sync();
}

TEST_CASE("Remote edits of two writers with backspaces, checked after every update") {
  std::mt19937_64 rng(20261201);
  auto below = [&](uint64_t n) { return n == 0 ? 0 : rng() % n; };
  const std::string_view alphabet[] = {"a", "b", "c", "d", " ", "\xc3\xa9", "\xf0\x9f\x98\x80"};
  Peer w1(11), w2(12), fast(13), slow(14), nogc(15, /*gc=*/false), nogc_slow(16, /*gc=*/false);
  Peer bare(17, true, /*observe=*/false);
  slow.doc->AddAfterTransactionObserver([](Transaction&) {});
  nogc_slow.doc->AddAfterTransactionObserver([](Transaction&) {});
  Peer* writers[] = {&w1, &w2};
  uint64_t cursor[2] = {0, 0};
  for (int step = 0; step < 600; step++) {
    CAPTURE(step);
    const int k = static_cast<int>(below(5) == 0);  // the second writer edits less
    Peer& w = *writers[k];
    Doc& d = *w.doc;
    Branch* t = TextOf(d);
    const uint64_t len = t->Length(kUtf16);
    uint64_t& cur = cursor[k];
    if (cur > len || below(10) == 0) cur = below(len + 1);
    const uint64_t op = below(10);
    const bool batch = below(8) == 0;
    if (batch) d.Begin(std::nullopt, true);
    if (op < 5 || len == 0) {
      std::string s;
      for (uint64_t n = 1 + below(3); n > 0; n--) s += alphabet[below(7)];
      const uint64_t units = types::TextInsert(d, t, cur, s, nullptr).ok() ? t->Length(kUtf16) - len : 0;
      cur += units;
    } else if (op < 9) {
      // Backspace (one or two units; a cut through a surrogate pair is refused and changes nothing).
      const uint64_t n = std::min<uint64_t>(cur, 1 + below(2));
      if (n > 0 && types::TextDelete(d, t, cur - n, n).ok()) cur -= n;
    } else {
      const uint64_t at = below(len);
      (void)types::TextDelete(d, t, at, std::min<uint64_t>(len - at, 1 + below(5))).ok();
    }
    if (batch && below(2) == 0 && t->Length(kUtf16) > 0) {
      (void)types::TextDelete(d, t, below(t->Length(kUtf16)), 1).ok();
    }
    if (batch) d.Commit();
    // Every update goes to the other writer and to the four readers.
    for (const Bytes& u : w.updates) {
      Peer& other = *writers[1 - k];
      REQUIRE(ApplyUpdate(*other.doc, u.data(), u.size(), std::nullopt).ok());
      REQUIRE(ApplyUpdate(*fast.doc, u.data(), u.size(), std::nullopt).ok());
      REQUIRE(ApplyUpdate(*bare.doc, u.data(), u.size(), std::nullopt).ok());
      REQUIRE(ApplyAs(*slow.doc, Mode::kAfterObserver, u).ok());
      REQUIRE(ApplyUpdate(*nogc.doc, u.data(), u.size(), std::nullopt).ok());
      REQUIRE(ApplyAs(*nogc_slow.doc, Mode::kAfterObserver, u).ok());
    }
    w.updates.clear();
    writers[1 - k]->updates.clear();
    CheckSame(*fast.doc, *slow.doc);
    CheckSame(*bare.doc, *slow.doc);
    CheckSame(*nogc.doc, *nogc_slow.doc);
    CheckSame(*fast.doc, *w1.doc);
    CheckSame(*fast.doc, *w2.doc);
    CHECK(fast.updates == slow.updates);
    CHECK(nogc.updates == nogc_slow.updates);
    fast.updates.clear();
    slow.updates.clear();
    nogc.updates.clear();
    nogc_slow.updates.clear();
  }
  CHECK(Str(*fast.doc).size() > 0);
}

}  // namespace
}  // namespace codesync

namespace codesync {
namespace {

// A commit with nothing to collect, merge or tell (a run grown in place) skips
// the cleanup passes; a remote keystroke under our own client id still makes
// us pick a new one, as Yjs does.
TEST_CASE("A remote keystroke appended under our client id makes us pick a new id") {
  // Two writers with one client id: b makes the same first struct as a (id,
  // text, origins), then types on, a keystroke that continues a's own run.
  Peer a(42, true, /*observe=*/false), b(42), c(7, true, /*observe=*/false);
  REQUIRE(types::TextInsert(*a.doc, TextOf(*a.doc), 0, "x", nullptr).ok());
  REQUIRE(types::TextInsert(*b.doc, TextOf(*b.doc), 0, "x", nullptr).ok());
  REQUIRE(types::TextInsert(*b.doc, TextOf(*b.doc), 1, "y", nullptr).ok());
  REQUIRE(b.updates.size() == 2);
  CHECK(Full(*a.doc) == b.updates[0]);  // the same struct
  bool appended = false;
  ApplyOptions opts;
  opts.appended_run = &appended;
  const Bytes& u = b.updates[1];
  REQUIRE(ApplyUpdate(*a.doc, u.data(), u.size(), std::nullopt, opts).ok());
  CHECK(appended);  // appended from the wire: the quiet commit
  CHECK(Str(*a.doc) == "xy");
  CHECK(a.doc->client_id() != 42);
  // Someone else's keystroke leaves our id alone.
  for (const Bytes& v : b.updates) REQUIRE(ApplyUpdate(*c.doc, v.data(), v.size(), std::nullopt, opts).ok());
  CHECK(appended);
  CHECK(c.doc->client_id() == 7);
  CHECK(Str(*c.doc) == "xy");
}

}  // namespace
}  // namespace codesync
