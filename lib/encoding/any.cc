#include "encoding/any.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace codesync {
namespace {

// ---------------------------------------------------------------------------
// UTF-8

// Length of the well-formed UTF-8 sequence starting at p (lead byte >= 0x80),
// or 0 when ill-formed.  On failure *bad gets the length of the maximal
// ill-formed subpart (>= 1), which is what one U+FFFD replaces (WHATWG).
inline size_t Utf8SeqLen(const uint8_t* p, const uint8_t* end, size_t* bad) {
  uint8_t b0 = p[0];
  size_t len;
  uint8_t lo = 0x80, hi = 0xbf;  // allowed range of the second byte
  if (b0 >= 0xc2 && b0 <= 0xdf) {
    len = 2;
  } else if (b0 >= 0xe0 && b0 <= 0xef) {
    len = 3;
    if (b0 == 0xe0) lo = 0xa0;       // no overlongs
    else if (b0 == 0xed) hi = 0x9f;  // no surrogates
  } else if (b0 >= 0xf0 && b0 <= 0xf4) {
    len = 4;
    if (b0 == 0xf0) lo = 0x90;       // no overlongs
    else if (b0 == 0xf4) hi = 0x8f;  // nothing above U+10FFFF
  } else {
    *bad = 1;
    return 0;
  }
  size_t avail = static_cast<size_t>(end - p);
  for (size_t i = 1; i < len; i++) {
    uint8_t b = i < avail ? p[i] : 0;
    bool ok = i < avail && (i == 1 ? (b >= lo && b <= hi) : (b >= 0x80 && b <= 0xbf));
    if (!ok) {
      *bad = i;
      return 0;
    }
  }
  return len;
}

bool IsValidUtf8(std::string_view s) {
  const uint8_t* p = reinterpret_cast<const uint8_t*>(s.data());
  const uint8_t* end = p + s.size();
  while (p < end) {
    // Skip ASCII eight bytes at a time: most keys and strings are ASCII.
    while (end - p >= 8) {
      uint64_t w;
      std::memcpy(&w, p, 8);
      if (w & 0x8080808080808080ull) break;
      p += 8;
    }
    if (p >= end) break;
    if (*p < 0x80) {
      p++;
      continue;
    }
    size_t bad;
    size_t n = Utf8SeqLen(p, end, &bad);
    if (n == 0) return false;
    p += n;
  }
  return true;
}

void AppendUtf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    char b[2] = {static_cast<char>(0xc0 | (cp >> 6)), static_cast<char>(0x80 | (cp & 0x3f))};
    out.append(b, 2);
  } else if (cp < 0x10000) {
    char b[3] = {static_cast<char>(0xe0 | (cp >> 12)), static_cast<char>(0x80 | ((cp >> 6) & 0x3f)),
                 static_cast<char>(0x80 | (cp & 0x3f))};
    out.append(b, 3);
  } else {
    char b[4] = {static_cast<char>(0xf0 | (cp >> 18)), static_cast<char>(0x80 | ((cp >> 12) & 0x3f)),
                 static_cast<char>(0x80 | ((cp >> 6) & 0x3f)), static_cast<char>(0x80 | (cp & 0x3f))};
    out.append(b, 4);
  }
}

constexpr char kReplacement[] = "\xEF\xBF\xBD";  // U+FFFD

// ---------------------------------------------------------------------------
// JavaScript object key order

// A JavaScript array index: canonical decimal below 2^32-1.  Such keys are
// listed first, in numeric order, by Object.keys and JSON.stringify.
inline bool IsArrayIndex(std::string_view k) {
  size_t n = k.size();
  if (n == 0 || n > 10) return false;
  if (k[0] < '0' || k[0] > '9') return false;  // the common case exits here
  if (k[0] == '0') return n == 1;
  uint64_t v = 0;
  for (char c : k) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  return v < 0xffffffffull;
}

// Canonical decimals compare numerically by length, then bytes.
inline bool IndexLess(std::string_view a, std::string_view b) {
  return a.size() != b.size() ? a.size() < b.size() : a < b;
}

