#include "encoding/utf8.h"

namespace codesync::utf8 {

bool IsValid(std::string_view s) {
  const auto* p = reinterpret_cast<const uint8_t*>(s.data());
  const auto* end = p + s.size();
  while (p < end) {
    uint8_t b = *p;
    if (b < 0x80) {
      p++;
      continue;
    }
    uint32_t cp;
    int n;
    if (b >= 0xC2 && b <= 0xDF) {
      cp = b & 0x1F;
      n = 1;
    } else if (b >= 0xE0 && b <= 0xEF) {
      cp = b & 0x0F;
      n = 2;
    } else if (b >= 0xF0 && b <= 0xF4) {
      cp = b & 0x07;
      n = 3;
    } else {
      return false;
    }
    if (end - p <= n) return false;
    for (int i = 1; i <= n; i++) {
      if ((p[i] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (p[i] & 0x3F);
    }
    if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    p += n + 1;
  }
  return true;
}

Lengths Measure(std::string_view s) {
  Lengths l;
  l.utf8 = s.size();
  for (size_t i = 0; i < s.size();) {
    int n = SeqLen(static_cast<uint8_t>(s[i]));
    l.utf16 += (n == 4) ? 2 : 1;
    l.codepoints++;
    i += n;
  }
  return l;
}

size_t ByteOffsetOfUtf16(std::string_view s, uint64_t u16, bool* inside_pair) {
  if (inside_pair) *inside_pair = false;
  size_t i = 0;
  while (u16 > 0 && i < s.size()) {
    int n = SeqLen(static_cast<uint8_t>(s[i]));
    if (n == 4) {
      if (u16 == 1) {
        if (inside_pair) *inside_pair = true;
        return i;
      }
      u16 -= 2;
    } else {
      u16 -= 1;
    }
    i += n;
  }
  return i;
}

size_t ByteOffsetOfCodepoint(std::string_view s, uint64_t cp) {
  size_t i = 0;
  while (cp > 0 && i < s.size()) {
    i += SeqLen(static_cast<uint8_t>(s[i]));
    cp--;
  }
  return i;
}

void AppendCodepoint(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

}  // namespace codesync::utf8
