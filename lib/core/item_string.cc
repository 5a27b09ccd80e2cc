#include "core/item_string.h"

#include <algorithm>
#include <cstdlib>
#include <new>
#include <stdexcept>

namespace codesync {

namespace {

// glibc's chunks hold 16k + 8 bytes (24 at least): a block of that size wastes nothing.
size_t ChunkSize(size_t n) { return n <= 24 ? 24 : ((n + 8 + 15) & ~size_t{15}) - 8; }

}  // namespace

void ItemString::Reserve(size_t n, bool grow) {
  if (n <= capacity()) return;
  if (n > kMaxSize) throw std::length_error("ItemString: content over 2 GiB");
  size_t cap = n;
  // Doubling keeps typing's reallocations few (each costs ~1,000 instructions).
  if (grow) cap = std::max(n, 2 * capacity());
  cap = std::min(kMaxSize, ChunkSize(cap));
  if (placed()) {  // a block of its own, the placed bytes stay where they are
    auto* p = static_cast<char*>(std::malloc(cap));
    if (!p) throw std::bad_alloc();
    std::memcpy(p, heap_ptr(), size());
    SetHeap(p, cap);
  } else if (on_heap()) {
    void* p = std::realloc(heap_ptr(), cap);
    if (!p) throw std::bad_alloc();
    SetHeap(static_cast<char*>(p), cap);
  } else {
    auto* p = static_cast<char*>(std::malloc(cap));
    if (!p) throw std::bad_alloc();
    std::memcpy(p, buf_, size());
    SetHeap(p, cap);
    size_ |= kHeapFlag;
  }
}

void ItemString::AssignSlow(std::string_view s) {
  // Exact fit: assigned content (decoded, inserted, copied) is rarely appended to.
  if (on_heap() && (s.size() <= kInline || heap_cap() / 2 > s.size())) Release();  // (placed: cap 0, so Reserve gives it a block)
  SetSize(0);
  Reserve(s.size(), false);
  if (!s.empty()) std::memcpy(data(), s.data(), s.size());
  SetSize(s.size());
}

void ItemString::AppendSlow(std::string_view s) {
  const size_t old = size();
  if (s.size() > kMaxSize - old) throw std::length_error("ItemString: content over 2 GiB");
  if (old + s.size() > capacity()) {
    // s may lie inside this string: keep its offset across the reallocation.
    const char* base = data();
    if (s.data() >= base && s.data() < base + old) {
      const size_t off = static_cast<size_t>(s.data() - base);
      const size_t len = s.size();
      Reserve(old + len, true);
      std::memmove(data() + old, data() + off, len);
      SetSize(old + len);
      return;
    }
    Reserve(old + s.size(), true);
  }
  std::memmove(data() + old, s.data(), s.size());
  SetSize(old + s.size());
}

void ItemString::ResizeSlow(size_t n) {
  const size_t old = size();
  if (n > old) {
    Reserve(n, false);
    std::memset(data() + old, 0, n - old);
    SetSize(n);
    return;
  }
  SetSize(n);
  // A split that leaves most of a block unused gives it back.
  if (on_heap() && heap_cap() > 32 && heap_cap() / 2 > n) shrink_to_fit();
}

void ItemString::shrink_to_fit() {
  if (!on_heap()) return;
  const size_t n = size();
  char* p = heap_ptr();
  const bool own = !placed();
  if (n <= kInline) {
    std::memcpy(buf_, p, n);
    if (own) std::free(p);
    size_ = static_cast<uint32_t>(n);
    return;
  }
  if (!own) return;  // nothing of its own to give back
  const size_t cap = ChunkSize(n);
  if (cap >= heap_cap()) return;
  void* q = std::realloc(p, cap);
  if (q) SetHeap(static_cast<char*>(q), cap);  // a failed shrink keeps the larger block
}

void ItemString::Release() noexcept {
  if (on_heap() && heap_cap() != 0) std::free(heap_ptr());  // placed bytes are not ours
  size_ = 0;
}

}  // namespace codesync
