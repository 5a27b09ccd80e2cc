// Any: the JSON-like values Yjs stores in maps and arrays (lib0 "any"
// encoding), with conversion to and from JSON text.  Numbers follow
// JavaScript: one double type, integers are doubles that happen to be whole.
#ifndef CODESYNC_ENCODING_ANY_H_
#define CODESYNC_ENCODING_ANY_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "encoding/lib0.h"

namespace codesync {

class Any {
 public:
  enum class Kind : uint8_t { kUndefined, kNull, kBool, kNumber, kBigInt, kString, kBinary, kArray, kObject };
  using Array = std::vector<Any>;
  // Keys in insertion order, as a JavaScript object keeps string keys.
  using Object = std::vector<std::pair<std::string, Any>>;

  Any() = default;  // undefined
  static Any Null();
  static Any Bool(bool b);
  static Any Number(double d);
  static Any BigInt(int64_t v);
  static Any String(std::string s);
  static Any Binary(std::string bytes);
  static Any MakeArray(Array items);
  static Any MakeObject(Object fields);

  Kind kind() const { return kind_; }
  bool is_undefined() const { return kind_ == Kind::kUndefined; }
  bool is_null() const { return kind_ == Kind::kNull; }
  bool as_bool() const { return bool_; }
  double as_number() const { return number_; }
  int64_t as_bigint() const { return bigint_; }
  const std::string& as_string() const { return str_; }  // kString and kBinary
  const Array& as_array() const;
  const Object& as_object() const;
  // Copy-on-write: a container shared with other copies is cloned first.  On a
  // value of another kind they first turn it into an empty array / object.
  Array& mutable_array();
  Object& mutable_object();
  // nullptr when absent or not an object.
  const Any* Find(std::string_view key) const;

  // Deep equality.  Numbers compare like Object.is (NaN equals NaN, 0 and -0
  // differ, as their encodings do); objects compare as key sets, ignoring order.
  bool operator==(const Any& other) const;
  bool operator!=(const Any& other) const { return !(*this == other); }

  // lib0 writeAny / readAny.  Numbers are written as JavaScript would: a whole
  // number with |n| <= 2^31-1 (lib0's BITS31) as varInt, -0 included; one exact in
  // float32 (or +-Infinity) as float32; else float64 (NaN too).
  void Encode(Encoder& enc) const;
  // Fails on unknown tags, truncation, invalid UTF-8, element counts larger than
  // the bytes left, or nesting deeper than kMaxDepth.  Objects come out in
  // JavaScript property order with duplicate keys merged, as lib0 readAny does.
  static absl::StatusOr<Any> Decode(Decoder& dec);
  // Like Decode but reports failure through dec (sticky error) for use inside larger decoders.
  static Any DecodeInto(Decoder& dec, int depth = 0);

  // JSON.stringify semantics: undefined in an object is dropped, in an array
  // becomes null; numbers print as JavaScript prints them (NaN/Infinity -> null);
  // bigint prints as digits; binary prints as an object of indices like JS would
  // for Uint8Array ({"0":1,...}).  Integer-like keys come first in ascending
  // order, as in a JavaScript object.  A top-level undefined prints as "null"
  // (JSON.stringify would return undefined, which is not text).
  std::string ToJson() const;
  void AppendJson(std::string& out) const;
  // Strict RFC 8259 JSON (UTF-8 validated, depth-limited).  Error messages name
  // the byte offset.  Like JSON.parse: a duplicate key keeps its first position
  // and takes the last value; a lone surrogate escape becomes U+FFFD.
  static absl::StatusOr<Any> FromJson(std::string_view json);

  static constexpr int kMaxDepth = 512;

  // JavaScript's `===`: primitives by value, arrays/objects/binaries only when
  // they are the same instance (copies of an Any share their instance).
  bool StrictEquals(const Any& other) const {
    if (kind_ != other.kind_) return false;
    switch (kind_) {
      case Kind::kArray:
        return array_ == other.array_;
      case Kind::kObject:
        return object_ == other.object_;
      case Kind::kBinary:
        return false;
      case Kind::kNumber:
        return number_ == other.number_;  // NaN !== NaN, 0 === -0
      default:
        return *this == other;
    }
  }

 private:
  Kind kind_ = Kind::kUndefined;
  bool bool_ = false;
  double number_ = 0;
  int64_t bigint_ = 0;
  std::string str_;
  std::shared_ptr<Array> array_;    // copy-on-write not needed: values are immutable once built
  std::shared_ptr<Object> object_;
  // True while object_ is known to be in JavaScript property order without
  // duplicate keys (set by MakeObject/Decode/FromJson, cleared by
  // mutable_object()); when false, output paths compute that order on the fly.
  bool object_canonical_ = true;
};

// Formats a double as JavaScript's Number.prototype.toString() does.
void AppendJsNumber(std::string& out, double d);
// Appends s as a JSON string literal (quotes and escapes as JSON.stringify does).
void AppendJsonString(std::string& out, std::string_view s);

}  // namespace codesync

#endif  // CODESYNC_ENCODING_ANY_H_
