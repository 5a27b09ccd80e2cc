// UTF-8 helpers: validation and conversion between the three offset units
// (UTF-16 code units, UTF-8 bytes, code points).
#ifndef CODESYNC_ENCODING_UTF8_H_
#define CODESYNC_ENCODING_UTF8_H_

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace codesync::utf8 {

// Length in bytes of the sequence introduced by lead byte b (1 for continuation bytes).
inline int SeqLen(uint8_t b) {
  if (b < 0x80) return 1;
  if (b >= 0xF0) return 4;
  if (b >= 0xE0) return 3;
  if (b >= 0xC0) return 2;
  return 1;
}

// Strict validation (no overlongs, no surrogates, max U+10FFFF).
bool IsValid(std::string_view s);

struct Lengths {
  uint64_t utf16 = 0;
  uint64_t utf8 = 0;
  uint64_t codepoints = 0;
};

// True when s holds ASCII only (then it is valid UTF-8 of s.size() UTF-16
// units), checked 8 bytes at a time: most text content is.
inline bool IsAscii(std::string_view s) {
  const char* p = s.data();
  const size_t n = s.size();
  uint64_t acc = 0;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    std::memcpy(&w, p + i, 8);
    acc |= w;
  }
  for (; i < n; i++) acc |= static_cast<uint8_t>(p[i]);
  return (acc & 0x8080808080808080ULL) == 0;
}

// s must be valid UTF-8.
Lengths Measure(std::string_view s);
inline uint64_t Utf16Length(std::string_view s) {
  uint64_t n = 0;
  for (size_t i = 0; i < s.size();) {
    int l = SeqLen(static_cast<uint8_t>(s[i]));
    n += (l == 4) ? 2 : 1;
    i += l;
  }
  return n;
}

// Byte offset of UTF-16 offset u16 in s.  When u16 falls inside a surrogate
// pair, *inside_pair is set and the offset of that 4-byte character is returned.
size_t ByteOffsetOfUtf16(std::string_view s, uint64_t u16, bool* inside_pair);
// Byte offset of code point offset cp in s.
size_t ByteOffsetOfCodepoint(std::string_view s, uint64_t cp);
// UTF-16 length of the first `bytes` bytes of s (bytes must be at a character boundary).
inline uint64_t Utf16OfPrefix(std::string_view s, size_t bytes) { return Utf16Length(s.substr(0, bytes)); }
// True when byte offset b of s is at a character boundary.
inline bool IsBoundary(std::string_view s, size_t b) {
  return b == 0 || b >= s.size() || (static_cast<uint8_t>(s[b]) & 0xC0) != 0x80;
}

// Appends code point cp as UTF-8.
void AppendCodepoint(std::string& out, uint32_t cp);

inline constexpr std::string_view kReplacement = "\xEF\xBF\xBD";

}  // namespace codesync::utf8

#endif  // CODESYNC_ENCODING_UTF8_H_
