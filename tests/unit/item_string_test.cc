// ItemString (core/item_string.h): inline and heap content, growth, shrinking,
// self-appends, copies and moves, against std::string as the model.
#include <doctest/doctest.h>

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

}  // namespace
}  // namespace codesync