// Returns false when `f` already is in JavaScript property order with unique
// keys.  Otherwise fills `order` with the indices to emit: each key once, at
// the position of its first occurrence but taking the entry of its last one
// (what `obj[k] = v` does), array-index keys first in ascending order.
bool NeedsReorder(const Any::Object& f, std::vector<uint32_t>* order) {
  const size_t n = f.size();
  if (n < 2) return false;
  // winner[j] = index of the last occurrence of the key first seen at j;
  // UINT32_MAX marks a later occurrence.  Allocated only when a duplicate exists.
  std::vector<uint32_t> winner;
  auto note_dup = [&](size_t later, size_t first) {
    if (winner.empty()) {
      winner.resize(n);
      for (size_t i = 0; i < n; i++) winner[i] = static_cast<uint32_t>(i);
    }
    winner[first] = static_cast<uint32_t>(later);
    winner[later] = UINT32_MAX;
  };
  if (n <= 16) {
    for (size_t i = 1; i < n; i++) {
      for (size_t j = 0; j < i; j++) {
        if (f[j].first == f[i].first) {
          note_dup(i, j);  // j is the first occurrence: earlier ones were checked first
          break;
        }
      }
    }
  } else {
    absl::flat_hash_map<std::string_view, uint32_t> seen;
    seen.reserve(n);
    for (size_t i = 0; i < n; i++) {
      auto [it, inserted] = seen.try_emplace(f[i].first, static_cast<uint32_t>(i));
      if (!inserted) note_dup(i, it->second);
    }
  }
  const bool has_dup = !winner.empty();
  auto live = [&](size_t i) { return !has_dup || winner[i] != UINT32_MAX; };

  bool ordered = true;
  bool seen_plain = false;
  std::string_view prev_index;
  bool has_prev_index = false;
  for (size_t i = 0; i < n && ordered; i++) {
    if (!live(i)) continue;
    std::string_view k = f[i].first;
    if (IsArrayIndex(k)) {
      if (seen_plain || (has_prev_index && IndexLess(k, prev_index))) ordered = false;
      prev_index = k;
      has_prev_index = true;
    } else {
      seen_plain = true;
    }
  }
  if (ordered && !has_dup) return false;

  order->clear();
  order->reserve(n);
  for (size_t i = 0; i < n; i++) {
    if (live(i) && IsArrayIndex(f[i].first)) order->push_back(static_cast<uint32_t>(i));
  }
  std::sort(order->begin(), order->end(),
            [&](uint32_t a, uint32_t b) { return IndexLess(f[a].first, f[b].first); });
  for (size_t i = 0; i < n; i++) {
    if (live(i) && !IsArrayIndex(f[i].first)) order->push_back(static_cast<uint32_t>(i));
  }
  if (has_dup) {
    for (uint32_t& i : *order) i = winner[i];
  }
  return true;
}

void CanonicalizeObject(Any::Object& f) {
  std::vector<uint32_t> order;
  if (!NeedsReorder(f, &order)) return;
  Any::Object out;
  out.reserve(order.size());
  for (uint32_t i : order) out.push_back(std::move(f[i]));
  f = std::move(out);
}

// Calls fn(key, value) for each property in JavaScript order.
template <typename Fn>
void ForEachProperty(const Any::Object& f, bool canonical, Fn&& fn) {
  std::vector<uint32_t> order;
  if (canonical || !NeedsReorder(f, &order)) {
    for (const auto& [k, v] : f) fn(k, v);
  } else {
    for (uint32_t i : order) fn(f[i].first, f[i].second);
  }
}

const Any::Array& EmptyArray() {
  static const Any::Array* empty = new Any::Array();
  return *empty;
}
const Any::Object& EmptyObject() {
  static const Any::Object* empty = new Any::Object();
  return *empty;
}

// ---------------------------------------------------------------------------
// lib0 any tags

enum : uint8_t {
  kTagUndefined = 127,
  kTagNull = 126,
  kTagInteger = 125,
  kTagFloat32 = 124,
  kTagFloat64 = 123,
  kTagBigInt = 122,
  kTagFalse = 121,
  kTagTrue = 120,
  kTagString = 119,
  kTagObject = 118,
  kTagArray = 117,
  kTagBinary = 116,
};

// lib0's isFloat32: the value survives a round trip through float32.
inline bool IsFloat32(double d) {
  if (std::isnan(d)) return false;
  if (std::isinf(d)) return true;
  // Converting a finite double beyond float range is undefined behaviour in
  // C++; such values are never exact in float32 anyway.
  if (std::fabs(d) > static_cast<double>(std::numeric_limits<float>::max())) return false;
  return static_cast<double>(static_cast<float>(d)) == d;
}

}  // namespace

