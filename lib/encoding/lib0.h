// lib0 binary encoding, as used by the Yjs wire format: variable-length
// unsigned/signed integers, length-prefixed strings and byte arrays, and
// big-endian floats.  The decoder never throws: a read past the end or an
// ill-formed value sets a sticky error that the caller checks once.
#ifndef CODESYNC_ENCODING_LIB0_H_
#define CODESYNC_ENCODING_LIB0_H_

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace codesync {

// The bytes an Encoder holds so far (valid until its next write).
class ByteView {
 public:
  ByteView(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  const uint8_t* begin() const { return data_; }
  const uint8_t* end() const { return data_ + size_; }
  uint8_t operator[](size_t i) const { return data_[i]; }
  operator std::vector<uint8_t>() const { return std::vector<uint8_t>(begin(), end()); }

 private:
  const uint8_t* data_;
  size_t size_;
};

// Writes through a raw cursor into a malloc'd buffer: a write is one capacity
// check and plain stores (no push_back per byte, no zero-filling), and the
// whole buffer can be handed to a C caller as is (Release).
class Encoder {
 public:
  Encoder() = default;
  Encoder(const Encoder&) = delete;
  Encoder& operator=(const Encoder&) = delete;
  Encoder(Encoder&& o) noexcept : buf_(o.buf_), len_(o.len_), cap_(o.cap_) { o.buf_ = nullptr, o.len_ = o.cap_ = 0; }
  Encoder& operator=(Encoder&& o) noexcept {
    std::swap(buf_, o.buf_);
    std::swap(len_, o.len_);
    std::swap(cap_, o.cap_);
    return *this;
  }
  ~Encoder() { std::free(buf_); }

  void WriteUint8(uint8_t v) {
    uint8_t* p = Ensure(1);
    *p = v;
    len_++;
  }
  void WriteVarUint(uint64_t v) {
    uint8_t* p = Ensure(10);
    len_ = static_cast<size_t>(PutVarUint(p, v) - buf_);
  }
  // Writes v at p (room for 10 bytes); returns the end.  Values below 2^21
  // (clocks, lengths, counts) take no loop.
  [[gnu::always_inline]] static inline uint8_t* PutVarUint(uint8_t* p, uint64_t v) {
    if (v < 0x80) {
      *p = static_cast<uint8_t>(v);
      return p + 1;
    }
    if (v < 0x4000) {
      p[0] = static_cast<uint8_t>(0x80 | (v & 0x7f));
      p[1] = static_cast<uint8_t>(v >> 7);
      return p + 2;
    }
    if (v < 0x200000) {
      p[0] = static_cast<uint8_t>(0x80 | (v & 0x7f));
      p[1] = static_cast<uint8_t>(0x80 | ((v >> 7) & 0x7f));
      p[2] = static_cast<uint8_t>(v >> 14);
      return p + 3;
    }
    while (v > 0x7f) {
      *p++ = static_cast<uint8_t>(0x80 | (v & 0x7f));
      v >>= 7;
    }
    *p++ = static_cast<uint8_t>(v);
    return p;
  }
  // lib0 varInt: first byte holds continuation bit, sign bit and 6 bits.
  void WriteVarInt(int64_t v) {
    bool negative = v < 0;
    uint64_t mag = negative ? static_cast<uint64_t>(-(v + 1)) + 1 : static_cast<uint64_t>(v);
    WriteVarIntMagnitude(mag, negative);
  }
  void WriteVarIntMagnitude(uint64_t mag, bool negative) {
    uint8_t* p = Ensure(10);
    *p++ = static_cast<uint8_t>((mag > 0x3f ? 0x80 : 0) | (negative ? 0x40 : 0) | (mag & 0x3f));
    mag >>= 6;
    while (mag > 0) {
      *p++ = static_cast<uint8_t>((mag > 0x7f ? 0x80 : 0) | (mag & 0x7f));
      mag >>= 7;
    }
    len_ = static_cast<size_t>(p - buf_);
  }
  void WriteBytes(const void* data, size_t len) {
    if (len == 0) return;
    uint8_t* p = Ensure(len);
    std::memcpy(p, data, len);
    len_ += len;
  }
  void WriteVarString(std::string_view s) { WriteVarBytes(s.data(), s.size()); }
  void WriteVarBytes(const void* data, size_t len) {
    uint8_t* p = Ensure(len + 10);
    p = PutVarUint(p, len);
    if (len > 0) std::memcpy(p, data, len);
    len_ = static_cast<size_t>(p - buf_) + len;
  }
  void WriteFloat32(float f) {
    uint32_t bits;
    std::memcpy(&bits, &f, 4);
    uint8_t* p = Ensure(4);
    for (int i = 3; i >= 0; i--) *p++ = static_cast<uint8_t>(bits >> (i * 8));
    len_ += 4;
  }
  void WriteFloat64(double d) {
    uint64_t bits;
    std::memcpy(&bits, &d, 8);
    WriteBigEndian64(bits);
  }
  void WriteBigInt64(int64_t v) { WriteBigEndian64(static_cast<uint64_t>(v)); }

  size_t size() const { return len_; }
  // Room for n more bytes without growing.
  void Reserve(size_t n) {
    if (cap_ - len_ < n) Grow(n);
  }
  // A pointer to room for n bytes at the end; Advance(k) then commits k <= n of them.
  uint8_t* Ensure(size_t n) {
    if (cap_ - len_ < n) Grow(n);
    return buf_ + len_;
  }
  void Advance(size_t k) { len_ += k; }
  // Bytes writable at the end without growing (for writers that keep their own cursor).
  size_t available() const { return cap_ - len_; }
  void Clear() { len_ = 0; }  // keeps the buffer
  ByteView data() const { return ByteView(buf_ ? buf_ : reinterpret_cast<const uint8_t*>(""), len_); }
  std::vector<uint8_t> Take() {
    std::vector<uint8_t> out(data().begin(), data().end());
    len_ = 0;
    return out;
  }
  // Hands the malloc'd bytes to the caller (who free()s them), NUL-terminated
  // one past *len; the encoder is empty afterwards.  nullptr when out of memory.
  uint8_t* Release(size_t* len) {
    if (!Grow(1, /*nothrow=*/true)) return nullptr;
    buf_[len_] = 0;
    uint8_t* out = buf_;
    *len = len_;
    buf_ = nullptr;
    len_ = cap_ = 0;
    return out;
  }

 private:
  void WriteBigEndian64(uint64_t bits) {
    uint8_t* p = Ensure(8);
    for (int i = 7; i >= 0; i--) *p++ = static_cast<uint8_t>(bits >> (i * 8));
    len_ += 8;
  }
  // Makes room for n more bytes (doubling); throws std::bad_alloc unless nothrow.
  bool Grow(size_t n, bool nothrow = false) {
    if (cap_ - len_ >= n) return true;
    size_t want = std::max<size_t>({len_ + n, 2 * cap_, 64});
    void* p = std::realloc(buf_, want);
    if (!p) {
      if (nothrow) return false;
      throw std::bad_alloc();
    }
    buf_ = static_cast<uint8_t*>(p);
    cap_ = want;
    return true;
  }

  uint8_t* buf_ = nullptr;
  size_t len_ = 0;
  size_t cap_ = 0;
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
  // Moves past n bytes the caller has already looked at (n <= remaining()).
  void Skip(size_t n) { p_ += n; }

  uint8_t ReadUint8() {
    if (p_ >= end_) {
      Fail("unexpected end of data");
      return 0;
    }
    return *p_++;
  }
  // Values above 2^53 never come from Yjs (JS numbers); we accept up to 64 bits.
  [[gnu::always_inline]] uint64_t ReadVarUint() {
    if (p_ < end_ && !(*p_ & 0x80)) return *p_++;  // one byte: most clocks, lengths, counts
    return ReadVarUintLoop();
  }
  [[gnu::noinline]] uint64_t ReadVarUintLoop() {
    // Two and three bytes (clocks and lengths up to 2^21) without the loop.
    if (end_ - p_ >= 3) {
      const uint64_t b0 = p_[0] & 0x7f, b1 = p_[1];
      if (!(b1 & 0x80)) {
        p_ += 2;
        return b0 | b1 << 7;
      }
      const uint64_t b2 = p_[2];
      if (!(b2 & 0x80)) {
        p_ += 3;
        return b0 | (b1 & 0x7f) << 7 | b2 << 14;
      }
    }
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
