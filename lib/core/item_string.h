// ItemString: the byte content of an Item (string text, binary bytes) in 16
// bytes, where std::string takes 32.  Up to 12 bytes live inline (most runs
// of an editing trace are short); longer content is one malloc'd block, sized
// to what glibc hands out anyway (16k + 8 bytes), whose capacity doubles on
// append (typing) and is given back when a split or a clear leaves most of it
// unused, so a final document holds little slack.
//
// Longer content can also live in storage the string does not own (AssignPlaced:
// a document's text arena, one block for all the strings of a loaded state).
// Such bytes are this string's alone while it refers to them (it may write
// them in place, within its size), are never freed or grown through it, and
// must outlive it; growing or assigning copies the content into a block of its
// own.  A placed string reads as a heap one with capacity 0.
#ifndef CODESYNC_CORE_ITEM_STRING_H_
#define CODESYNC_CORE_ITEM_STRING_H_

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace codesync {

class ItemString {
 public:
  static constexpr size_t kInline = 12;
  static constexpr size_t kMaxSize = (size_t{1} << 31) - 1;

  ItemString() noexcept = default;
  explicit ItemString(std::string_view s) { assign(s); }
  ~ItemString() { Release(); }
  ItemString(const ItemString& o) { assign(std::string_view(o)); }
  ItemString(ItemString&& o) noexcept { Steal(o); }
  ItemString& operator=(const ItemString& o) {
    if (this != &o) assign(std::string_view(o));
    return *this;
  }
  ItemString& operator=(ItemString&& o) noexcept {
    if (this != &o) {
      Release();
      Steal(o);
    }
    return *this;
  }
  ItemString& operator=(std::string_view s) {
    assign(s);
    return *this;
  }

  // Refers to n bytes at p, which the caller keeps alive and lets no one else
  // use while this string refers to them (see the class comment).  The
  // current content is released first.
  void AssignPlaced(char* p, size_t n) {
    Release();
    SetHeap(p, 0);
    size_ = kHeapFlag | static_cast<uint32_t>(n);
  }
  // Whether the content lives in storage this string does not own.
  bool placed() const { return on_heap() && heap_cap() == 0; }

  size_t size() const { return size_ & kSizeMask; }
  bool empty() const { return size() == 0; }
  const char* data() const { return on_heap() ? heap_ptr() : buf_; }
  char* data() { return on_heap() ? heap_ptr() : buf_; }
  operator std::string_view() const { return {data(), size()}; }  // NOLINT: implicit on purpose
  // Copies the content to out, which must have room for max(size(), 16)
  // bytes: inline content goes as the string's 16 bytes at once (no call, no
  // length-dependent branch), whatever lies past size() is scratch.  Returns
  // out + size().
  char* CopyOut(char* out) const {
    if (!on_heap()) {
      std::memcpy(out, static_cast<const void*>(this), sizeof(ItemString));
    } else {
      std::memcpy(out, heap_ptr(), size());
    }
    return out + size();
  }
  std::string ToString() const { return std::string(data(), size()); }

  // s must not point into this string.
  void assign(std::string_view s) {
    if (!on_heap() && s.size() <= kInline) {  // the common case: a short run, inline
      if (!s.empty()) std::memcpy(buf_, s.data(), s.size());
      size_ = static_cast<uint32_t>(s.size());
      return;
    }
    AssignSlow(s);
  }
  void assign(const char* p, size_t n) { assign(std::string_view(p, n)); }
  // s may point into this string.
  void append(std::string_view s) {
    if (s.empty()) return;
    const size_t old = size();
    if (old + s.size() <= capacity()) {  // (not capacity() - old: a placed string's is 0)
      // In place: a piece of this string lies before `old`, so it does not overlap.
      std::memcpy(data() + old, s.data(), s.size());
      size_ += static_cast<uint32_t>(s.size());
      return;
    }
    AppendSlow(s);
  }
  void append(const char* p, size_t n) { append(std::string_view(p, n)); }
  ItemString& operator+=(std::string_view s) {
    append(s);
    return *this;
  }
  // Shrinks to n bytes (n <= size()), or grows with zero bytes.
  void resize(size_t n) {
    if (n <= size() && (!on_heap() || heap_cap() / 2 <= n)) {
      SetSize(n);
      return;
    }
    ResizeSlow(n);
  }
  // Empties the content; keeps a heap block (see shrink_to_fit).
  void clear() { size_ &= kHeapFlag; }
  // Returns unused heap capacity (all of it when empty or when the content fits inline).
  void shrink_to_fit();
  // Heap bytes held (0 while inline or placed): for tests and memory accounting.
  size_t heap_capacity() const { return on_heap() ? heap_cap() : 0; }

  // One word of the owner's in bytes 0-7, for an owner whose string stays
  // empty and inline (Item keeps the payload of its other content kinds
  // there).  Nothing here reads it or frees it; writing content, growing or
  // shrinking a heap block overwrites it; a move carries it and clears the
  // source's; copies and clear() leave it alone (empty content writes no byte).
  uintptr_t aux() const {
    uintptr_t w;
    std::memcpy(&w, buf_, sizeof w);
    return w;
  }
  void set_aux(uintptr_t w) {
    assert(size_ == 0);  // empty and inline: else bytes 0-7 are text or the heap block's pointer
    std::memcpy(buf_, &w, sizeof w);
  }

  friend bool operator==(const ItemString& a, std::string_view b) { return std::string_view(a) == b; }
  friend bool operator!=(const ItemString& a, std::string_view b) { return !(a == b); }

 private:
  static constexpr uint32_t kHeapFlag = uint32_t{1} << 31;
  static constexpr uint32_t kSizeMask = kHeapFlag - 1;

  bool on_heap() const { return (size_ & kHeapFlag) != 0; }
  // On the heap, buf_ holds the block's pointer (bytes 0-7) and capacity (8-11).
  char* heap_ptr() const {
    char* p;
    std::memcpy(&p, buf_, sizeof p);
    return p;
  }
  uint32_t heap_cap() const {
    uint32_t c;
    std::memcpy(&c, buf_ + sizeof(char*), sizeof c);
    return c;
  }
  void SetHeap(char* p, size_t cap) {
    const auto c = static_cast<uint32_t>(cap);
    std::memcpy(buf_, &p, sizeof p);
    std::memcpy(buf_ + sizeof(char*), &c, sizeof c);
  }
  void SetSize(size_t n) { size_ = (size_ & kHeapFlag) | static_cast<uint32_t>(n); }
  size_t capacity() const { return on_heap() ? heap_cap() : kInline; }
  // Makes room for n bytes (keeping the content); growth by half when `grow`.
  void Reserve(size_t n, bool grow);
  void AssignSlow(std::string_view s);
  void AppendSlow(std::string_view s);
  void ResizeSlow(size_t n);
  void Release() noexcept;
  void Steal(ItemString& o) noexcept {
    std::memcpy(buf_, o.buf_, sizeof buf_);
    size_ = o.size_;
    o.size_ = 0;
    o.set_aux(0);  // (an aux word moves: the source keeps none)
  }

  alignas(8) char buf_[kInline] = {};
  uint32_t size_ = 0;  // bytes, with kHeapFlag when buf_ points to a heap block
};

static_assert(sizeof(ItemString) == 16);

}  // namespace codesync

#endif  // CODESYNC_CORE_ITEM_STRING_H_
