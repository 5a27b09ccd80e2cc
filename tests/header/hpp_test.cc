// codesync.hpp against the shared library: ownership, errors, observers and
// transactions behave as the wrapper's header promises.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <algorithm>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "codesync.hpp"

namespace {

using codesync::ByteView;
using codesync::DeltaOp;
using codesync::Doc;
using codesync::DocOptions;
using codesync::Error;
using codesync::Subscription;

static_assert(!std::is_copy_constructible_v<Subscription> && std::is_nothrow_move_constructible_v<Subscription>);
static_assert(!std::is_copy_constructible_v<Doc> && std::is_nothrow_move_constructible_v<Doc>);

Doc MakeDoc(uint64_t client_id) {
  DocOptions options;
  options.client_id = client_id;
  return Doc(options);
}

std::string NoSpaces(std::string s) {
  s.erase(std::remove(s.begin(), s.end(), ' '), s.end());
  return s;
}

int ErrorCode(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    CHECK(std::string(e.what()).size() > 0);
    return e.code();
  }
  return 0;
}

TEST_CASE("two docs converge through observed updates") {
  Doc a = MakeDoc(1);
  Doc b = MakeDoc(2);
  CHECK(a.ClientId() == 1);
  CHECK(b.ClientId() == 2);
  std::vector<std::vector<uint8_t>> a_to_b;
  std::vector<std::vector<uint8_t>> b_to_a;
  Subscription sa = a.ObserveUpdates([&](ByteView u, std::string_view origin) {
    if (origin.empty()) a_to_b.push_back(u.ToVector());
  });
  Subscription sb = b.ObserveUpdates([&](ByteView u, std::string_view origin) {
    if (origin.empty()) b_to_a.push_back(u.ToVector());
  });
  codesync::Text ta = a.GetText("t");
  codesync::Text tb = b.GetText("t");

  ta.Insert(0, "Hello world");
  REQUIRE(a_to_b.size() == 1);
  b.ApplyUpdate(a_to_b[0], "remote");
  a_to_b.clear();
  CHECK(tb.ToString() == "Hello world");
  CHECK(b_to_a.empty());  // remote updates carry an origin and are not echoed

  ta.Insert(5, ", brave");
  tb.Insert(5, " new");
  for (const auto& u : a_to_b) b.ApplyUpdate(u, "remote");
  for (const auto& u : b_to_a) a.ApplyUpdate(u, "remote");
  CHECK(ta.ToString() == tb.ToString());
  CHECK(ta.Length() == 22);  // "Hello world" + ", brave" + " new"
}

TEST_CASE("state vector diff and merged updates") {
  Doc a = MakeDoc(10);
  Doc b = MakeDoc(20);
  a.GetText("t").Insert(0, "abc");
  std::vector<uint8_t> first = a.EncodeUpdate();
  a.GetText("t").Insert(3, "def");
  b.ApplyUpdate(first);

  std::vector<uint8_t> diff = a.EncodeUpdate(b.StateVector());
  CHECK(diff.size() < a.EncodeUpdate().size());
  b.ApplyUpdate(diff);
  CHECK(b.GetText("t").ToString() == "abcdef");
  CHECK(!b.HasPending());

  Doc c = MakeDoc(30);
  c.ApplyUpdate(codesync::MergeUpdates({first, diff}));
  CHECK(c.GetText("t").ToString() == "abcdef");
  CHECK(codesync::UpdateStateVector(a.EncodeUpdate()) == a.StateVector());
}

TEST_CASE("failures throw Error with the C code and leave the doc unchanged") {
  Doc doc = MakeDoc(1);
  codesync::Text text = doc.GetText("t");
  text.Insert(0, "ab");
  CHECK(ErrorCode([&] { text.Insert(3, "x"); }) == CODESYNC_ERR_OUT_OF_RANGE);
  CHECK(ErrorCode([&] { text.Delete(1, 5); }) == CODESYNC_ERR_OUT_OF_RANGE);
  const std::vector<uint8_t> garbage = {0xff, 0xff, 0xff, 0xff, 0xff};
  CHECK(ErrorCode([&] { doc.ApplyUpdate(garbage); }) == CODESYNC_ERR_MALFORMED);
  CHECK(ErrorCode([&] { doc.GetMap("t"); }) == CODESYNC_ERR_TYPE_MISMATCH);
  CHECK(text.ToString() == "ab");
}

