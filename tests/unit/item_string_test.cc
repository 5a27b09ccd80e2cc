// ItemString (core/item_string.h): inline and heap content, growth, shrinking,
// self-appends, copies and moves, against std::string as the model.
#include <doctest/doctest.h>

#include <cstring>
#include <random>
#include <string>
#include <string_view>
#include <utility>

#include "core/item_string.h"

namespace codesync {
namespace {

TEST_CASE("ItemString keeps up to 12 bytes inline, more on the heap") {
  ItemString s;
  CHECK(s.empty());
  CHECK(s.size() == 0);
  CHECK(std::string_view(s).empty());
  s.assign("hello world!");  // 12 bytes
  CHECK(s.size() == 12);
  CHECK(s == "hello world!");
  CHECK(s.heap_capacity() == 0);
  s.append("?");
  CHECK(s == "hello world!?");
  CHECK(s.heap_capacity() >= 13);
  s.clear();
  CHECK(s.empty());
  CHECK(s.heap_capacity() >= 13);  // clear keeps the block for reuse
  s.shrink_to_fit();
  CHECK(s.heap_capacity() == 0);
  s.assign("abc");
  CHECK(s == "abc");
}

TEST_CASE("ItemString doubles on append and gives capacity back on a split") {
  ItemString s;
  for (int i = 0; i < 1000; i++) s.append("x");
  CHECK(s.size() == 1000);
  CHECK(s == std::string(1000, 'x'));
  CHECK(s.heap_capacity() >= 1000);
  CHECK(s.heap_capacity() < 2048);
  s.resize(100);  // a split keeping the first 100 bytes
  CHECK(s == std::string(100, 'x'));
  CHECK(s.heap_capacity() >= 100);
  CHECK(s.heap_capacity() <= 104);  // glibc's chunk for 100 bytes holds 104
  s.resize(5);
  CHECK(s == "xxxxx");
  CHECK(s.heap_capacity() == 0);  // back inline
  s.resize(8);
  CHECK(std::string_view(s) == std::string_view("xxxxx\0\0\0", 8));
  ItemString e;
  e.assign(std::string(40, 'y'));
  CHECK(e.heap_capacity() == 40);  // assigned content fits exactly (a 48-byte chunk holds 40)
  e.assign("short");
  CHECK(e.heap_capacity() == 0);
}

TEST_CASE("ItemString appends a piece of itself across a reallocation") {
  ItemString s;
  s.assign("0123456789");
  s.append(std::string_view(s).substr(2, 8));  // 10 + 8 > 12: moves to the heap
  CHECK(s == "0123456789" "23456789");
  s.append(std::string_view(s));  // the whole of itself
  CHECK(s == "012345678923456789" "012345678923456789");
}

TEST_CASE("ItemString copies and moves") {
  ItemString a;
  a.assign(std::string(30, 'a'));
  ItemString b(a);
  CHECK(b == std::string(30, 'a'));
  CHECK(b.data() != a.data());
  ItemString c(std::move(a));
  CHECK(c == std::string(30, 'a'));
  CHECK(a.empty());  // NOLINT: moved-from is empty by contract
  ItemString d;
  d.assign("inline");
  d = std::move(c);
  CHECK(d == std::string(30, 'a'));
  ItemString e;
  e = d;
  CHECK(e == d);
  e = "tiny";
  CHECK(e == "tiny");
  ItemString f;
  f.assign("xyz");
  ItemString g(std::move(f));
  CHECK(g == "xyz");
  std::string out = "<";
  out += g;
  out.append(g);
  CHECK(out == "<xyzxyz");
  CHECK(g.ToString() == "xyz");
}

TEST_CASE("ItemString matches std::string under random edits") {
  std::mt19937_64 rng(7);
  ItemString s;
  std::string model;
  for (int step = 0; step < 20000; step++) {
    switch (rng() % 6) {
      case 0:
      case 1: {
        std::string piece(rng() % 20, static_cast<char>('a' + rng() % 26));
        s.append(piece);
        model += piece;
        break;
      }
      case 2: {
        const size_t n = model.empty() ? 0 : rng() % (model.size() + 1);
        s.resize(n);
        model.resize(n);
        break;
      }
      case 3: {
        std::string piece(rng() % 40, static_cast<char>('A' + rng() % 26));
        s.assign(piece);
        model = piece;
        break;
      }
      case 4:
        if (rng() % 8 == 0) {
          s.clear();
          model.clear();
        }
        s.shrink_to_fit();
        break;
      default: {
        if (model.empty()) break;
        const size_t from = rng() % model.size();
        const size_t len = rng() % (model.size() - from + 1);
        s.append(std::string_view(s).substr(from, len));
        model += model.substr(from, len);
        if (model.size() > 4000) {
          s.resize(100);
          model.resize(100);
        }
        break;
      }
    }
    REQUIRE_MESSAGE(std::string_view(s) == model, "step " << step);
    REQUIRE(s.size() == model.size());
  }
}

// Placed strings (AssignPlaced): bytes in storage the string does not own, as
// a loaded document's text arena holds them.  Two strings side by side in one
// block: whatever one does, the other's bytes and the block stay as they were
// (beyond what the string may write in place: its own bytes).
TEST_CASE("a placed string reads in place, copies itself out to grow, and never frees its bytes") {
  char block[64];
  std::memcpy(block, "first string, long|second string here", 37);
  ItemString a, b;
  a.AssignPlaced(block, 18);
  b.AssignPlaced(block + 19, 18);
  CHECK(a.placed());
  CHECK(a == "first string, long");
  CHECK(b == "second string here");
  CHECK(a.data() == block);  // no copy
  CHECK(a.heap_capacity() == 0);
  // Shrinking stays in place.
  a.resize(14);
  CHECK(a.placed());
  CHECK(a == "first string, ");
  CHECK(a.data() == block);
  // Growing copies into a block of its own: the arena keeps its bytes.
  a.append("grown");
  CHECK_FALSE(a.placed());
  CHECK(a == "first string, grown");
  CHECK(a.heap_capacity() >= 19);
  CHECK(std::string_view(block, 37) == "first string, long|second string here");
  // A piece of itself appended while placed.
  b.append(std::string_view(b).substr(0, 6));
  CHECK(b == "second string heresecond");
  CHECK_FALSE(b.placed());
  CHECK(std::string_view(block, 37) == "first string, long|second string here");
  // Assigning over a placed string, long and short.
  ItemString c;
  c.AssignPlaced(block + 19, 18);
  c.assign("a longer replacement text");
  CHECK_FALSE(c.placed());
  CHECK(c == "a longer replacement text");
  c.AssignPlaced(block + 19, 18);
  c.assign("short");
  CHECK_FALSE(c.placed());
  CHECK(c == "short");
  CHECK(c.heap_capacity() == 0);
  // shrink_to_fit: content that fits inline moves in; longer content stays placed.
  ItemString d;
  d.AssignPlaced(block, 18);
  d.shrink_to_fit();
  CHECK(d.placed());
  CHECK(d == "first string, long");
  d.resize(5);
  d.shrink_to_fit();
  CHECK_FALSE(d.placed());
  CHECK(d == "first");
  // clear then grow: a block of its own.
  ItemString e;
  e.AssignPlaced(block, 18);
  e.clear();
  CHECK(e.empty());
  e.append("after clear, something long");
  CHECK_FALSE(e.placed());
  CHECK(e == "after clear, something long");
  // Moves carry the reference; copies own their bytes.
  ItemString f;
  f.AssignPlaced(block + 19, 18);
  ItemString g(std::move(f));
  CHECK(g.placed());
  CHECK(g.data() == block + 19);
  ItemString h(g);
  CHECK_FALSE(h.placed());
  CHECK(h == "second string here");
  // Placing over an owned heap block releases it (ASan: no leak), and growth
  // by doubling restarts from the content.
  ItemString k;
  k.assign(std::string(100, 'k'));
  k.AssignPlaced(block, 18);
  CHECK(k == "first string, long");
  for (int i = 0; i < 50; i++) k.append("!");
  CHECK(k == std::string("first string, long") + std::string(50, '!'));
  CHECK(std::string_view(block, 37) == "first string, long|second string here");
  // Writing in place through data() touches only the string's own bytes.
  ItemString m;
  m.AssignPlaced(block + 19, 18);
  std::memmove(m.data(), m.data() + 7, 11);  // drop the head in place, as a fold does
  m.resize(11);
  CHECK(m == "string here");
  CHECK(std::string_view(block, 19) == "first string, long|");
}

TEST_CASE("a placed string matches std::string under random edits") {
  std::mt19937 rng(7);
  for (int round = 0; round < 200; round++) {
    std::string arena(40 + rng() % 60, ' ');
    for (char& ch : arena) ch = static_cast<char>('a' + rng() % 26);
    const std::string before = arena;
    const size_t n = 13 + rng() % (arena.size() - 13);
    ItemString s;
    s.AssignPlaced(arena.data(), n);
    std::string model = arena.substr(0, n);
    for (int step = 0; step < 20; step++) {
      switch (rng() % 5) {
        case 0: {
          std::string piece(rng() % 20, static_cast<char>('A' + rng() % 26));
          s.append(piece);
          model += piece;
          break;
        }
        case 1: {
          const size_t k = model.empty() ? 0 : rng() % (model.size() + 1);
          s.resize(k);
          model.resize(k);
          break;
        }
        case 2:
          s.shrink_to_fit();
          break;
        case 3: {
          const size_t from = model.empty() ? 0 : rng() % model.size();
          const size_t len = model.empty() ? 0 : rng() % (model.size() - from + 1);
          s.append(std::string_view(s).substr(from, len));
          model += model.substr(from, len);
          break;
        }
        default: {
          std::string piece(rng() % 30, static_cast<char>('A' + rng() % 26));
          s.assign(piece);
          model = piece;
          break;
        }
      }
      REQUIRE(std::string_view(s) == model);
      // Only in-place shrinks happened to the arena: its bytes are unchanged.
      REQUIRE(arena == before);
    }
  }
}

}  // namespace
}  // namespace codesync
