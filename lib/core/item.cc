#include "core/item.h"

#include "encoding/utf8.h"

namespace codesync {

void SplitContent(Item& item, uint64_t diff, Item& right) {
  right.kind = item.kind;
  switch (item.kind) {
    case ContentKind::kString: {
      bool inside_pair = false;
      size_t b = item.ascii() ? diff : utf8::ByteOffsetOfUtf16(item.str, diff, &inside_pair);
      if (inside_pair) {
        // Both halves of a split surrogate pair become U+FFFD, as Yjs does.
        right.str.assign(utf8::kReplacement);
        right.str.append(std::string_view(item.str).substr(b + 4));
        item.str.resize(b);
        item.str.append(utf8::kReplacement);
      } else {
        right.str.assign(std::string_view(item.str).substr(b));
        item.str.resize(b);
      }
      break;
    }
    case ContentKind::kAny:
    case ContentKind::kJson: {
      auto& values = item.extra->values;
      auto& rv = right.mutable_extra().values;
      rv.assign(std::make_move_iterator(values.begin() + static_cast<ptrdiff_t>(diff)),
                std::make_move_iterator(values.end()));
      values.resize(diff);
      break;
    }
    default:  // kDeleted, kGC: only lengths change
      break;
  }
  right.length = item.length - diff;
  item.length = diff;
}

bool ContentMergeable(ContentKind k) {
  return k == ContentKind::kString || k == ContentKind::kAny || k == ContentKind::kJson ||
         k == ContentKind::kDeleted || k == ContentKind::kGC;
}

bool MergeContent(Item& left, Item& right) {
  if (left.kind != right.kind || !ContentMergeable(left.kind)) return false;
  switch (left.kind) {
    case ContentKind::kString:
      left.str.append(right.str);
      break;
    case ContentKind::kAny:
    case ContentKind::kJson: {
      auto& lv = left.mutable_extra().values;
      auto& rv = right.mutable_extra().values;
      lv.insert(lv.end(), std::make_move_iterator(rv.begin()), std::make_move_iterator(rv.end()));
      break;
    }
    default:
      break;
  }
  left.length += right.length;
  return true;
}

void ComputeWeights(Item& item) {
  item.w[kItems] = 1;
  if (!item.visible()) {
    item.w[kUtf16] = item.w[kUtf8] = item.w[kCodepoints] = 0;
    return;
  }
  const auto len = static_cast<uint32_t>(item.length);
  item.w[kUtf16] = len;
  if (item.ascii()) {
    item.w[kUtf8] = item.w[kCodepoints] = len;
  } else if (item.kind == ContentKind::kString) {
    utf8::Lengths l = utf8::Measure(item.str);
    item.w[kUtf8] = static_cast<uint32_t>(l.utf8);
    item.w[kCodepoints] = static_cast<uint32_t>(l.codepoints);
  } else {
    item.w[kUtf8] = item.w[kCodepoints] = len;
  }
}

}  // namespace codesync
