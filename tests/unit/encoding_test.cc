// Tests for lib/encoding: lib0 Encoder/Decoder and Any (lib0 writeAny/readAny,
// JSON in and out).  Expected bytes and text in tests/unit/data/*.txt come from
// the real lib0 and Node (see data/gen_lib0_vectors.mjs); the rest are written
// out by hand here.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

#include "encoding/any.h"
#include "encoding/lib0.h"

namespace codesync {
namespace {

using Row = std::vector<std::string>;

std::string FromHex(std::string_view hex) {
  auto nibble = [](char c) { return c <= '9' ? c - '0' : c - 'a' + 10; };
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) out += static_cast<char>(nibble(hex[i]) << 4 | nibble(hex[i + 1]));
  return out;
}

std::string ToHex(const std::vector<uint8_t>& bytes) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out;
  for (uint8_t b : bytes) {
    out += kDigits[b >> 4];
    out += kDigits[b & 15];
  }
  return out;
}

std::string EncodeHex(const Any& a) {
  Encoder enc;
  a.Encode(enc);
  return ToHex(enc.data());
}

// Reads tests/unit/data/<name>: tab-separated fields, '#' lines are comments.
std::vector<Row> ReadVectors(const char* name) {
  std::filesystem::path path = std::filesystem::path(__FILE__).parent_path() / "data" / name;
  std::ifstream in(path, std::ios::binary);
  REQUIRE_MESSAGE(in.good(), "cannot open " << path.string());
  std::vector<Row> rows;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    Row row;
    size_t start = 0;
    while (true) {
      size_t tab = line.find('\t', start);
      row.push_back(line.substr(start, tab == std::string::npos ? std::string::npos : tab - start));
      if (tab == std::string::npos) break;
      start = tab + 1;
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

absl::StatusOr<Any> DecodeAll(std::string_view bytes) {
  Decoder dec(bytes);
  absl::StatusOr<Any> a = Any::Decode(dec);
  if (a.ok() && !dec.AtEnd()) return absl::InvalidArgumentError("trailing bytes");
  return a;
}

double DoubleFromBitsHex(const std::string& hex) {
  std::string b = FromHex(hex);
  uint64_t bits = 0;
  for (char c : b) bits = bits << 8 | static_cast<uint8_t>(c);
  double d;
  std::memcpy(&d, &bits, 8);
  return d;
}

uint64_t Bits(double d) {
  uint64_t b;
  std::memcpy(&b, &d, 8);
  return b;
}

std::string Nested(int depth, const char* open, const char* close, const char* inner) {
  std::string s;
  for (int i = 0; i < depth; i++) s += open;
  s += inner;
  for (int i = 0; i < depth; i++) s += close;
  return s;
}

// ---------------------------------------------------------------------------
// lib0 Encoder / Decoder

TEST_CASE("lib0 varint vectors from lib0") {
  std::vector<Row> rows = ReadVectors("lib0_varint_vectors.txt");
  REQUIRE(rows.size() > 100);
  for (const Row& row : rows) {
    REQUIRE(row.size() == 3);
    CAPTURE(row[0]);
    CAPTURE(row[1]);
    std::string bytes = FromHex(row[2]);
    Encoder enc;
    Decoder dec(bytes);
    if (row[0] == "u") {
      uint64_t v = std::stoull(row[1]);
      enc.WriteVarUint(v);
      CHECK(dec.ReadVarUint() == v);
    } else {
      bool negative_zero_expected = row[1] == "-0";
      int64_t v = std::stoll(row[1]);
      if (negative_zero_expected) {
        enc.WriteVarIntMagnitude(0, true);
      } else {
        enc.WriteVarInt(v);
      }
      bool negative_zero = false;
      CHECK(dec.ReadVarInt(&negative_zero) == v);
      CHECK(negative_zero == negative_zero_expected);
    }
    CHECK(ToHex(enc.data()) == row[2]);
    CHECK(dec.ok());
    CHECK(dec.AtEnd());
  }
}

TEST_CASE("lib0 varuint edges") {
  Encoder enc;
  enc.WriteVarUint(UINT64_MAX);
  CHECK(ToHex(enc.data()) == "ffffffffffffffffff01");
  Decoder dec(reinterpret_cast<const uint8_t*>(enc.data().data()), enc.size());
  CHECK(dec.ReadVarUint() == UINT64_MAX);
  CHECK(dec.ok());

  // Overlong but in range: accepted, as lib0 does.
  Decoder overlong(std::string_view("\x80\x80\x00", 3));
  CHECK(overlong.ReadVarUint() == 0);
  CHECK(overlong.ok());

  // The 10th byte may only carry bit 63.
  std::string overflow_bytes = FromHex("ffffffffffffffffff02");
  Decoder overflow(overflow_bytes);
  overflow.ReadVarUint();
  CHECK_FALSE(overflow.ok());

  std::string too_long_bytes = FromHex("8080808080808080808000");
  Decoder too_long(too_long_bytes);
  too_long.ReadVarUint();
  CHECK_FALSE(too_long.ok());

  std::string truncated_bytes = FromHex("ff");
  Decoder truncated(truncated_bytes);
  CHECK(truncated.ReadVarUint() == 0);
  CHECK_FALSE(truncated.ok());
  CHECK(std::string(truncated.error()).find("end of data") != std::string::npos);
}

TEST_CASE("lib0 varint edges") {
  for (int64_t v : {int64_t{0}, int64_t{-1}, int64_t{63}, int64_t{-64}, INT64_MAX, INT64_MIN, INT64_MIN + 1}) {
    CAPTURE(v);
    Encoder enc;
    enc.WriteVarInt(v);
    Decoder dec(reinterpret_cast<const uint8_t*>(enc.data().data()), enc.size());
    CHECK(dec.ReadVarInt() == v);
    CHECK(dec.ok());
    CHECK(dec.AtEnd());
  }
  {
    Encoder enc;
    enc.WriteVarInt(INT64_MIN);  // sign bit + magnitude 2^63: 1 + 63 bits of payload
    CHECK(ToHex(enc.data()) == "c0808080808080808002");
    CHECK(enc.size() == 10);
  }
  // Magnitude 2^63 is only representable when negative.
  std::string pos_2_63_bytes = FromHex("80808080808080808002");
  Decoder pos_2_63(pos_2_63_bytes);
  pos_2_63.ReadVarInt();
  CHECK_FALSE(pos_2_63.ok());
  // Payload bits beyond 64 must not be dropped silently.
  std::string beyond_bytes = FromHex("80808080808080808004");
  Decoder beyond(beyond_bytes);
  beyond.ReadVarInt();
  CHECK_FALSE(beyond.ok());
  std::string too_long_bytes = FromHex("8080808080808080808000");
  Decoder too_long(too_long_bytes);
  too_long.ReadVarInt();
  CHECK_FALSE(too_long.ok());
  std::string truncated_bytes = FromHex("c0");
  Decoder truncated(truncated_bytes);
  truncated.ReadVarInt();
  CHECK_FALSE(truncated.ok());
  Decoder empty(std::string_view{});
  empty.ReadVarInt();
  CHECK_FALSE(empty.ok());
}

// A Decoder borrows its bytes: a temporary std::string must not compile.
static_assert(!std::is_constructible_v<Decoder, std::string>);
static_assert(std::is_constructible_v<Decoder, std::string&>);
static_assert(std::is_constructible_v<Decoder, const std::string&>);
static_assert(std::is_constructible_v<Decoder, const char*>);
static_assert(std::is_constructible_v<Decoder, std::string_view>);

TEST_CASE("lib0 decoder: sticky error, lengths, floats") {
  std::string dec_bytes = FromHex("05616263");
  Decoder dec(dec_bytes);  // claims 5 bytes, has 3
  CHECK(dec.ReadVarString().empty());
  CHECK_FALSE(dec.ok());
  CHECK(dec.ReadUint8() == 0);  // stays failed, reads nothing
  CHECK(dec.AtEnd());
  CHECK(std::string(dec.error()).find("length") != std::string::npos);

  std::string huge_bytes = FromHex("ffffffffffffffffff0100");
  Decoder huge(huge_bytes);  // length 2^64-1
  CHECK(huge.ReadVarBytes().empty());
  CHECK_FALSE(huge.ok());

  Encoder enc;
  enc.WriteFloat32(1.5f);
  enc.WriteFloat64(-2.25);
  enc.WriteBigInt64(-2);
  enc.WriteVarString("hé");
  CHECK(ToHex(enc.data()) == "3fc00000c002000000000000fffffffffffffffe0368c3a9");
  Decoder r(reinterpret_cast<const uint8_t*>(enc.data().data()), enc.size());
  CHECK(r.ReadFloat32() == 1.5f);
  CHECK(r.ReadFloat64() == -2.25);
  CHECK(r.ReadBigInt64() == -2);
  CHECK(r.ReadVarString() == "hé");
  CHECK(r.ok());
  CHECK(r.AtEnd());
  CHECK(r.ReadFloat64() == 0);
  CHECK_FALSE(r.ok());
}

// ---------------------------------------------------------------------------
// Any <-> lib0 bytes, against lib0

TEST_CASE("lib0 any vectors: decode, re-encode, JSON.stringify") {
  std::vector<Row> rows = ReadVectors("lib0_any_vectors.txt");
  REQUIRE(rows.size() > 400);
  for (const Row& row : rows) {
    REQUIRE(row.size() >= 2);
    CAPTURE(row[0]);
    std::string bytes = FromHex(row[0]);
    absl::StatusOr<Any> a = DecodeAll(bytes);
    REQUIRE_MESSAGE(a.ok(), a.status().ToString());
    CHECK(EncodeHex(*a) == row[0]);
    std::string expected_json = row[1] == "!undefined" ? "null" : row[1] == "!throws" ? row[2] : row[1];
    CHECK(a->ToJson() == expected_json);
    // Decoding is deterministic and a copy compares equal.
    absl::StatusOr<Any> again = DecodeAll(bytes);
    REQUIRE(again.ok());
    CHECK(*again == *a);
    Any copy = *a;
    CHECK(copy == *a);
    // Node's JSON text parses back to the same text.
    if (row[1][0] != '!') {
      absl::StatusOr<Any> parsed = Any::FromJson(row[1]);
      REQUIRE_MESSAGE(parsed.ok(), parsed.status().ToString());
      CHECK(parsed->ToJson() == row[1]);
    }
  }
}

TEST_CASE("lib0 any: every strict prefix of a valid encoding fails cleanly") {
  std::vector<Row> rows = ReadVectors("lib0_any_vectors.txt");
  for (const Row& row : rows) {
    std::string bytes = FromHex(row[0]);
    for (size_t len = 0; len < bytes.size(); len++) {
      Decoder dec(std::string_view(bytes).substr(0, len));
      absl::StatusOr<Any> a = Any::Decode(dec);
      if (a.ok()) {
        FAIL("prefix decoded: " << row[0] << " len " << len);
      }
    }
  }
}

TEST_CASE("lib0 any: numbers encode as lib0 and print as Number#toString") {
  std::vector<Row> rows = ReadVectors("js_number_vectors.txt");
  REQUIRE(rows.size() > 1000);
  for (const Row& row : rows) {
    REQUIRE(row.size() == 3);
    double x = DoubleFromBitsHex(row[0]);
    CAPTURE(row[0]);
    CAPTURE(row[1]);
    std::string text;
    AppendJsNumber(text, x);
    CHECK(text == row[1]);
    CHECK(EncodeHex(Any::Number(x)) == row[2]);
    // JSON.stringify maps non-finite to null.
    CHECK(Any::Number(x).ToJson() == (std::isfinite(x) ? row[1] : "null"));
    // The bytes decode to the same number (float32 is exact by construction).
    absl::StatusOr<Any> back = DecodeAll(FromHex(row[2]));
    REQUIRE(back.ok());
    REQUIRE(back->kind() == Any::Kind::kNumber);
    if (std::isnan(x)) {
      CHECK(std::isnan(back->as_number()));
    } else {
      CHECK(Bits(back->as_number()) == Bits(x));
    }
    // The shortest digits parse back to the exact same double.
    if (std::isfinite(x)) {
      absl::StatusOr<Any> parsed = Any::FromJson(row[1]);
      REQUIRE(parsed.ok());
      CHECK(parsed->as_number() == x);
    }
  }
}

TEST_CASE("AppendJsNumber: hand-picked JavaScript formatting") {
  auto js = [](double d) {
    std::string s;
    AppendJsNumber(s, d);
    return s;
  };
  CHECK(js(1e21) == "1e+21");
  CHECK(js(1e-7) == "1e-7");
  CHECK(js(1.2345678901234568e20) == "123456789012345680000");
  CHECK(js(-0.0) == "0");
  CHECK(js(0.1) == "0.1");
  CHECK(js(0.000001) == "0.000001");
  CHECK(js(1.5e-7) == "1.5e-7");
  CHECK(js(-1.5e300) == "-1.5e+300");
  CHECK(js(5e-324) == "5e-324");
  CHECK(js(1.7976931348623157e308) == "1.7976931348623157e+308");
  CHECK(js(9007199254740992.0) == "9007199254740992");
  CHECK(js(9007199254740994.0) == "9007199254740994");
  CHECK(js(1e20) == "100000000000000000000");
  CHECK(js(123.456) == "123.456");
  CHECK(js(std::nan("")) == "NaN");
  CHECK(js(-std::numeric_limits<double>::infinity()) == "-Infinity");
}

TEST_CASE("lib0 any: encoding rules by hand") {
  CHECK(EncodeHex(Any()) == "7f");
  CHECK(EncodeHex(Any::Null()) == "7e");
  CHECK(EncodeHex(Any::Bool(true)) == "78");
  CHECK(EncodeHex(Any::Bool(false)) == "79");
  CHECK(EncodeHex(Any::Number(0)) == "7d00");
  CHECK(EncodeHex(Any::Number(-0.0)) == "7d40");
  CHECK(EncodeHex(Any::Number(-1)) == "7d41");
  CHECK(EncodeHex(Any::Number(64)) == "7d8001");
  CHECK(EncodeHex(Any::Number(2147483647)) == "7dbfffffff0f");
  CHECK(EncodeHex(Any::Number(-2147483647)) == "7dffffffff0f");
  CHECK(EncodeHex(Any::Number(2147483648.0)) == "7c4f000000");   // 2^31: float32
  CHECK(EncodeHex(Any::Number(-2147483648.0)) == "7ccf000000");  // -2^31: float32
  CHECK(EncodeHex(Any::Number(0.5)) == "7c3f000000");
  CHECK(EncodeHex(Any::Number(0.1)) == "7b3fb999999999999a");
  CHECK(EncodeHex(Any::Number(std::numeric_limits<double>::infinity())) == "7c7f800000");
  CHECK(EncodeHex(Any::Number(1e300)) == "7b7e37e43c8800759c");
  CHECK(EncodeHex(Any::BigInt(-1)) == "7affffffffffffffff");
  CHECK(EncodeHex(Any::String("hé")) == "770368c3a9");
  CHECK(EncodeHex(Any::Binary(std::string("\x01\xff", 2))) == "740201ff");
  CHECK(EncodeHex(Any::MakeArray({Any::Number(1), Any()})) == "75027d017f");
  // Keys come out in JavaScript order: array indices first, ascending.
  CHECK(EncodeHex(Any::MakeObject({{"b", Any::Null()}, {"1", Any::Null()}, {"0", Any::Null()}})) ==
        "760301307e01317e01627e");
}

TEST_CASE("lib0 any: malformed input returns an error") {
  const char* bad[] = {
      "",                          // nothing
      "00", "73", "80", "ff",      // unknown tags
      "7d", "7d80",                // truncated varint
      "7dffffffffffffffffffff7f",  // varint too long
      "7c0000", "7b00", "7a00",    // truncated float32 / float64 / bigint
      "7705616263",                // string shorter than its length
      "7702c328",                  // invalid UTF-8
      "7703eda080",                // UTF-16 surrogate encoded in UTF-8
      "7702c0af",                  // overlong UTF-8 (2 bytes)
      "7703e08080",                // overlong UTF-8 (3 bytes)
      "7704f08f8080",              // overlong UTF-8 (4 bytes)
      "7704f4908080",              // above U+10FFFF
      "770180",                    // lone continuation byte
      "7703e282",                  // sequence cut by the string's end
      "760101ff7e",                // invalid UTF-8 key
      "75ffffffffffffffffff01",    // array count 2^64-1
      "7580808080808080808001",    // array count 2^63
      "75027e",                    // array of 2 with 1 item
      "7602016178",                // object count 2 with 1 entry
      "7604f48fbfbf",              // object count 4 with 4 bytes left
      "76ffffffff0f",              // object count 2^32-1 with nothing
      "74ffffffffffffffffff01",    // binary length 2^64-1
      "74050102",                  // binary shorter than its length
  };
  for (const char* hex : bad) {
    CAPTURE(hex);
    std::string dec_bytes = FromHex(hex);
    Decoder dec(dec_bytes);
    absl::StatusOr<Any> a = Any::Decode(dec);
    CHECK_FALSE(a.ok());
    CHECK_FALSE(dec.ok());
  }

  // Decode reads one value and leaves the rest to the caller.
  std::string two_bytes = FromHex("7703616263" "7d05");
  Decoder two(two_bytes);
  absl::StatusOr<Any> first = Any::Decode(two);
  absl::StatusOr<Any> second = Any::Decode(two);
  REQUIRE(first.ok());
  REQUIRE(second.ok());
  CHECK(first->as_string() == "abc");
  CHECK(second->as_number() == 5);
  CHECK(two.AtEnd());

  // DecodeInto reports through the sticky error and returns undefined.
  std::string into_bytes = FromHex("7505");
  Decoder into(into_bytes);
  Any v = Any::DecodeInto(into);
  CHECK(v.is_undefined());
  CHECK_FALSE(into.ok());
  CHECK(std::string(into.error()).find("array size") != std::string::npos);
  // The status names what went wrong.
  std::string tag_bytes = FromHex("10");
  Decoder tag(tag_bytes);
  absl::StatusOr<Any> st = Any::Decode(tag);
  CHECK(st.status().message().find("unknown any tag") != std::string::npos);
}

TEST_CASE("lib0 any: duplicate and index keys decode as JavaScript does") {
  // {"b":1,"a":2,"b":3,"1":4} as raw lib0 bytes (not something lib0 writes).
  absl::StatusOr<Any> a = DecodeAll(FromHex("7604" "01627d01" "01617d02" "01627d03" "01317d04"));
  REQUIRE(a.ok());
  CHECK(a->ToJson() == R"({"1":4,"b":3,"a":2})");
  CHECK(a->as_object().size() == 3);
  CHECK(EncodeHex(*a) == "7603" "01317d04" "01627d03" "01617d02");
  CHECK(a->Find("b")->as_number() == 3);
  CHECK(a->Find("c") == nullptr);
}

TEST_CASE("lib0 any: nesting limit") {
  auto nested_arrays = [](int depth) {
    std::string bytes;
    for (int i = 0; i < depth; i++) bytes += FromHex("7501");
    bytes += FromHex("7e");
    return bytes;
  };
  CHECK(DecodeAll(nested_arrays(Any::kMaxDepth)).ok());
  CHECK_FALSE(DecodeAll(nested_arrays(Any::kMaxDepth + 1)).ok());
  CHECK_FALSE(DecodeAll(nested_arrays(100000)).ok());  // no stack overflow
  std::string objects;
  for (int i = 0; i < Any::kMaxDepth + 1; i++) objects += FromHex("760101" "61");
  objects += FromHex("7e");
  Decoder dec(objects);
  absl::StatusOr<Any> a = Any::Decode(dec);
  CHECK_FALSE(a.ok());
  CHECK(a.status().message().find("deep") != std::string::npos);
}

TEST_CASE("lib0 any: random and mutated bytes never crash") {
  std::mt19937_64 rng(12345);
  std::vector<Row> rows = ReadVectors("lib0_any_vectors.txt");
  int decoded = 0;
  for (int iter = 0; iter < 20000; iter++) {
    std::string bytes;
    if (iter % 2) {
      bytes = FromHex(rows[rng() % rows.size()][0]);
      int flips = 1 + static_cast<int>(rng() % 3);
      for (int f = 0; f < flips && !bytes.empty(); f++) bytes[rng() % bytes.size()] = static_cast<char>(rng());
    } else {
      size_t len = rng() % 24;
      for (size_t i = 0; i < len; i++) bytes += static_cast<char>(i == 0 ? 116 + rng() % 12 : rng());
    }
    Decoder dec(bytes);
    absl::StatusOr<Any> a = Any::Decode(dec);
    if (!a.ok()) continue;
    decoded++;
    // Whatever decodes re-encodes to something that decodes to the same value.
    Encoder enc;
    a->Encode(enc);
    Decoder dec2(reinterpret_cast<const uint8_t*>(enc.data().data()), enc.size());
    absl::StatusOr<Any> b = Any::Decode(dec2);
    REQUIRE(b.ok());
    CHECK(*b == *a);
    CHECK(dec2.AtEnd());
  }
  CHECK(decoded > 1000);
}

// ---------------------------------------------------------------------------
// JSON

TEST_CASE("JSON vectors from Node: JSON.parse then JSON.stringify / writeAny") {
  std::vector<Row> rows = ReadVectors("json_vectors.txt");
  REQUIRE(rows.size() > 600);
  int errors = 0;
  for (const Row& row : rows) {
    std::string input = FromHex(row[0]);
    CAPTURE(input);
    absl::StatusOr<Any> a = Any::FromJson(input);
    if (row[1] == "!error") {
      errors++;
      CHECK_FALSE(a.ok());
      if (!a.ok()) CHECK(a.status().message().find("at byte ") != std::string::npos);
      continue;
    }
    REQUIRE(row.size() == 3);
    REQUIRE_MESSAGE(a.ok(), a.status().ToString());
    CHECK(a->ToJson() == row[1]);
    CHECK(EncodeHex(*a) == row[2]);
  }
  CHECK(errors > 50);
}

TEST_CASE("JSON parser: error offsets and strictness") {
  auto error_of = [](std::string_view json) {
    absl::StatusOr<Any> a = Any::FromJson(json);
    return a.ok() ? std::string("ok") : std::string(a.status().message());
  };
  CHECK(error_of("[1,]").find("at byte 3") != std::string::npos);
  CHECK(error_of("{\"a\":1} x").find("at byte 8") != std::string::npos);
  CHECK(error_of("").find("at byte 0") != std::string::npos);
  CHECK(error_of("[01]").find("at byte 2") != std::string::npos);
  CHECK(error_of("\"a\xff\"").find("at byte 2") != std::string::npos);
  CHECK(error_of("\"\xe0\x80\x80\"") != "ok");      // overlong
  CHECK(error_of("\"\xf0\x8f\xbf\xbf\"") != "ok");  // overlong
  CHECK(error_of("\"\xed\xbf\xbf\"") != "ok");      // surrogate
  CHECK(error_of("\"\xe0\xa0\x80\xf4\x8f\xbf\xbf\"") == "ok");  // U+0800, U+10FFFF
  CHECK(error_of("\"abc").find("at byte 0") != std::string::npos);
  CHECK(error_of("[\"\\u12x4\"]").find("at byte 6") != std::string::npos);
  CHECK(error_of(std::string_view("[1]\0", 4)) != "ok");  // NUL after the value
  CHECK(error_of(std::string_view("\"a\0\"", 4)) != "ok");  // raw control character
  CHECK(error_of("\"\\u0000\"") == "ok");

  // Depth: kMaxDepth nested containers parse, one more does not.
  CHECK(Any::FromJson(Nested(Any::kMaxDepth, "[", "]", "1")).ok());
  CHECK_FALSE(Any::FromJson(Nested(Any::kMaxDepth + 1, "[", "]", "1")).ok());
  CHECK(Any::FromJson(Nested(Any::kMaxDepth, "{\"a\":", "}", "1")).ok());
  CHECK(error_of(Nested(Any::kMaxDepth + 1, "{\"a\":", "}", "1")).find("deep") != std::string::npos);
  CHECK_FALSE(Any::FromJson(std::string(1000000, '[')).ok());  // no stack overflow
}

TEST_CASE("JSON parser: values") {
  absl::StatusOr<Any> a = Any::FromJson(R"( {"s":"\ud83d\ude00\u00e9","n":-0,"big":1e400,"tiny":-1e-400,"arr":[true,false,null]} )");
  REQUIRE(a.ok());
  CHECK(a->Find("s")->as_string() == "\xF0\x9F\x98\x80\xC3\xA9");
  CHECK(a->Find("n")->as_number() == 0);
  CHECK(std::signbit(a->Find("n")->as_number()));
  CHECK(std::isinf(a->Find("big")->as_number()));
  CHECK(a->Find("tiny")->as_number() == 0);
  CHECK(std::signbit(a->Find("tiny")->as_number()));
  CHECK(a->Find("arr")->as_array().size() == 3);
  CHECK(a->Find("arr")->as_array()[2].is_null());
  // Lone surrogates become U+FFFD.
  CHECK(Any::FromJson(R"("\ud800x\udc00")")->as_string() == "\xEF\xBF\xBDx\xEF\xBF\xBD");
  CHECK(Any::FromJson(R"("\ud800\ud83d\ude00")")->as_string() == "\xEF\xBF\xBD\xF0\x9F\x98\x80");
  // Duplicate keys: last value, first position.
  CHECK(Any::FromJson(R"({"a":1,"b":2,"a":3})")->ToJson() == R"({"a":3,"b":2})");
  CHECK(Any::FromJson(R"({"z":1,"10":2,"9":3,"4294967295":4,"4294967294":5})")->ToJson() ==
        R"({"9":3,"10":2,"4294967294":5,"z":1,"4294967295":4})");
  // 20 keys takes the hashed duplicate path.
  std::string many = "{";
  for (int i = 0; i < 20; i++) many += "\"k" + std::to_string(i % 15) + "\":" + std::to_string(i) + ",";
  many.back() = '}';
  absl::StatusOr<Any> dup = Any::FromJson(many);
  REQUIRE(dup.ok());
  CHECK(dup->as_object().size() == 15);
  CHECK(dup->as_object()[0].first == "k0");
  CHECK(dup->as_object()[0].second.as_number() == 15);
  CHECK(dup->as_object()[4].second.as_number() == 19);
  CHECK(dup->as_object()[5].second.as_number() == 5);
}

TEST_CASE("ToJson: JSON.stringify rules by hand") {
  CHECK(Any().ToJson() == "null");
  CHECK(Any::Number(std::nan("")).ToJson() == "null");
  CHECK(Any::Number(-std::numeric_limits<double>::infinity()).ToJson() == "null");
  CHECK(Any::BigInt(INT64_MIN).ToJson() == "-9223372036854775808");
  CHECK(Any::Binary(std::string("\x01\x00\xff", 3)).ToJson() == R"({"0":1,"1":0,"2":255})");
  CHECK(Any::Binary("").ToJson() == "{}");
  CHECK(Any::MakeArray({Any(), Any::Null(), Any::Number(1.5)}).ToJson() == "[null,null,1.5]");
  CHECK(Any::MakeObject({{"u", Any()}, {"a", Any::Number(1)}, {"v", Any()}}).ToJson() == R"({"a":1})");
  CHECK(Any::MakeObject({{"u", Any()}}).ToJson() == "{}");
  CHECK(Any::String(std::string("\"\\/\b\f\n\r\t\x01\x1f\x7f\0", 12)).ToJson() ==
        "\"\\\"\\\\/\\b\\f\\n\\r\\t\\u0001\\u001f\x7f\\u0000\"");
  CHECK(Any::String("\xE2\x80\xA8\xF0\x9F\x98\x80").ToJson() == "\"\xE2\x80\xA8\xF0\x9F\x98\x80\"");
  // Bytes that are not UTF-8 (only possible for hand-built strings) print as U+FFFD.
  std::string out;
  AppendJsonString(out, "a\xff" "b\xe2\x82" "c\xed\xa0\x80");
  CHECK(out == "\"a\xEF\xBF\xBD" "b\xEF\xBF\xBD" "c\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\"");
}

// ---------------------------------------------------------------------------
// Any value semantics

TEST_CASE("Any: equality, copy-on-write, hand-built objects") {
  CHECK(Any::Number(std::nan("")) == Any::Number(std::nan("")));
  CHECK(Any::Number(0.0) != Any::Number(-0.0));
  CHECK(Any::Number(1) != Any::BigInt(1));
  CHECK(Any::String("a") != Any::Binary("a"));
  CHECK(Any() != Any::Null());
  Any x = Any::MakeObject({{"a", Any::Number(1)}, {"b", Any::String("s")}});
  Any y = Any::MakeObject({{"b", Any::String("s")}, {"a", Any::Number(1)}});
  CHECK(x == y);  // same properties, any order
  CHECK(x != Any::MakeObject({{"a", Any::Number(1)}}));
  CHECK(x != Any::MakeObject({{"a", Any::Number(1)}, {"b", Any::String("t")}}));

  Any copy = x;
  copy.mutable_object().emplace_back("c", Any::Bool(true));
  CHECK(x.as_object().size() == 2);  // the original is untouched
  CHECK(copy.as_object().size() == 3);
  CHECK(copy != x);

  // Hand-built: out of order and duplicated keys still print and encode like JS.
  Any h = Any::MakeObject({});
  Any::Object& f = h.mutable_object();
  f.emplace_back("b", Any::Number(1));
  f.emplace_back("2", Any::Number(2));
  f.emplace_back("b", Any::Number(3));
  f.emplace_back("0", Any::Number(4));
  CHECK(h.ToJson() == R"({"0":4,"2":2,"b":3})");
  CHECK(EncodeHex(h) == "7603" "01307d04" "01327d02" "01627d03");
  CHECK(h.Find("b")->as_number() == 3);
  CHECK(h == Any::FromJson(R"({"b":3,"2":2,"0":4})").value());

  Any arr = Any::MakeArray({Any::Number(1)});
  Any arr2 = arr;
  arr2.mutable_array().push_back(Any::Null());
  CHECK(arr.as_array().size() == 1);
  CHECK(arr2.ToJson() == "[1,null]");
  Any scalar = Any::Number(5);
  CHECK(scalar.as_array().empty());
  CHECK(scalar.as_object().empty());
  CHECK(scalar.Find("a") == nullptr);
}

}  // namespace
}  // namespace codesync
