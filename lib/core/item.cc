#include "core/item.h"

#include "encoding/utf8.h"

namespace codesync {

void SplitContent(Item& item, uint64_t diff, Item& right) {
  right.kind = item.kind;
  switch (item.kind) {
    case ContentKind::kString: {
      const bool ascii = item.ascii();
      bool inside_pair = false;
      size_t b = ascii ? diff : utf8::ByteOffsetOfUtf16(item.str, diff, &inside_pair);
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
      if (!ascii) {
        item.codepoints = static_cast<uint32_t>(utf8::Measure(item.str).codepoints);
        right.codepoints = static_cast<uint32_t>(utf8::Measure(right.str).codepoints);
      }
      break;
    }
    case ContentKind::kAny:
    case ContentKind::kJson: {
      auto& values = item.extra()->values;
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
    case ContentKind::kString: {
      const uint64_t cp = (left.ascii() ? left.length : left.codepoints) +
                          (right.ascii() ? right.length : right.codepoints);
      left.str.append(right.str);
      left.codepoints = static_cast<uint32_t>(cp);
      break;
    }
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
  if (item.kind == ContentKind::kString && !item.ascii()) {
    item.codepoints = static_cast<uint32_t>(utf8::Measure(item.str).codepoints);
  }
}

Weights AppendString(Item& run, std::string_view s, uint64_t utf16_len) {
  const uint64_t added = s.size() == utf16_len ? s.size() : utf8::Measure(s).codepoints;
  const uint64_t cp = (run.ascii() ? run.length : run.codepoints) + added;
  run.str.append(s);
  run.length += utf16_len;
  run.codepoints = static_cast<uint32_t>(cp);
  return {{utf16_len, s.size(), added, 0}};
}

}  // namespace codesync