// ---------------------------------------------------------------------------
// Construction and access

Any Any::Null() {
  Any a;
  a.kind_ = Kind::kNull;
  return a;
}
Any Any::Bool(bool b) {
  Any a;
  a.kind_ = Kind::kBool;
  a.bool_ = b;
  return a;
}
Any Any::Number(double d) {
  Any a;
  a.kind_ = Kind::kNumber;
  a.number_ = d;
  return a;
}
Any Any::BigInt(int64_t v) {
  Any a;
  a.kind_ = Kind::kBigInt;
  a.bigint_ = v;
  return a;
}
Any Any::String(std::string s) {
  Any a;
  a.kind_ = Kind::kString;
  a.str_ = std::move(s);
  return a;
}
Any Any::Binary(std::string bytes) {
  Any a;
  a.kind_ = Kind::kBinary;
  a.str_ = std::move(bytes);
  return a;
}
Any Any::MakeArray(Array items) {
  Any a;
  a.kind_ = Kind::kArray;
  a.array_ = std::make_shared<Array>(std::move(items));
  return a;
}
Any Any::MakeObject(Object fields) {
  CanonicalizeObject(fields);
  Any a;
  a.kind_ = Kind::kObject;
  a.object_ = std::make_shared<Object>(std::move(fields));
  a.object_canonical_ = true;
  return a;
}

const Any::Array& Any::as_array() const {
  return kind_ == Kind::kArray && array_ ? *array_ : EmptyArray();
}
const Any::Object& Any::as_object() const {
  return kind_ == Kind::kObject && object_ ? *object_ : EmptyObject();
}

Any::Array& Any::mutable_array() {
  if (kind_ != Kind::kArray) *this = MakeArray({});
  if (!array_) array_ = std::make_shared<Array>();
  if (array_.use_count() > 1) array_ = std::make_shared<Array>(*array_);
  return *array_;
}

Any::Object& Any::mutable_object() {
  if (kind_ != Kind::kObject) *this = MakeObject({});
  if (!object_) object_ = std::make_shared<Object>();
  if (object_.use_count() > 1) object_ = std::make_shared<Object>(*object_);
  object_canonical_ = false;
  return *object_;
}

const Any* Any::Find(std::string_view key) const {
  if (kind_ != Kind::kObject || !object_) return nullptr;
  // From the back: with duplicate keys (only possible after mutable_object)
  // the last one wins, as in JavaScript.
  for (auto it = object_->rbegin(); it != object_->rend(); ++it) {
    if (it->first == key) return &it->second;
  }
  return nullptr;
}

bool Any::operator==(const Any& other) const {
  if (kind_ != other.kind_) return false;
  switch (kind_) {
    case Kind::kUndefined:
    case Kind::kNull:
      return true;
    case Kind::kBool:
      return bool_ == other.bool_;
    case Kind::kNumber:
      if (std::isnan(number_)) return std::isnan(other.number_);
      return number_ == other.number_ && std::signbit(number_) == std::signbit(other.number_);
    case Kind::kBigInt:
      return bigint_ == other.bigint_;
    case Kind::kString:
    case Kind::kBinary:
      return str_ == other.str_;
    case Kind::kArray: {
      const Array& a = as_array();
      const Array& b = other.as_array();
      if (&a == &b) return true;
      if (a.size() != b.size()) return false;
      for (size_t i = 0; i < a.size(); i++) {
        if (a[i] != b[i]) return false;
      }
      return true;
    }
    case Kind::kObject: {
      const Object& a = as_object();
      const Object& b = other.as_object();
      if (&a == &b) return true;
      size_t count_a = 0, count_b = 0;
      bool equal = true;
      ForEachProperty(b, other.object_canonical_, [&](const std::string&, const Any&) { count_b++; });
      ForEachProperty(a, object_canonical_, [&](const std::string& k, const Any& v) {
        count_a++;
        if (!equal) return;
        const Any* w = other.Find(k);
        if (w == nullptr || *w != v) equal = false;
      });
      return equal && count_a == count_b;
    }
  }
  return false;
}

// ---------------------------------------------------------------------------
// lib0 binary

