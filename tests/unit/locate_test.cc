// types::Locate after seeded editing sessions (typing, backspace, forward
// delete, jumps, multi-byte text): the answer through the position index's
// memo and cursor must equal the answer of a cold index (memo and cursor
// dropped), and the text must equal a plain string model.
#include <doctest/doctest.h>

#include <random>
#include <string>
#include <vector>

#include "core/doc.h"
#include "core/seq_index.h"
#include "types/sequence.h"
#include "types/types.h"

namespace codesync {
namespace {

// The model holds code points as UTF-8 strings, one per entry; `Units`
// converts a count of code points into the document's unit.
struct Model {
  std::vector<std::string> chars;
  uint64_t Units(Unit u, size_t n) const {
    uint64_t r = 0;
    for (size_t i = 0; i < n; i++) {
      const std::string& c = chars[i];
      if (u == kUtf8) {
        r += c.size();
      } else if (u == kUtf16) {
        r += c.size() == 4 ? 2 : 1;
      } else {
        r += 1;
      }
    }
    return r;
  }
  std::string Text() const {
    std::string s;
    for (auto& c : chars) s += c;
    return s;
  }
};

TEST_CASE("Locate through the index's memo equals a cold Find on seeded edit sessions") {
  const char* const kChars[] = {"a", "b", " ", "\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x98\x80"};
  int memo_hits = 0;
  for (Unit unit : {kUtf16, kUtf8, kCodepoints}) {
    for (uint64_t seed : {1u, 2u, 3u}) {
      INFO("unit=" << unit << " seed=" << seed);
      std::mt19937_64 rng(seed * 31 + unit);
      Doc doc(DocOptions{.client_id = 7, .unit = unit});
      Branch* text = *doc.Root("t", TypeRef::kText);
      Model m;
      size_t pos = 0;  // caret, in code points
      for (int step = 0; step < 3000; step++) {
        const uint64_t r = rng() % 20;
        if (r == 0) pos = m.chars.empty() ? 0 : rng() % (m.chars.size() + 1);  // jump
        const bool ascii_only = rng() % 4 != 0;
        if (r < 12 || m.chars.empty()) {  // type one to three characters
          std::string s;
          size_t n = 1 + rng() % 3;
          std::vector<std::string> typed;
          for (size_t i = 0; i < n; i++) {
            typed.push_back(kChars[ascii_only ? rng() % 3 : rng() % 6]);
            s += typed.back();
          }
          REQUIRE(types::TextInsert(doc, text, m.Units(unit, pos), s, nullptr).ok());
          m.chars.insert(m.chars.begin() + static_cast<ptrdiff_t>(pos), typed.begin(), typed.end());
          pos += n;
        } else if (r < 17 && pos > 0) {  // backspace
          const uint64_t at = m.Units(unit, pos - 1);
          REQUIRE(types::TextDelete(doc, text, at, m.Units(unit, pos) - at).ok());
          m.chars.erase(m.chars.begin() + static_cast<ptrdiff_t>(pos - 1));
          pos--;
        } else if (pos < m.chars.size()) {  // forward delete of one or two
          size_t n = std::min<size_t>(1 + rng() % 2, m.chars.size() - pos);
          const uint64_t at = m.Units(unit, pos);
          REQUIRE(types::TextDelete(doc, text, at, m.Units(unit, pos + n) - at).ok());
          m.chars.erase(m.chars.begin() + static_cast<ptrdiff_t>(pos),
                        m.chars.begin() + static_cast<ptrdiff_t>(pos + n));
        }
        if (pos > m.chars.size()) pos = m.chars.size();
        // Locate at and around the caret (warm), then the same cold.
        for (int d : {-2, -1, 0, 1, 2}) {
          const long long p = static_cast<long long>(pos) + d;
          if (p < 0 || p > static_cast<long long>(m.chars.size())) continue;
          const uint64_t index = m.Units(unit, static_cast<size_t>(p));
          const bool memo_hit = text->tree.memo && index > 0 && index - 1 >= text->tree.memo_start &&
                                index - 1 - text->tree.memo_start < text->tree.memo->w[unit] &&
                                text->tree.memo_unit == unit;
          memo_hits += memo_hit;
          auto warm = types::Locate(*text, unit, index);
          REQUIRE(warm.ok());
          REQUIRE_MESSAGE(seq::Validate(text->tree, text->start), "step " << step);
          text->tree.memo = nullptr;
          text->tree.cursor = nullptr;
          auto cold = types::Locate(*text, unit, index);
          REQUIRE(cold.ok());
          REQUIRE_MESSAGE(warm->item == cold->item, "step " << step << " index " << index);
          REQUIRE_MESSAGE(warm->cut == cold->cut, "step " << step << " index " << index);
        }
        if (step % 100 == 0) REQUIRE(types::TextString(*text) == m.Text());
      }
      REQUIRE(types::TextString(*text) == m.Text());
      REQUIRE(seq::Validate(text->tree, text->start));
    }
  }
  CHECK(memo_hits > 10000);  // the warm answers mostly came from the memo
}

}  // namespace
}  // namespace codesync
