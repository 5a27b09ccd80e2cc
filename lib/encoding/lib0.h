// lib0 binary encoding, as used by the Yjs wire format: variable-length
// unsigned/signed integers, length-prefixed strings and byte arrays, and
// big-endian floats.  The decoder never throws: a read past the end or an
// ill-formed value sets a sticky error that the caller checks once.
#ifndef CODESYNC_ENCODING_LIB0_H_
#define CODESYNC_ENCODING_LIB0_H_

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace codesync {

class Encoder {
 public:
  void WriteUint8(uint8_t v) { buf_.push_back(v); }
  void WriteVarUint(uint64_t v) {
    while (v > 0x7f) {
      buf_.push_back(static_cast<uint8_t>(0x80 | (v & 0x7f)));
      v >>= 7;
    }
    buf_.push_back(static_cast<uint8_t>(v));
  }
  // lib0 varInt: first byte holds continuation bit, sign bit and 6 bits.
  void WriteVarInt(int64_t v) {
    bool negative = v < 0;
    uint64_t mag = negative ? static_cast<uint64_t>(-(v + 1)) + 1 : static_cast<uint64_t>(v);
    WriteVarIntMagnitude(mag, negative);
  }
  void WriteVarIntMagnitude(uint64_t mag, bool negative) {
    buf_.push_back(static_cast<uint8_t>((mag > 0x3f ? 0x80 : 0) | (negative ? 0x40 : 0) | (mag & 0x3f)));
    mag >>= 6;
    while (mag > 0) {
      buf_.push_back(static_cast<uint8_t>((mag > 0x7f ? 0x80 : 0) | (mag & 0x7f)));
      mag >>= 7;
    }
  }
  void WriteBytes(const void* data, size_t len) {
    const uint8_t* p = static_cast<const uint8_t*>(data);
    buf_.insert(buf_.end(), p, p + len);
  }
  void WriteVarString(std::string_view s) {
    WriteVarUint(s.size());
    WriteBytes(s.data(), s.size());
  }
  void WriteVarBytes(const void* data, size_t len) {
    WriteVarUint(len);
    WriteBytes(data, len);
  }
  void WriteFloat32(float f) {
    uint32_t bits;
    std::memcpy(&bits, &f, 4);
    for (int i = 3; i >= 0; i--) buf_.push_back(static_cast<uint8_t>(bits >> (i * 8)));
  }
  void WriteFloat64(double d) {
    uint64_t bits;
    std::memcpy(&bits, &d, 8);
    for (int i = 7; i >= 0; i--) buf_.push_back(static_cast<uint8_t>(bits >> (i * 8)));
  }
  void WriteBigInt64(int64_t v) {
    uint64_t bits = static_cast<uint64_t>(v);
    for (int i = 7; i >= 0; i--) buf_.push_back(static_cast<uint8_t>(bits >> (i * 8)));
  }

  size_t size() const { return buf_.size(); }
  void Reserve(size_t n) { buf_.reserve(n); }
  const std::vector<uint8_t>& data() const { return buf_; }
  std::vector<uint8_t>& mutable_data() { return buf_; }
  std::vector<uint8_t> Take() { return std::move(buf_); }

 private:
  std::vector<uint8_t> buf_;
};

class Decoder {
 public:
  Decoder(const uint8_t* data, size_t len) : p_(data), end_(data + len), begin_(data) {}
  explicit Decoder(std::string_view s)
      : Decoder(reinterpret_cast<const uint8_t*>(s.data()), s.size()) {}
  // The decoder does not own its bytes: refuse a temporary std::string, which
  // would be destroyed before the first read.
  template <typename T, typename = std::enable_if_t<std::is_same_v<T, std::string>>>
  explicit Decoder(T&& temporary) = delete;

  bool ok() const { return error_ == nullptr; }
  // What went wrong first, e.g. "unexpected end of data"; nullptr when ok.
  const char* error() const { return error_; }
  void Fail(const char* what) {
    if (!error_) error_ = what;
    p_ = end_;
  }
  bool AtEnd() const { return p_ >= end_; }
  size_t remaining() const { return static_cast<size_t>(end_ - p_); }
  size_t position() const { return static_cast<size_t>(p_ - begin_); }
  const uint8_t* cursor() const { return p_; }

  uint8_t ReadUint8() {
    if (p_ >= end_) {
      Fail("unexpected end of data");
      return 0;
    }
    return *p_++;
  }
  // Values above 2^53 never come from Yjs (JS numbers); we accept up to 64 bits.
  uint64_t ReadVarUint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (p_ >= end_) {
        Fail("unexpected end of data in varint");
        return 0;
      }
      uint8_t b = *p_++;
      if (shift == 63 && (b & 0x7f) > 1) {  // bits past bit 63 would be lost
        Fail("varint out of range");
        return 0;
      }
      v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
    }
    Fail("varint too long");
    return 0;
  }
  // Returns the magnitude and sign separately so that -0 survives (lib0 uses it).
  int64_t ReadVarInt(bool* negative_zero = nullptr) {
    uint8_t b = ReadUint8();
    uint64_t mag = b & 0x3f;
    bool negative = b & 0x40;
    int shift = 6;
    while (ok() && (b & 0x80)) {
      if (shift > 63) {
        Fail("varint too long");
        return 0;
      }
      b = ReadUint8();
      if (shift == 62 && (b & 0x7f) > 3) {  // bits past bit 63 would be lost
        Fail("varint out of range");
        return 0;
      }
      mag |= static_cast<uint64_t>(b & 0x7f) << shift;
      shift += 7;
    }
    if (negative_zero) *negative_zero = negative && mag == 0;
    if (mag > (negative ? uint64_t{1} << 63 : uint64_t{INT64_MAX})) {
      Fail("varint out of range");
      return 0;
    }
    return negative ? -static_cast<int64_t>(mag - 1) - 1 : static_cast<int64_t>(mag);
  }
  std::string_view ReadBytes(size_t len) {
    if (len > remaining()) {
      Fail("length exceeds remaining data");
      return {};
    }
    std::string_view s(reinterpret_cast<const char*>(p_), len);
    p_ += len;
    return s;
  }
  std::string_view ReadVarBytes() { return ReadBytes(static_cast<size_t>(std::min<uint64_t>(ReadVarUint(), SIZE_MAX))); }
  // The bytes of a length-prefixed UTF-8 string (validated by the caller when needed).
  std::string_view ReadVarString() { return ReadVarBytes(); }
  float ReadFloat32() {
    std::string_view b = ReadBytes(4);
    if (b.size() != 4) return 0;
    uint32_t bits = 0;
    for (int i = 0; i < 4; i++) bits = (bits << 8) | static_cast<uint8_t>(b[i]);
    float f;
    std::memcpy(&f, &bits, 4);
    return f;
  }
  double ReadFloat64() {
    std::string_view b = ReadBytes(8);
    if (b.size() != 8) return 0;
    uint64_t bits = 0;
    for (int i = 0; i < 8; i++) bits = (bits << 8) | static_cast<uint8_t>(b[i]);
    double d;
    std::memcpy(&d, &bits, 8);
    return d;
  }
  int64_t ReadBigInt64() {
    std::string_view b = ReadBytes(8);
    if (b.size() != 8) return 0;
    uint64_t bits = 0;
    for (int i = 0; i < 8; i++) bits = (bits << 8) | static_cast<uint8_t>(b[i]);
    return static_cast<int64_t>(bits);
  }

 private:
  const uint8_t* p_;
  const uint8_t* end_;
  const uint8_t* begin_;
  const char* error_ = nullptr;
};

}  // namespace codesync

#endif  // CODESYNC_ENCODING_LIB0_H_