void Any::Encode(Encoder& enc) const {
  switch (kind_) {
    case Kind::kUndefined:
      enc.WriteUint8(kTagUndefined);
      return;
    case Kind::kNull:
      enc.WriteUint8(kTagNull);
      return;
    case Kind::kBool:
      enc.WriteUint8(bool_ ? kTagTrue : kTagFalse);
      return;
    case Kind::kNumber: {
      double d = number_;
      double mag = std::fabs(d);
      if (mag <= 2147483647.0 && std::trunc(d) == d) {
        enc.WriteUint8(kTagInteger);
        enc.WriteVarIntMagnitude(static_cast<uint64_t>(mag), std::signbit(d));  // keeps -0
      } else if (IsFloat32(d)) {
        enc.WriteUint8(kTagFloat32);
        enc.WriteFloat32(static_cast<float>(d));
      } else {
        enc.WriteUint8(kTagFloat64);
        enc.WriteFloat64(d);
      }
      return;
    }
    case Kind::kBigInt:
      enc.WriteUint8(kTagBigInt);
      enc.WriteBigInt64(bigint_);
      return;
    case Kind::kString:
      enc.WriteUint8(kTagString);
      enc.WriteVarString(str_);
      return;
    case Kind::kBinary:
      enc.WriteUint8(kTagBinary);
      enc.WriteVarBytes(str_.data(), str_.size());
      return;
    case Kind::kArray: {
      const Array& items = as_array();
      enc.WriteUint8(kTagArray);
      enc.WriteVarUint(items.size());
      for (const Any& item : items) item.Encode(enc);
      return;
    }
    case Kind::kObject: {
      const Object& fields = as_object();
      enc.WriteUint8(kTagObject);
      std::vector<uint32_t> order;
      if (object_canonical_ || !NeedsReorder(fields, &order)) {
        enc.WriteVarUint(fields.size());
        for (const auto& [k, v] : fields) {
          enc.WriteVarString(k);
          v.Encode(enc);
        }
      } else {
        enc.WriteVarUint(order.size());
        for (uint32_t i : order) {
          enc.WriteVarString(fields[i].first);
          fields[i].second.Encode(enc);
        }
      }
      return;
    }
  }
}

Any Any::DecodeInto(Decoder& dec, int depth) {
  uint8_t tag = dec.ReadUint8();
  if (!dec.ok()) return Any();
  switch (tag) {
    case kTagUndefined:
      return Any();
    case kTagNull:
      return Null();
    case kTagInteger: {
      bool negative_zero = false;
      int64_t v = dec.ReadVarInt(&negative_zero);
      if (!dec.ok()) return Any();
      return Number(negative_zero ? -0.0 : static_cast<double>(v));
    }
    case kTagFloat32: {
      float f = dec.ReadFloat32();
      return dec.ok() ? Number(static_cast<double>(f)) : Any();
    }
    case kTagFloat64: {
      double d = dec.ReadFloat64();
      return dec.ok() ? Number(d) : Any();
    }
    case kTagBigInt: {
      int64_t v = dec.ReadBigInt64();
      return dec.ok() ? BigInt(v) : Any();
    }
    case kTagFalse:
      return Bool(false);
    case kTagTrue:
      return Bool(true);
    case kTagString: {
      std::string_view s = dec.ReadVarString();
      if (!dec.ok()) return Any();
      if (!IsValidUtf8(s)) {
        dec.Fail("invalid UTF-8 in string");
        return Any();
      }
      return String(std::string(s));
    }
    case kTagObject: {
      if (depth >= kMaxDepth) {
        dec.Fail("any nested too deeply");
        return Any();
      }
      uint64_t n = dec.ReadVarUint();
      // Each entry takes at least two bytes (key length, value tag): refuse a
      // count the input cannot hold before reserving anything for it.
      if (!dec.ok() || n > dec.remaining() / 2) {
        dec.Fail("object size exceeds remaining data");
        return Any();
      }
      Object fields;
      fields.reserve(static_cast<size_t>(n));
      for (uint64_t i = 0; i < n; i++) {
        std::string_view key = dec.ReadVarString();
        if (!dec.ok()) return Any();
        if (!IsValidUtf8(key)) {
          dec.Fail("invalid UTF-8 in object key");
          return Any();
        }
        Any value = DecodeInto(dec, depth + 1);
        if (!dec.ok()) return Any();
        fields.emplace_back(std::string(key), std::move(value));
      }
      return MakeObject(std::move(fields));
    }
    case kTagArray: {
      if (depth >= kMaxDepth) {
        dec.Fail("any nested too deeply");
        return Any();
      }
      uint64_t n = dec.ReadVarUint();
      if (!dec.ok() || n > dec.remaining()) {  // each item takes at least its tag byte
        dec.Fail("array size exceeds remaining data");
        return Any();
      }
      Array items;
      items.reserve(static_cast<size_t>(n));
      for (uint64_t i = 0; i < n; i++) {
        items.push_back(DecodeInto(dec, depth + 1));
        if (!dec.ok()) return Any();
      }
      return MakeArray(std::move(items));
    }
    case kTagBinary: {
      std::string_view b = dec.ReadVarBytes();
      return dec.ok() ? Binary(std::string(b)) : Any();
    }
    default:
      dec.Fail("unknown any tag");
      return Any();
  }
}

