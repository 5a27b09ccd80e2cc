// Tests for LoadIntoEmpty (lib/core/update.cc), the bulk path that loads a
// whole state into an empty document: every state is loaded both ways (bulk,
// and struct by struct with ApplyOptions::bulk_load off) and the two
// documents must be the same in everything the library keeps: the structs of
// every client (ids, lengths, kinds, flags, origins, content, weights), the
// sequence links, the position index (seq::Validate, totals), the text, the
// re-encoded state, the update the transaction emitted and the delete set and
// changed types after-transaction observers saw.  States come from every
// sequential trace in ../shared/traces (replayed locally, gc on and off) and
// from seeded multi-client sessions with concurrent edits (which take the
// general path when a YATA scan or a split would be needed).
#include <doctest/doctest.h>
#include <zlib.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "core/doc.h"
#include "core/seq_index.h"
#include "core/update.h"
#include "encoding/any.h"
#include "encoding/lib0.h"
#include "encoding/utf8.h"
#include "history/undo.h"
#include "types/types.h"

namespace codesync {
namespace {

namespace fs = std::filesystem;
using Bytes = std::vector<uint8_t>;

std::string IdStr(const Item* i) {
  return i ? std::to_string(i->id.client) + ":" + std::to_string(i->id.clock) : std::string("-");
}
std::string OptStr(const OptId& o) {
  return o.present() ? std::to_string(o.id.client) + ":" + std::to_string(o.id.clock) : std::string("-");
}

// Everything about one struct, as text, so that a mismatch prints what differs.
std::string Describe(const Item* s) {
  std::string d = IdStr(s) + " len=" + std::to_string(s->length) + " kind=" + std::to_string(int(s->kind)) +
                  " del=" + std::to_string(s->deleted) + " keep=" + std::to_string(s->keep) +
                  " o=" + OptStr(s->origin) + " ro=" + OptStr(s->right_origin) + " l=" + IdStr(s->left) +
                  " r=" + IdStr(s->right) + " str=" + std::string(std::string_view(s->str)) + " w=";
  for (uint64_t w : s->weights().w) d += std::to_string(w) + ",";
  d += " parent=" + (s->parent ? (s->parent->root_name ? *s->parent->root_name : std::string("(nested)"))
                               : std::string("(none)"));
  d += s->parent_sub() ? " sub=" + *s->parent_sub() : std::string();
  d += s->parent && !s->parent_sub() ? (s->leaf() ? " indexed" : " unindexed") : "";
  return d;
}

// What a document holds, in a canonical order (clients ascending).
std::vector<std::string> Dump(const Doc& doc) {
  std::vector<std::string> out;
  std::vector<uint64_t> clients;
  for (auto& [client, structs] : doc.store().clients) clients.push_back(client);
  std::sort(clients.begin(), clients.end());
  for (uint64_t c : clients) {
    const ClientStructs& structs = doc.store().clients.at(c);
    out.push_back("client " + std::to_string(c) + " structs=" + std::to_string(structs.size()));
    for (const Item* s : structs) out.push_back(Describe(s));
  }
  for (auto& [name, root] : doc.roots()) {
    std::string r = "root " + name + " start=" + IdStr(root->start) + " totals=";
    for (int u = 0; u < kUnitCount; u++) r += std::to_string(root->tree.Total(static_cast<Unit>(u))) + ",";
    r += seq::Validate(root->tree, root->start) ? " valid" : " INVALID";
    out.push_back(r);
    if (root->ref == TypeRef::kText || root->ref == TypeRef::kUnknown) out.push_back(types::TextString(*root));
  }
  out.push_back("pending=" + std::to_string(doc.has_pending()));
  return out;
}

// What observers of the loading transaction saw.
struct Seen {
  std::vector<Bytes> updates;
  std::vector<std::string> after;  // per transaction: delete set, clients' order, changed roots
};

void Observe(Doc& doc, Seen& seen) {
  doc.AddUpdateObserver([&seen](const std::vector<uint8_t>& u, const Transaction&) { seen.updates.push_back(u); });
  doc.AddAfterTransactionObserver([&seen](Transaction& t) {
    Encoder enc;
    t.delete_set.Encode(enc);
    Bytes ds = enc.data();
    std::string s(ds.begin(), ds.end());
    s += " order=";
    for (uint64_t c : t.delete_set.order) s += std::to_string(c) + ",";
    s += " changed=";
    for (const Branch* b : t.changed) s += (b->root_name ? *b->root_name : std::string("?")) + ",";
    s += " touched=";
    for (uint64_t c : t.touched_clients) s += std::to_string(c) + "@" + std::to_string(t.BeforeClock(c)) + ",";
    seen.after.push_back(s);
  });
}

// Applies a copy of `state` that is scribbled over and freed right after, so
// that a string still referring to the update's bytes reads garbage (or, under
// AddressSanitizer, freed memory) instead of passing by luck.
bool ApplyFromCopy(Doc& doc, const Bytes& state, const ApplyOptions& options) {
  Bytes wire = state;
  const bool ok = ApplyUpdate(doc, wire.data(), wire.size(), std::nullopt, options).ok();
  std::fill(wire.begin(), wire.end(), uint8_t{0xEE});
  return ok;
}

// Strings of the store's structs that live in the text arena, and those that could (over 12 bytes).
size_t PlacedStrings(const Doc& doc) {
  size_t n = 0;
  for (auto& [client, structs] : doc.store().clients) {
    for (const Item* s : structs) n += s->str.placed();
  }
  return n;
}
size_t LongStrings(const Doc& doc) {
  size_t n = 0;
  for (auto& [client, structs] : doc.store().clients) {
    for (const Item* s : structs) n += s->kind == ContentKind::kString && s->str.size() > ItemString::kInline;
  }
  return n;
}

// Loads `state` into fresh documents, bulk and not, and checks they agree.
// Returns whether the bulk path took it.
bool LoadBothWays(const Bytes& state, const std::string& what, bool gc = true, bool reencodes_to_itself = false) {
  DocOptions opts;
  opts.client_id = 999999;
  opts.gc = gc;
  Doc bulk(opts), general(opts);
  Seen seen_bulk, seen_general;
  Observe(bulk, seen_bulk);
  Observe(general, seen_general);
  bool loaded = false;
  ApplyOptions with;
  with.bulk_loaded = &loaded;
  ApplyOptions without;
  without.bulk_load = false;
  // Both place their long strings in the text arena (ApplyOptions::place_text);
  // `heap` loads the general way with a heap block per string, as before the arena.
  Doc heap(opts);
  ApplyOptions unplaced = without;
  unplaced.place_text = false;
  // Bulk with heap strings: the plain decoder leaves the loader to take each
  // ref's clock and the shape test from the items (the placing one hands them over).
  Doc bulk_heap(opts);
  bool loaded_heap = false;
  ApplyOptions bulk_unplaced;
  bulk_unplaced.place_text = false;
  bulk_unplaced.bulk_loaded = &loaded_heap;
  REQUIRE(ApplyFromCopy(bulk, state, with));
  REQUIRE(ApplyFromCopy(general, state, without));
  REQUIRE(ApplyFromCopy(heap, state, unplaced));
  REQUIRE(ApplyFromCopy(bulk_heap, state, bulk_unplaced));
  INFO(what);
  CHECK(loaded_heap == loaded);
  CHECK(Dump(bulk_heap) == Dump(heap));
  CHECK(PlacedStrings(heap) == 0);
  // (The commit may copy some out again: a merged run, a collected string.)
  if (LongStrings(heap) > 1) {
    CHECK(PlacedStrings(bulk) > 0);
    CHECK(PlacedStrings(general) > 0);
  }
  CHECK(Dump(general) == Dump(heap));
  CHECK(bulk.client_id() == general.client_id());
  std::vector<std::string> a = Dump(bulk), b = Dump(general);
  CHECK(a.size() == b.size());
  for (size_t i = 0; i < std::min(a.size(), b.size()); i++) {
    if (a[i] != b[i]) {
      CHECK_MESSAGE(a[i] == b[i], "first difference at line ", i);
      break;
    }
  }
  for (const std::string& line : a) CHECK(line.find("INVALID") == std::string::npos);
  CHECK(seen_bulk.updates == seen_general.updates);
  CHECK(seen_bulk.after == seen_general.after);
  CHECK(EncodeStateAsUpdate(bulk, nullptr) == EncodeStateAsUpdate(general, nullptr));
  // A trace's state (every run already merged) re-encodes to itself.
  if (reencodes_to_itself) CHECK(EncodeStateAsUpdate(bulk, nullptr) == state);
  // All keep working the same afterwards: an edit in the middle and at the end.
  for (Doc* d : {&bulk, &general, &heap}) {
    Branch* text = *d->Root("text", TypeRef::kText);
    const uint64_t len = text->Length(d->unit());
    (void)types::TextInsert(*d, text, len / 2, "xy", nullptr);
    // (Refused on both when it would cut a surrogate pair.)
    if (len > 4) (void)types::TextDelete(*d, text, len / 3, 2);
    REQUIRE(types::TextInsert(*d, text, 0, "ab", nullptr).ok());
  }
  CHECK(Dump(bulk) == Dump(general));
  CHECK(Dump(general) == Dump(heap));
  CHECK(seen_bulk.updates == seen_general.updates);
  return loaded;
}

bool ReadGzip(const fs::path& path, std::string* out) {
  gzFile f = gzopen(path.c_str(), "rb");
  if (f == nullptr) return false;
  char buf[1 << 16];
  int n;
  while ((n = gzread(f, buf, sizeof buf)) > 0) out->append(buf, static_cast<size_t>(n));
  const bool ok = n == 0;
  gzclose(f);
  return ok;
}

// Replays a sequential trace (positions in code points) as one local
// transaction per trace txn; returns the final document.
std::unique_ptr<Doc> Replay(const fs::path& file, bool gc, std::string* end_content) {
  std::string json;
  REQUIRE(ReadGzip(file, &json));
  auto trace = Any::FromJson(json);
  REQUIRE(trace.ok());
  DocOptions opts;
  opts.client_id = 1;
  opts.gc = gc;
  opts.unit = kCodepoints;
  auto doc = std::make_unique<Doc>(opts);
  Branch* text = *doc->Root("text", TypeRef::kText);
  for (const Any& txn : trace->Find("txns")->as_array()) {
    doc->Begin(std::nullopt, true);
    for (const Any& p : txn.Find("patches")->as_array()) {
      const Any::Array& a = p.as_array();
      const auto pos = static_cast<uint64_t>(a.at(0).as_number());
      const auto del = static_cast<uint64_t>(a.at(1).as_number());
      const std::string& ins = a.at(2).as_string();
      if (del > 0) REQUIRE(types::TextDelete(*doc, text, pos, del).ok());
      if (!ins.empty()) REQUIRE(types::TextInsert(*doc, text, pos, ins, nullptr).ok());
    }
    doc->Commit();
  }
  *end_content = trace->Find("endContent")->as_string();
  return doc;
}

TEST_CASE("every sequential trace's state loads the same in bulk as struct by struct") {
  const fs::path dir = fs::path(CODESYNC_TRACES_DIR) / "sequential_traces";
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() == ".gz") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  REQUIRE(files.size() >= 8);
  for (const fs::path& file : files) {
    for (bool gc : {true, false}) {
      std::string end;
      auto doc = Replay(file, gc, &end);
      REQUIRE(types::TextString(**doc->Root("text", TypeRef::kText)) == end);
      const Bytes state = EncodeStateAsUpdate(*doc, nullptr);
      const std::string what = file.filename().string() + (gc ? " gc" : " no gc");
      // One client typing in clock order: the bulk path must take it.
      CHECK_MESSAGE(LoadBothWays(state, what, gc, /*reencodes_to_itself=*/true), what);
      // A state written with gc off loaded by a document with gc on (its
      // commit collects the deleted strings) and the other way round.
      CHECK_MESSAGE(LoadBothWays(state, what + " into the other gc", !gc), what);
    }
  }
}

// A session of three clients editing two texts, exchanging their updates at
// random moments: concurrent inserts at one place need a YATA scan, deletes
// of remote text split runs, so some states take the general path.
// With one writer the others only delete (the state then has one client's
// structs, runs split by remote deletions).
Bytes Session(uint32_t seed, bool one_writer, bool* multi_client) {
  std::mt19937 rng(seed);
  std::vector<std::unique_ptr<Doc>> docs;
  std::vector<std::vector<Bytes>> outbox(3);
  for (uint64_t c = 0; c < 3; c++) {
    DocOptions o;
    o.client_id = 100 + c * 7;
    docs.push_back(std::make_unique<Doc>(o));
    Doc* d = docs.back().get();
    d->AddUpdateObserver([&outbox, c](const std::vector<uint8_t>& u, const Transaction& t) {
      if (t.local) outbox[c].push_back(u);
    });
  }
  static const char* const kWords[] = {"a", "bc", "déf", "ghij", "€", "k", "\xF0\x9F\x98\x80", "lmnop"};
  const int steps = 20 + static_cast<int>(rng() % 60);
  for (int s = 0; s < steps; s++) {
    const size_t c = rng() % 3;
    Doc& d = *docs[c];
    Branch* text = *d.Root(rng() % 4 == 0 ? "notes" : "text", TypeRef::kText);
    const uint64_t len = text->Length(d.unit());
    if (one_writer && c != 0 && len == 0) continue;
    if (len > 0 && (rng() % 3 == 0 || (one_writer && c != 0))) {
      const uint64_t at = rng() % len;
      // (Refused when it would cut a surrogate pair; any other is fine.)
      (void)types::TextDelete(d, text, at, 1 + rng() % std::min<uint64_t>(len - at, 3));
    } else {
      // An index inside a surrogate pair is refused; any other is fine.
      (void)types::TextInsert(d, text, len == 0 ? 0 : rng() % (len + 1), kWords[rng() % 8], nullptr);
    }
    if (rng() % 3 == 0) {
      // Deliver everything sent so far to everyone.
      for (size_t from = 0; from < 3; from++) {
        for (const Bytes& u : outbox[from]) {
          for (size_t to = 0; to < 3; to++) {
            if (to != from) REQUIRE(ApplyUpdate(*docs[to], u.data(), u.size(), std::nullopt).ok());
          }
        }
        outbox[from].clear();
      }
    }
  }
  for (size_t from = 0; from < 3; from++) {
    for (const Bytes& u : outbox[from]) REQUIRE(ApplyUpdate(*docs[0], u.data(), u.size(), std::nullopt).ok());
  }
  *multi_client = docs[0]->store().clients.size() > 1;  // (kept for diagnostics)
  return EncodeStateAsUpdate(*docs[0], nullptr);
}

TEST_CASE("multi-client states load the same in bulk as struct by struct, or fall back") {
  int bulk = 0, fallback = 0;
  for (uint32_t seed = 1; seed <= 300; seed++) {
    for (bool one_writer : {false, true}) {
      bool multi = false;
      const Bytes state = Session(seed, one_writer, &multi);
      const bool loaded = LoadBothWays(state, "seed " + std::to_string(seed) + (one_writer ? " one writer" : ""));
      (loaded ? bulk : fallback)++;
    }
  }
  // Both paths were exercised.
  CHECK(bulk > 100);
  CHECK(fallback > 100);
}

TEST_CASE("mutated states: both ways accept or refuse alike and agree on what they load") {
  std::mt19937 rng(7);
  int accepted = 0, bulk_loaded = 0;
  for (uint32_t seed = 1; seed <= 60; seed++) {
    bool multi = false;
    const Bytes state = Session(seed, /*one_writer=*/seed % 2 == 0, &multi);
    for (int m = 0; m < 40; m++) {
      Bytes bad = state;
      for (int k = 0; k < 1 + static_cast<int>(rng() % 3); k++) bad[rng() % bad.size()] = static_cast<uint8_t>(rng());
      Doc bulk(DocOptions{.client_id = 999999}), general(DocOptions{.client_id = 999999});
      ApplyOptions without;
      without.bulk_load = false;
      bool loaded = false;
      ApplyOptions with;
      with.bulk_loaded = &loaded;
      const bool ok_bulk = ApplyUpdate(bulk, bad.data(), bad.size(), std::nullopt, with).ok();
      const bool ok_general = ApplyUpdate(general, bad.data(), bad.size(), std::nullopt, without).ok();
      INFO("seed ", seed, " mutation ", m);
      REQUIRE(ok_bulk == ok_general);
      if (!ok_bulk) continue;
      accepted++;
      bulk_loaded += loaded;
      CHECK(Dump(bulk) == Dump(general));
      CHECK(EncodeStateAsUpdate(bulk, nullptr) == EncodeStateAsUpdate(general, nullptr));
    }
  }
  // Some mutations still decode (other clocks, lengths, characters), some of them in bulk.
  CHECK(accepted > 50);
  CHECK(bulk_loaded > 10);
  MESSAGE("accepted ", accepted, ", in bulk ", bulk_loaded);
}

TEST_CASE("states that are not clean in-order wholes fall back") {
  Doc src(DocOptions{.client_id = 5});
  Branch* text = *src.Root("text", TypeRef::kText);
  REQUIRE(types::TextInsert(src, text, 0, "hello world", nullptr).ok());
  const Bytes sv_empty = EncodeStateAsUpdate(src, nullptr);
  REQUIRE(types::TextInsert(src, text, 5, ",", nullptr).ok());
  REQUIRE(types::TextDelete(src, text, 0, 2).ok());
  StateVector sv;
  sv[5] = 11;
  // A diff from clock 11: its structs wait for the first eleven (pending).
  const Bytes diff = EncodeStateAsUpdate(src, &sv);
  CHECK_FALSE(LoadBothWays(diff, "diff"));
  // A delete set naming a client the update has no structs of (pending deletion).
  Encoder enc;
  enc.WriteVarUint(0);  // no structs
  enc.WriteVarUint(1);  // one client in the delete set
  enc.WriteVarUint(77);
  enc.WriteVarUint(1);
  enc.WriteVarUint(0);
  enc.WriteVarUint(3);
  const Bytes ds_only = enc.data();
  CHECK_FALSE(LoadBothWays(ds_only, "delete set only"));
  // The whole states are fine.
  CHECK(LoadBothWays(sv_empty, "whole"));
  const Bytes whole = EncodeStateAsUpdate(src, nullptr);
  CHECK(LoadBothWays(whole, "whole after edits"));
  // A map entry (parent_sub) is left to the general path.
  Doc m(DocOptions{.client_id = 6});
  REQUIRE(types::MapSet(m, *m.Root("map", TypeRef::kMap), "k", Any::Number(1)).ok());
  CHECK_FALSE(LoadBothWays(EncodeStateAsUpdate(m, nullptr), "map"));
  // A string under a key (no peer writes one, but the format allows it): the
  // decoder's shape test must see the key, not only the content kind.
  Encoder keyed;
  keyed.WriteVarUint(1);  // one client
  keyed.WriteVarUint(2);  // two structs
  keyed.WriteVarUint(8);  // client 8
  keyed.WriteVarUint(0);  // from clock 0
  keyed.WriteBytes("\x04", 1);  // a string in a root's sequence
  keyed.WriteVarUint(1);
  keyed.WriteVarString("text");
  keyed.WriteVarString("ab");
  keyed.WriteBytes("\x24", 1);  // a string under key "k" of root "m"
  keyed.WriteVarUint(1);
  keyed.WriteVarString("m");
  keyed.WriteVarString("k");
  keyed.WriteVarString("cd");
  keyed.WriteVarUint(0);  // no delete set
  CHECK_FALSE(LoadBothWays(keyed.data(), "a string under a key"));
  // Text inside a nested type (parents named by id) and a nested type itself.
  Doc nested(DocOptions{.client_id = 7});
  Branch* arr = *nested.Root("arr", TypeRef::kArray);
  Branch* inner = *types::ArrayInsertType(nested, arr, 0, TypeRef::kText);
  REQUIRE(types::TextInsert(nested, inner, 0, "nested text", nullptr).ok());
  REQUIRE(types::TextInsert(nested, *nested.Root("text", TypeRef::kText), 0, "top", nullptr).ok());
  CHECK_FALSE(LoadBothWays(EncodeStateAsUpdate(nested, nullptr), "nested"));
}

TEST_CASE("a delete range that cuts a run falls back and splits it as the general path does") {
  Doc src(DocOptions{.client_id = 9});
  Branch* text = *src.Root("text", TypeRef::kText);
  REQUIRE(types::TextInsert(src, text, 0, "abcdef", nullptr).ok());
  const Bytes whole = EncodeStateAsUpdate(src, nullptr);
  // The same structs with a delete set of clocks 2..3 appended by hand.
  Encoder enc;
  enc.WriteBytes(whole.data(), whole.size() - 1);  // all but the empty delete set's count
  REQUIRE(whole.back() == 0);
  enc.WriteVarUint(1);
  enc.WriteVarUint(9);
  enc.WriteVarUint(1);
  enc.WriteVarUint(2);
  enc.WriteVarUint(2);
  const Bytes cut = enc.data();
  CHECK_FALSE(LoadBothWays(cut, "cut"));
  // A range covering the whole run deletes it in place.
  Encoder all;
  all.WriteBytes(whole.data(), whole.size() - 1);
  all.WriteVarUint(1);
  all.WriteVarUint(9);
  all.WriteVarUint(1);
  all.WriteVarUint(0);
  all.WriteVarUint(6);
  CHECK(LoadBothWays(all.data(), "all"));
}

// A whole state of client 9 in root "text": one struct per entry, each after
// the one before (origin at its last clock); `deleted` entries are deleted runs
// of that length, the others strings.  Ends with the given delete set ranges.
Bytes Runs(const std::vector<std::pair<std::string, uint64_t>>& runs,
           const std::vector<std::pair<uint64_t, uint64_t>>& ds = {}) {
  Encoder enc;
  enc.WriteVarUint(1);
  enc.WriteVarUint(runs.size());
  enc.WriteVarUint(9);
  enc.WriteVarUint(0);
  uint64_t clock = 0;
  for (const auto& [str, deleted_len] : runs) {
    const uint8_t kind = deleted_len > 0 ? 1 : 4;
    enc.WriteUint8(static_cast<uint8_t>(kind | (clock > 0 ? 0x80 : 0)));
    if (clock > 0) {
      enc.WriteVarUint(9);
      enc.WriteVarUint(clock - 1);
    } else {
      enc.WriteVarUint(1);
      enc.WriteVarString("text");
    }
    if (deleted_len > 0) {
      enc.WriteVarUint(deleted_len);
      clock += deleted_len;
    } else {
      enc.WriteVarString(str);
      clock += str.size();
    }
  }
  if (ds.empty()) {
    enc.WriteVarUint(0);
  } else {
    enc.WriteVarUint(1);
    enc.WriteVarUint(9);
    enc.WriteVarUint(ds.size());
    for (auto [c, l] : ds) {
      enc.WriteVarUint(c);
      enc.WriteVarUint(l);
    }
  }
  return enc.data();
}

size_t StructsOf(const Bytes& state, bool gc) {
  DocOptions opts;
  opts.gc = gc;
  Doc d(opts);
  bool loaded = false;
  ApplyOptions with;
  with.bulk_loaded = &loaded;
  REQUIRE(ApplyUpdate(d, state.data(), state.size(), std::nullopt, with).ok());
  CHECK(loaded);
  return d.store().clients.at(9).size();
}

// The bulk load tells the commit to skip its GC and merge passes only when it
// proved they have nothing to do; states whose runs the commit does merge
// (a peer that kept a split) must come out merged all the same.
TEST_CASE("a loaded state whose runs can merge is merged by the commit") {
  // Three strings one after the other: the last is absorbed on the way in,
  // the first two are merged by the commit.
  const Bytes strings = Runs({{"ab", 0}, {"cd", 0}, {"ef", 0}});
  CHECK(LoadBothWays(strings, "strings"));
  CHECK(StructsOf(strings, true) == 1);
  // Deleted runs side by side merge too (no absorb for them).
  const Bytes deleted = Runs({{"ab", 0}, {"", 2}, {"", 3}, {"", 1}});
  CHECK(LoadBothWays(deleted, "deleted runs"));
  CHECK(StructsOf(deleted, true) == 2);
  // Two strings: the second is absorbed on the way in, the commit has nothing to merge.
  const Bytes two = Runs({{"ab", 0}, {"cd", 0}});
  CHECK(LoadBothWays(two, "absorbed"));
  CHECK(StructsOf(two, true) == 1);
  // Deleted by the delete set: gc on collects them (then they merge), gc off
  // keeps the strings (deleted neighbours merge as strings).
  const Bytes gone = Runs({{"ab", 0}, {"cd", 0}, {"ef", 0}, {"gh", 0}}, {{2, 4}});
  for (bool gc : {true, false}) {
    CHECK(LoadBothWays(gone, gc ? "deleted strings gc" : "deleted strings no gc", gc));
  }
  CHECK(StructsOf(gone, true) == 3);
  CHECK(StructsOf(gone, false) == 3);
}

TEST_CASE("an observer that splits a loaded struct sees it merged back either way") {
  // A trace-like state where nothing merges: the commit would skip its passes
  // over the loaded structs, but the observer's split must still be undone.
  Doc src(DocOptions{.client_id = 9});
  Branch* text = *src.Root("text", TypeRef::kText);
  REQUIRE(types::TextInsert(src, text, 0, "hello world", nullptr).ok());
  REQUIRE(types::TextInsert(src, text, 5, ",", nullptr).ok());
  REQUIRE(types::TextDelete(src, text, 0, 2).ok());
  const Bytes state = EncodeStateAsUpdate(src, nullptr);
  std::vector<std::string> dumps;
  for (bool bulk_load : {true, false}) {
    Doc d(DocOptions{.client_id = 999});
    d.AddAfterTransactionObserver([&d](Transaction& t) {
      Item* first = *d.store().clients.at(9).begin();
      for (Item* s : d.store().clients.at(9)) {
        if (!s->deleted && s->length > 1) first = s;
      }
      if (first->length > 1) d.SplitItem(t, first, 1);
    });
    bool loaded = false;
    ApplyOptions o;
    o.bulk_load = bulk_load;
    o.bulk_loaded = &loaded;
    REQUIRE(ApplyUpdate(d, state.data(), state.size(), std::nullopt, o).ok());
    CHECK(loaded == bulk_load);
    dumps.push_back(Describe(*d.store().clients.at(9).begin()) + " n=" +
                    std::to_string(d.store().clients.at(9).size()));
    for (const std::string& line : Dump(d)) dumps.back() += "\n" + line;
  }
  CHECK(dumps[0] == dumps[1]);
}

TEST_CASE("a bulk-loaded client answers lookups and turns into the B-tree on its first split") {
  // The loader keeps a loaded client's structs in a sorted vector
  // (ClientStructs::BeginBulk) until a split or merge needs the B-tree.
  Doc src(DocOptions{.client_id = 9});
  Branch* text = *src.Root("text", TypeRef::kText);
  REQUIRE(types::TextInsert(src, text, 0, "hello world", nullptr).ok());
  REQUIRE(types::TextInsert(src, text, 5, ",", nullptr).ok());
  REQUIRE(types::TextInsert(src, text, 0, "ab", nullptr).ok());
  REQUIRE(types::TextDelete(src, text, 0, 3).ok());
  const Bytes state = EncodeStateAsUpdate(src, nullptr);
  std::vector<Bytes> after;
  for (bool bulk_load : {true, false}) {
    Doc d(DocOptions{.client_id = 999});
    bool loaded = false;
    ApplyOptions o;
    o.bulk_load = bulk_load;
    o.bulk_loaded = &loaded;
    REQUIRE(ApplyUpdate(d, state.data(), state.size(), std::nullopt, o).ok());
    REQUIRE(loaded == bulk_load);
    const ClientStructs& structs = d.store().clients.at(9);
    // Clocks 0-10 "hello world" (split at 1 and 5), 11 ",", 12-13 "ab": five structs, in clock order.
    REQUIRE(structs.size() == 5);
    CHECK(structs.end_clock() == 14);
    std::vector<uint64_t> firsts;
    for (const Item* s : structs) firsts.push_back(s->id.clock);
    CHECK(firsts == std::vector<uint64_t>{0, 1, 5, 11, 12});  // "h" and "ab" deleted
    for (uint64_t c = 0; c < 14; c++) {
      const Item* s = structs.Find(c);
      REQUIRE(s != nullptr);
      CHECK(s->id.clock <= c);
      CHECK(c < s->end_clock());
      CHECK(*structs.FindIter(c) == s);
      CHECK(*structs.IterOf(s) == s);
    }
    CHECK(structs.Find(14) == nullptr);
    CHECK(structs.FindIter(14) == structs.end());
    CHECK(*std::prev(structs.end()) == structs.back());
    CHECK(structs.Next(structs.front())->id.clock == 1);
    CHECK(structs.Prev(structs.back())->id.clock == 11);
    Branch* t = *d.Root("text", TypeRef::kText);
    CHECK(types::TextString(*t) == "ello, world");
    // A split inside a loaded struct, then a deletion across two of them.
    REQUIRE(types::TextInsert(d, t, 2, "X", nullptr).ok());
    REQUIRE(types::TextDelete(d, t, 3, 3).ok());
    CHECK(types::TextString(*t) == "elX world");
    CHECK(d.store().clients.at(9).size() == 6);
    for (uint64_t c = 0; c < 14; c++) CHECK(d.store().clients.at(9).Find(c)->id.clock <= c);
    after.push_back(EncodeStateAsUpdate(d, nullptr));
  }
  CHECK(after[0] == after[1]);
}

// The load reads clocks of one to three bytes itself (update.cc ReadClock):
// origins, right origins and delete ranges whose clocks take one, two, three
// and four varuint bytes (around 2^7, 2^14 and 2^21) must load as the general
// path loads them, and the state cut short anywhere in its structs' tail or
// delete set (a varuint cut between its bytes included) must be refused by
// both ways with the document left empty.
TEST_CASE("clocks of every varuint width load the same both ways; a state cut short is refused") {
  Doc src(DocOptions{.client_id = 5});
  Branch* text = *src.Root("text", TypeRef::kText);
  const uint64_t big = (uint64_t{1} << 21) + 40;
  REQUIRE(types::TextInsert(src, text, 0, std::string(big, 'x'), nullptr).ok());
  // Inserts right after positions whose clocks take 1, 2, 3 and 4 bytes
  // (origins and right origins inside the big run), then deletions there.
  const uint64_t at[] = {3, 100, 130, 16000, 16390, 2000000, (uint64_t{1} << 21) + 7};
  uint64_t shift = 0;
  for (uint64_t a : at) {
    REQUIRE(types::TextInsert(src, text, a + shift, "yz", nullptr).ok());
    shift += 2;
  }
  for (uint64_t a : at) REQUIRE(types::TextDelete(src, text, a + 5, 2).ok());
  const Bytes state = EncodeStateAsUpdate(src, nullptr);
  // Clocks past 2^21 in the state: the inserts' own and the big run's last pieces.
  CHECK(src.store().clients.at(5).end_clock() > (uint64_t{1} << 21));
  CHECK(LoadBothWays(state, "every varuint width", /*gc=*/true, /*reencodes_to_itself=*/true));
  CHECK(LoadBothWays(state, "every varuint width, no gc", /*gc=*/false));
  // Everything after the big string: the later structs and the delete set.
  size_t refused = 0;
  for (size_t cut = state.size() - 120; cut < state.size(); cut++) {
    for (bool bulk_load : {true, false}) {
      Doc d(DocOptions{.client_id = 999});
      ApplyOptions o;
      o.bulk_load = bulk_load;
      // The cut state in a buffer of its own, followed by bytes that would end
      // a varuint: a reader that looks past the end reads them and goes on.
      Bytes part(cut + 8, uint8_t{0x01});
      std::copy(state.begin(), state.begin() + static_cast<std::ptrdiff_t>(cut), part.begin());
      const absl::Status st = ApplyUpdate(d, part.data(), cut, std::nullopt, o);
      INFO("cut at ", cut, bulk_load ? " bulk" : " general");
      CHECK_FALSE(st.ok());
      CHECK(d.store().clients.empty());
      Branch* t = *d.Root("text", TypeRef::kText);
      CHECK(t->start == nullptr);
      refused += !st.ok();
    }
  }
  CHECK(refused == 240);
}

// Strings placed in the text arena (ApplyOptions::place_text) under every
// later change: typing onto a loaded run of the document's own client (in-place
// growth of a placed string is a copy), edits inside runs (splits), deletions
// (the commit's merges and GC), undo and redo (deleted content re-created).
// A document loaded with a heap block per string is the model; they must stay
// the same in everything Dump shows and in what they encode.  Run under ASan, a
// string that writes or frees arena bytes it does not own, or outlives them, fails.
void EditBothWays(const Bytes& state, uint64_t writer, uint32_t seed, bool gc, const std::string& what) {
  INFO(what);
  DocOptions opts;
  opts.client_id = 4242;  // (a loaded state's own client would make the document pick a random one, as Yjs does)
  opts.gc = gc;
  Doc placed(opts), heap(opts);
  ApplyOptions on;
  ApplyOptions off;
  off.place_text = false;
  off.bulk_load = false;
  REQUIRE(ApplyFromCopy(placed, state, on));
  REQUIRE(ApplyFromCopy(heap, state, off));
  if (LongStrings(heap) > 0) CHECK(PlacedStrings(placed) > 0);
  history::UndoManager um_placed(placed, {}), um_heap(heap, {});
  um_placed.AddScope(*placed.Root("text", TypeRef::kText));
  um_heap.AddScope(*heap.Root("text", TypeRef::kText));
  std::mt19937 rng(seed);
  static const char* const kWords[] = {"x", "yz", "é", "a longer piece of text", "\xF0\x9F\x98\x80", "q"};
  uint64_t cursor = 0;
  for (int step = 0; step < 120; step++) {
    const uint32_t op = rng() % 10;
    const uint64_t pick = rng();
    const std::string word = kWords[rng() % 6];
    const uint64_t span = 1 + rng() % 30;
    um_placed.SetTime(step * 10000);  // every change its own undo step
    um_heap.SetTime(step * 10000);
    if (op == 9) {
      // The state's writer types on after its newest struct (origin its last
      // clock, the same right origin): a remote update that grows that
      // loaded run in place when it is a live string.
      const Item* last = placed.store().clients.at(writer).back();
      Encoder enc;
      enc.WriteVarUint(1);
      enc.WriteVarUint(1);
      enc.WriteVarUint(writer);
      enc.WriteVarUint(last->end_clock());
      enc.WriteUint8(static_cast<uint8_t>(4 | 0x80 | (last->right_origin.present() ? 0x40 : 0)));
      enc.WriteVarUint(writer);
      enc.WriteVarUint(last->end_clock() - 1);
      if (last->right_origin.present()) {
        enc.WriteVarUint(last->right_origin.id.client);
        enc.WriteVarUint(last->right_origin.id.clock);
      }
      enc.WriteVarString(word);
      enc.WriteVarUint(0);  // no deletions
      const Bytes u = enc.data();
      REQUIRE(ApplyUpdate(placed, u.data(), u.size(), std::nullopt).ok());
      REQUIRE(ApplyUpdate(heap, u.data(), u.size(), std::nullopt).ok());
    }
    for (Doc* d : {&placed, &heap}) {
      if (op == 9) break;
      history::UndoManager& um = d == &placed ? um_placed : um_heap;
      Branch* text = *d->Root("text", TypeRef::kText);
      const uint64_t len = text->Length(d->unit());
      if (op < 2) {  // typing on at the cursor (after the first keystroke: the own run grows)
        const uint64_t at = std::min(cursor, len);
        if (types::TextInsert(*d, text, at, word, nullptr).ok() && d == &heap) {
          cursor = at + text->Length(d->unit()) - len;
        }
      } else if (op < 4) {
        (void)types::TextInsert(*d, text, len == 0 ? 0 : pick % (len + 1), word, nullptr);
      } else if (op < 7) {
        if (len > 0) {
          const uint64_t at = pick % len;
          (void)types::TextDelete(*d, text, at, std::min(span, len - at));
        }
      } else if (op == 7) {
        REQUIRE(um.Undo().ok());
      } else {
        REQUIRE(um.Redo().ok());
      }
    }
    if (op >= 2) cursor = pick % 50;
    REQUIRE_MESSAGE(types::TextString(**placed.Root("text", TypeRef::kText)) ==
                        types::TextString(**heap.Root("text", TypeRef::kText)),
                    "step ", step);
    if (step % 20 == 19) {
      std::vector<std::string> a = Dump(placed), b = Dump(heap);
      REQUIRE(a.size() == b.size());
      for (size_t i = 0; i < a.size(); i++) REQUIRE_MESSAGE(a[i] == b[i], "line ", i, " step ", step);
      REQUIRE(EncodeStateAsUpdate(placed, nullptr) == EncodeStateAsUpdate(heap, nullptr));
    }
  }
  CHECK(Dump(placed) == Dump(heap));
  CHECK(EncodeStateAsUpdate(placed, nullptr) == EncodeStateAsUpdate(heap, nullptr));
}

TEST_CASE("strings in the text arena survive typing, splits, merges, GC and undo as heap strings do") {
  for (uint32_t seed = 1; seed <= 40; seed++) {
    bool multi = false;
    const Bytes state = Session(seed, seed % 2 == 0, &multi);
    for (bool gc : {true, false}) {
      EditBothWays(state, 100, seed, gc, "session " + std::to_string(seed) + (gc ? " gc" : " no gc"));
    }
  }
  // A real trace's state: thousands of placed strings, typed onto and cut.
  const fs::path file = fs::path(CODESYNC_TRACES_DIR) / "sequential_traces" / "sveltecomponent.json.gz";
  for (bool gc : {true, false}) {
    std::string end;
    auto doc = Replay(file, gc, &end);
    const Bytes state = EncodeStateAsUpdate(*doc, nullptr);
    for (uint32_t seed = 1; seed <= 3; seed++) EditBothWays(state, 1, seed, gc, "sveltecomponent");
  }
}

}  // namespace
}  // namespace codesync