TEST_CASE("Transaction and Transact produce one update with their origin") {
  Doc doc = MakeDoc(1);
  codesync::Text text = doc.GetText("t");
  std::vector<std::string> origins;
  Subscription sub = doc.ObserveUpdates([&](ByteView, std::string_view origin) { origins.emplace_back(origin); });
  {
    codesync::Transaction txn(doc, "guard");
    text.Insert(0, "a");
    text.Insert(1, "b");
    CHECK(origins.empty());  // nothing is emitted before the commit
  }
  doc.Transact("lambda", [&] {
    text.Insert(2, "c");
    text.Delete(0, 1);
  });
  doc.Transact([&] {
    text.Insert(0, "z");
    text.Insert(1, "!");
  });
  CHECK(origins == std::vector<std::string>{"guard", "lambda", ""});
  CHECK(text.ToString() == "z!bc");
}

TEST_CASE("a moved or reset Subscription stops delivering") {
  Doc doc = MakeDoc(1);
  codesync::Text text = doc.GetText("t");
  int calls = 0;
  Subscription outer;
  CHECK(!outer);
  {
    Subscription inner = doc.ObserveUpdates([&](ByteView, std::string_view) { ++calls; });
    outer = std::move(inner);
    CHECK(!inner);  // NOLINT(bugprone-use-after-move): moved-from state is specified
  }
  text.Insert(0, "a");
  CHECK(calls == 1);
  outer.Reset();
  text.Insert(0, "b");
  CHECK(calls == 1);
}

TEST_CASE("an exception from an observer is rethrown after the edit completes") {
  Doc doc = MakeDoc(1);
  codesync::Text text = doc.GetText("t");
  int calls = 0;
  Subscription sub = doc.ObserveUpdates([&](ByteView, std::string_view) {
    if (calls++ == 0) throw std::runtime_error("boom");
  });
  CHECK_THROWS_WITH_AS(text.Insert(0, "x"), "boom", std::runtime_error);
  CHECK(text.ToString() == "x");
  text.Insert(1, "y");  // reported once, not again
  CHECK(calls == 2);
  CHECK(text.ToString() == "xy");
}

TEST_CASE("text observers receive deltas") {
  Doc doc = MakeDoc(1);
  codesync::Text text = doc.GetText("t");
  std::vector<std::vector<DeltaOp>> seen;
  std::vector<std::string> inserted;
  Subscription sub = text.Observe([&](const std::vector<DeltaOp>& delta, std::string_view) {
    seen.push_back(delta);
    for (const DeltaOp& op : delta) inserted.emplace_back(op.text);  // views die with the callback
  });
  text.Insert(0, "abc");
  text.Delete(1, 1);
  REQUIRE(seen.size() == 2);
  REQUIRE(seen[0].size() == 1);
  CHECK(seen[0][0].kind == CODESYNC_DELTA_INSERT);
  CHECK(seen[0][0].length == 3);
  CHECK(inserted[0] == "abc");
  REQUIRE(seen[1].size() == 2);
  CHECK(seen[1][0].kind == CODESYNC_DELTA_RETAIN);
  CHECK(seen[1][0].length == 1);
  CHECK(seen[1][1].kind == CODESYNC_DELTA_DELETE);
  CHECK(seen[1][1].length == 1);
}

TEST_CASE("formatting shows in the delta") {
  Doc doc = MakeDoc(1);
  codesync::Text text = doc.GetText("t");
  text.Insert(0, "plain ");
  text.Insert(6, "bold", R"({"bold":true})");
  CHECK(NoSpaces(text.ToDelta()) == R"([{"insert":"plain"},{"insert":"bold","attributes":{"bold":true}}])");
}

TEST_CASE("map and array through JSON, nested types through optionals") {
  Doc doc = MakeDoc(1);
  codesync::Map map = doc.GetMap("m");
  map.SetJson("n", "42");
  CHECK(map.GetJson("n") == std::optional<std::string>("42"));
  CHECK(map.GetJson("missing") == std::nullopt);
  codesync::Text body = map.SetText("body");
  body.Insert(0, "hi");
  REQUIRE(map.GetText("body").has_value());
  CHECK(map.GetText("body")->ToString() == "hi");
  CHECK(!map.GetMap("body").has_value());
  CHECK(!map.GetText("nothing").has_value());
  CHECK(map.Size() == 2);
  map.Delete("n");
  CHECK(map.Size() == 1);

  codesync::Array array = doc.GetArray("a");
  array.InsertJson(0, "[1, 2, 3]");
  CHECK(array.Length() == 3);
  array.Delete(1, 1);
  CHECK(NoSpaces(array.ToJson()) == "[1,3]");
  CHECK(array.GetJson(1) == "3");
  CHECK(ErrorCode([&] { array.GetJson(2); }) == CODESYNC_ERR_OUT_OF_RANGE);
}