absl::StatusOr<Any> Any::Decode(Decoder& dec) {
  size_t start = dec.position();
  Any a = DecodeInto(dec, 0);
  if (!dec.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("malformed lib0 any (value at byte ", start, "): ", dec.error()));
  }
  return a;
}

// ---------------------------------------------------------------------------
// JSON output

void AppendJsNumber(std::string& out, double d) {
  if (std::isnan(d)) {
    out += "NaN";
    return;
  }
  if (std::isinf(d)) {
    out += d < 0 ? "-Infinity" : "Infinity";
    return;
  }
  char buf[40];
  // Whole numbers below 2^53 print all their digits (-0 prints as "0").
  if (std::fabs(d) < 9007199254740992.0 && std::trunc(d) == d) {
    auto r = std::to_chars(buf, buf + sizeof buf, static_cast<int64_t>(d));
    out.append(buf, r.ptr);
    return;
  }
  // Shortest round-trip digits, then Number::toString's layout rules.
  auto r = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific);
  const char* p = buf;
  if (*p == '-') {
    out += '-';
    p++;
  }
  char digits[20];
  int k = 0;
  for (; *p != 'e'; p++) {
    if (*p != '.') digits[k++] = *p;
  }
  p++;  // 'e'
  int exp10 = 0;
  std::from_chars(*p == '+' ? p + 1 : p, r.ptr, exp10);
  const int n = exp10 + 1;  // value = 0.digits * 10^n
  if (k <= n && n <= 21) {
    out.append(digits, k);
    out.append(static_cast<size_t>(n - k), '0');
  } else if (0 < n && n <= 21) {
    out.append(digits, n);
    out += '.';
    out.append(digits + n, k - n);
  } else if (-6 < n && n <= 0) {
    out += "0.";
    out.append(static_cast<size_t>(-n), '0');
    out.append(digits, k);
  } else {
    out += digits[0];
    if (k > 1) {
      out += '.';
      out.append(digits + 1, k - 1);
    }
    out += 'e';
    out += n - 1 >= 0 ? '+' : '-';
    auto e = std::to_chars(buf, buf + sizeof buf, std::abs(n - 1));
    out.append(buf, e.ptr);
  }
}

namespace {
// 0: copy; 1: needs \u00XX; other: the short escape letter.
constexpr std::array<char, 128> MakeEscapeTable() {
  std::array<char, 128> t{};
  for (int c = 0; c < 0x20; c++) t[c] = 1;
  t['\b'] = 'b';
  t['\f'] = 'f';
  t['\n'] = 'n';
  t['\r'] = 'r';
  t['\t'] = 't';
  t['"'] = '"';
  t['\\'] = '\\';
  return t;
}
constexpr std::array<char, 128> kEscape = MakeEscapeTable();
}  // namespace

void AppendJsonString(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  const uint8_t* p = reinterpret_cast<const uint8_t*>(s.data());
  const uint8_t* end = p + s.size();
  out += '"';
  const uint8_t* run = p;  // start of bytes copied verbatim
  while (p < end) {
    uint8_t c = *p;
    if (c < 0x80) {
      if (kEscape[c] == 0) {
        p++;
        continue;
      }
      out.append(reinterpret_cast<const char*>(run), p - run);
      if (kEscape[c] == 1) {
        char e[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xf]};
        out.append(e, 6);
      } else {
        char e[2] = {'\\', kEscape[c]};
        out.append(e, 2);
      }
      run = ++p;
      continue;
    }
    size_t bad;
    size_t n = Utf8SeqLen(p, end, &bad);
    if (n) {
      p += n;
      continue;
    }
    // Not UTF-8 (only possible for strings built by hand): emit U+FFFD as a
    // lenient decoder would, so the output is always valid UTF-8.
    out.append(reinterpret_cast<const char*>(run), p - run);
    out += kReplacement;
    p += bad;
    run = p;
  }
  out.append(reinterpret_cast<const char*>(run), p - run);
  out += '"';
}

void Any::AppendJson(std::string& out) const {
  switch (kind_) {
    case Kind::kUndefined:
    case Kind::kNull:
      out += "null";
      return;
    case Kind::kBool:
      out += bool_ ? "true" : "false";
      return;
    case Kind::kNumber:
      if (std::isfinite(number_)) {
        AppendJsNumber(out, number_);
      } else {
        out += "null";
      }
      return;
    case Kind::kBigInt: {
      char buf[24];
      auto r = std::to_chars(buf, buf + sizeof buf, bigint_);
      out.append(buf, r.ptr);
      return;
    }
    case Kind::kString:
      AppendJsonString(out, str_);
      return;
    case Kind::kBinary: {
      out += '{';
      char buf[24];
      for (size_t i = 0; i < str_.size(); i++) {
        if (i) out += ',';
        out += '"';
        auto r = std::to_chars(buf, buf + sizeof buf, i);
        out.append(buf, r.ptr);
        out += "\":";
        r = std::to_chars(buf, buf + sizeof buf, static_cast<uint8_t>(str_[i]));
        out.append(buf, r.ptr);
      }
      out += '}';
      return;
    }
    case Kind::kArray: {
      out += '[';
      bool first = true;
      for (const Any& item : as_array()) {
        if (!first) out += ',';
        first = false;
        item.AppendJson(out);  // undefined prints as null here
      }
      out += ']';
      return;
    }
    case Kind::kObject: {
      out += '{';
      bool first = true;
      ForEachProperty(as_object(), object_canonical_, [&](const std::string& k, const Any& v) {
        if (v.is_undefined()) return;
        if (!first) out += ',';
        first = false;
        AppendJsonString(out, k);
        out += ':';
        v.AppendJson(out);
      });
      out += '}';
      return;
    }
  }
}

std::string Any::ToJson() const {
  std::string out;
  AppendJson(out);
  return out;
}

// ---------------------------------------------------------------------------
// JSON input

namespace {

class JsonParser {
 public:
  explicit JsonParser(std::string_view text)
      : begin_(text.data()), p_(text.data()), end_(text.data() + text.size()) {}

  absl::StatusOr<Any> Parse() {
    Any value;
    SkipSpace();
    if (ParseValue(value, 0)) {
      SkipSpace();
      if (p_ != end_) Error("unexpected data after the JSON value");
    }
    if (!error_.empty()) return absl::InvalidArgumentError(error_);
    return value;
  }

 private:
  bool Error(const char* what) { return ErrorAt(p_, what); }
  bool ErrorAt(const char* at, const char* what) {
    if (error_.empty()) error_ = absl::StrCat("invalid JSON at byte ", at - begin_, ": ", what);
    return false;
  }