TEST_CASE("history and persistence through the wrapper") {
  codesync::DocOptions opts;
  opts.client_id = 3;
  opts.gc = false;
  Doc doc(opts);
  codesync::Text text = doc.GetText("t");
  text.Insert(0, "v1");
  std::vector<uint8_t> v1 = doc.Snapshot();
  text.Insert(2, " and v2");
  CHECK(text.Diff(v1) == R"([{"retain":2},{"insert":" and v2","client":3}])");
  CHECK(doc.FromSnapshot(v1).GetText("t").ToString() == "v1");
  CHECK(!codesync::SnapshotContainsUpdate(v1, doc.EncodeUpdate()));
  CHECK(codesync::SnapshotContainsUpdate(doc.Snapshot(), doc.EncodeUpdate()));

  int events = 0;
  std::string origin;
  {
    codesync::Subscription sub = doc.ObserveUpdates([&](codesync::ByteView, std::string_view o) {
      events++;
      origin = std::string(o);
    });
    doc.RestoreSnapshot(v1, "restore");
  }
  CHECK(events == 1);
  CHECK(origin == "restore");
  CHECK(text.ToString() == "v1");
  std::vector<codesync_author_run> runs = text.Authorship();
  REQUIRE(runs.size() == 1);
  CHECK(runs[0].length == 2);
  CHECK(runs[0].client == 3);

  std::vector<uint8_t> box = doc.SaveContainer("g", R"({"k":"v"})");
  Doc loaded = MakeDoc(4);
  loaded.LoadContainer(box);
  CHECK(loaded.GetText("t").ToString() == "v1");
  CHECK(codesync::ContainerInfo(box).find(R"("guid":"g")") != std::string::npos);
  box[box.size() / 2] ^= 0xff;
  CHECK(ErrorCode([&] { loaded.LoadContainer(box); }) == CODESYNC_ERR_MALFORMED);
  Doc gc = MakeDoc(5);
  CHECK(ErrorCode([&] { gc.FromSnapshot(gc.Snapshot()); }) == CODESYNC_ERR_INVALID_ARGUMENT);
TEST_CASE("relative positions and the undo manager") {
  Doc doc = MakeDoc(1);
  codesync::Text text = doc.GetText("t");
  text.Insert(0, "hello");
  std::vector<uint8_t> rel = codesync::RelativePosition(text, 4);  // before 'o'
  CHECK(codesync::RelativePositionToJson(rel) == R"({"item":{"client":1,"clock":4},"assoc":0})");
  CHECK(codesync::RelativePositionFromJson(codesync::RelativePositionToJson(rel)) == rel);
  CHECK(ErrorCode([&] { codesync::RelativePositionFromJson("{}"); }) == CODESYNC_ERR_INVALID_ARGUMENT);

  int64_t now = 1000;
  codesync::UndoManager::Options options;
  options.clock = [&] { return now; };
  codesync::UndoManager um(doc, options);
  um.AddScope(text);
  std::vector<std::string> events;
  um.Observe([&](const codesync::UndoManager::Event& e) {
    events.push_back(std::to_string(e.kind) + ":" + std::string(e.origin));
    if (e.kind == CODESYNC_UNDO_ITEM_ADDED) um.SetMeta(e.stack, rel);
  });
  text.Insert(0, ">> ");
  CHECK(codesync::ResolvePosition(doc, rel).index == 7);
  CHECK(um.GetMeta(CODESYNC_UNDO_STACK_UNDO) == rel);
  now += 1000;
  text.Delete(3, 5);
  CHECK(text.ToString() == ">> ");
  CHECK(um.Undo());
  CHECK(text.ToString() == ">> hello");
  CHECK(codesync::ResolvePosition(doc, rel).found());
  CHECK(um.Undo());
  CHECK(text.ToString() == "hello");
  CHECK(!um.CanUndo());
  CHECK(!um.Undo());
  CHECK(um.Redo());
  CHECK(text.ToString() == ">> hello");
  CHECK(events == std::vector<std::string>{"0:", "0:", "0:codesync:undo", "2:codesync:undo", "0:codesync:undo",
                                           "2:codesync:undo", "0:codesync:undo", "2:codesync:undo"});
  // An observer's exception surfaces from the edit that ran it.
  um.Observe([](const codesync::UndoManager::Event&) { throw std::runtime_error("observer failed"); });
  CHECK_THROWS_AS(text.Insert(0, "x"), std::runtime_error);
}

}  // namespace