  void SkipSpace() {
    while (p_ < end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t')) p_++;
  }

  bool Literal(std::string_view word) {
    if (static_cast<size_t>(end_ - p_) < word.size() || std::memcmp(p_, word.data(), word.size()) != 0) {
      return Error("invalid literal");
    }
    p_ += word.size();
    return true;
  }

  bool ParseValue(Any& out, int depth) {
    if (p_ >= end_) return Error("unexpected end of input");
    switch (*p_) {
      case '{':
        return ParseObject(out, depth);
      case '[':
        return ParseArray(out, depth);
      case '"': {
        std::string s;
        if (!ParseString(s)) return false;
        out = Any::String(std::move(s));
        return true;
      }
      case 't':
        if (!Literal("true")) return false;
        out = Any::Bool(true);
        return true;
      case 'f':
        if (!Literal("false")) return false;
        out = Any::Bool(false);
        return true;
      case 'n':
        if (!Literal("null")) return false;
        out = Any::Null();
        return true;
      default:
        if (*p_ == '-' || (*p_ >= '0' && *p_ <= '9')) return ParseNumber(out);
        return Error("unexpected character");
    }
  }

  // Containers collect their elements on scratch stacks shared by all levels,
  // then move them into a vector of exactly the right size: no regrowth.
  bool ParseArray(Any& out, int depth) {
    if (depth >= Any::kMaxDepth) return Error("nesting too deep");
    p_++;  // '['
    const size_t mark = items_.size();
    SkipSpace();
    if (p_ < end_ && *p_ == ']') {
      p_++;
      out = Any::MakeArray({});
      return true;
    }
    while (true) {
      SkipSpace();
      Any item;  // not items_.back(): nested containers may reallocate items_
      if (!ParseValue(item, depth + 1)) return false;
      items_.push_back(std::move(item));
      SkipSpace();
      if (p_ >= end_) return Error("unexpected end of input in array");
      if (*p_ == ',') {
        p_++;
        continue;
      }
      if (*p_ == ']') {
        p_++;
        break;
      }
      return Error("expected ',' or ']'");
    }
    Any::Array items(std::make_move_iterator(items_.begin() + mark), std::make_move_iterator(items_.end()));
    items_.resize(mark);
    out = Any::MakeArray(std::move(items));
    return true;
  }

  bool ParseObject(Any& out, int depth) {
    if (depth >= Any::kMaxDepth) return Error("nesting too deep");
    p_++;  // '{'
    const size_t mark = fields_.size();
    SkipSpace();
    if (p_ < end_ && *p_ == '}') {
      p_++;
      out = Any::MakeObject({});
      return true;
    }
    while (true) {
      SkipSpace();
      if (p_ >= end_) return Error("unexpected end of input in object");
      if (*p_ != '"') return Error("expected a string key");
      std::string key;
      if (!ParseString(key)) return false;
      SkipSpace();
      if (p_ >= end_ || *p_ != ':') return Error("expected ':'");
      p_++;
      SkipSpace();
      Any value;
      if (!ParseValue(value, depth + 1)) return false;
      fields_.emplace_back(std::move(key), std::move(value));
      SkipSpace();
      if (p_ >= end_) return Error("unexpected end of input in object");
      if (*p_ == ',') {
        p_++;
        continue;
      }
      if (*p_ == '}') {
        p_++;
        break;
      }
      return Error("expected ',' or '}'");
    }
    Any::Object fields(std::make_move_iterator(fields_.begin() + mark), std::make_move_iterator(fields_.end()));
    fields_.resize(mark);
    out = Any::MakeObject(std::move(fields));  // duplicates and key order as JavaScript
    return true;
  }

  static int HexValue(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }

  // Reads the 4 hex digits after "\u" at p_; p_ points at the backslash.
  bool ReadU16Escape(uint32_t* unit) {
    if (end_ - p_ < 6) return Error("truncated \\u escape");
    uint32_t v = 0;
    for (int i = 2; i < 6; i++) {
      int h = HexValue(p_[i]);
      if (h < 0) return ErrorAt(p_ + i, "invalid hex digit in \\u escape");
      v = (v << 4) | static_cast<uint32_t>(h);
    }
    p_ += 6;
    *unit = v;
    return true;
  }

  bool ParseString(std::string& out) {
    const char* open = p_;
    p_++;  // '"'
    const char* run = p_;
    while (true) {
      // Copy plain ASCII in bulk.
      while (p_ < end_) {
        uint8_t c = static_cast<uint8_t>(*p_);
        if (c < 0x20 || c == '"' || c == '\\' || c >= 0x80) break;
        p_++;
      }
      if (p_ >= end_) return ErrorAt(open, "unterminated string");
      uint8_t c = static_cast<uint8_t>(*p_);
      if (c == '"') {
        out.append(run, p_);
        p_++;
        return true;
      }
      if (c >= 0x80) {
        size_t bad;
        size_t n = Utf8SeqLen(reinterpret_cast<const uint8_t*>(p_), reinterpret_cast<const uint8_t*>(end_), &bad);
        if (n == 0) return Error("invalid UTF-8");
        p_ += n;
        continue;
      }
      if (c < 0x20) return Error("control character in string");
      // Backslash.
      out.append(run, p_);
      if (end_ - p_ < 2) return ErrorAt(open, "unterminated string");
      char e = p_[1];
      char simple = 0;
      switch (e) {
        case '"': simple = '"'; break;
        case '\\': simple = '\\'; break;
        case '/': simple = '/'; break;
        case 'b': simple = '\b'; break;
        case 'f': simple = '\f'; break;
        case 'n': simple = '\n'; break;
        case 'r': simple = '\r'; break;
        case 't': simple = '\t'; break;
        case 'u': break;
        default: return Error("invalid escape");
      }
      if (simple) {
        out += simple;
        p_ += 2;
      } else {
        uint32_t unit = 0;
        if (!ReadU16Escape(&unit)) return false;
        if (unit >= 0xd800 && unit <= 0xdbff) {
          uint32_t low = 0;
          if (end_ - p_ >= 6 && p_[0] == '\\' && p_[1] == 'u') {
            const char* save = p_;
            if (!ReadU16Escape(&low)) return false;
            if (low >= 0xdc00 && low <= 0xdfff) {
              AppendUtf8(out, 0x10000 + ((unit - 0xd800) << 10) + (low - 0xdc00));
            } else {
              out += kReplacement;  // lone high surrogate; the next escape stands alone
              p_ = save;
            }
          } else {
            out += kReplacement;
          }
        } else if (unit >= 0xdc00 && unit <= 0xdfff) {
          out += kReplacement;  // lone low surrogate
        } else {
          AppendUtf8(out, unit);
        }
      }
      run = p_;
    }
  }

  bool ParseNumber(Any& out) {
    const char* start = p_;
    bool negative = false;
    if (*p_ == '-') {
      negative = true;
      p_++;
    }
    // Where the first significant digit sits, to tell overflow from underflow.
    int64_t magnitude = 0;
    bool seen_nonzero = false;
    if (p_ >= end_ || *p_ < '0' || *p_ > '9') return Error("expected a digit");
    if (*p_ == '0') {
      p_++;
      if (p_ < end_ && *p_ >= '0' && *p_ <= '9') return Error("leading zero in number");
    } else {
      const char* int_start = p_;
      while (p_ < end_ && *p_ >= '0' && *p_ <= '9') p_++;
      magnitude = p_ - int_start - 1;
      seen_nonzero = true;
    }
    const char* int_end = p_;
    if (p_ < end_ && *p_ == '.') {
      p_++;
      const char* frac_start = p_;
      while (p_ < end_ && *p_ >= '0' && *p_ <= '9') {
        if (!seen_nonzero && *p_ != '0') {
          seen_nonzero = true;
          magnitude = -(p_ - frac_start) - 1;
        }
        p_++;
      }
      if (p_ == frac_start) return Error("expected a digit after '.'");
    }
    int64_t exponent = 0;
    if (p_ < end_ && (*p_ == 'e' || *p_ == 'E')) {
      p_++;
      bool exp_negative = false;
      if (p_ < end_ && (*p_ == '+' || *p_ == '-')) {
        exp_negative = *p_ == '-';
        p_++;
      }
      const char* exp_start = p_;
      while (p_ < end_ && *p_ >= '0' && *p_ <= '9') {
        if (exponent < 1000000000) exponent = exponent * 10 + (*p_ - '0');
        p_++;
      }
      if (p_ == exp_start) return Error("expected a digit in exponent");
      if (exp_negative) exponent = -exponent;
    }
    double d = 0;
    const char* digits = negative ? start + 1 : start;
    if (p_ == int_end && p_ - digits <= 15) {
      // A plain integer of up to 15 digits is exact in a double: skip from_chars.
      int64_t v = 0;
      for (const char* q = digits; q < p_; q++) v = v * 10 + (*q - '0');
      d = static_cast<double>(v);
      out = Any::Number(negative ? -d : d);  // "-0" stays -0
      return true;
    }
    auto r = std::from_chars(start, p_, d);
    if (r.ec == std::errc::result_out_of_range) {
      // from_chars leaves d alone; JSON.parse gives +-Infinity or +-0.
      d = magnitude + exponent > 0 ? std::numeric_limits<double>::infinity() : 0.0;
      if (negative) d = -d;
    } else if (r.ec != std::errc() || r.ptr != p_) {
      return ErrorAt(start, "invalid number");
    }
    out = Any::Number(d);
    return true;
  }

  const char* begin_;
  const char* p_;
  const char* end_;
  std::string error_;
  std::vector<Any> items_;
  Any::Object fields_;
};

}  // namespace

absl::StatusOr<Any> Any::FromJson(std::string_view json) { return JsonParser(json).Parse(); }

}  // namespace codesync
