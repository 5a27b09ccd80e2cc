// Relative positions (sticky cursors), encoded as Yjs 13.6 does: a position is
// tied to the id of the character after it (assoc >= 0) or before it
// (assoc < 0), or to the end / start of its type, so it keeps pointing at the
// same place while peers edit.  Binary form = encodeRelativePosition, JSON
// form = relativePositionToJSON (what y-monaco / y-codemirror put in awareness).
#ifndef CODESYNC_HISTORY_POSITIONS_H_
#define CODESYNC_HISTORY_POSITIONS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "core/doc.h"

namespace codesync::history {

struct RelativePosition {
  OptId type;                        // the type, as the id of its item (nested types)
  std::optional<std::string> tname;  // the type, as a root name
  OptId item;                        // the character the position sticks to
  int64_t assoc = 0;                 // >= 0: to the right character; < 0: to the left one
  bool operator==(const RelativePosition&) const = default;
};

// The position at `index` of a text (in doc.unit()) or array (elements).
// OUT_OF_RANGE past the end or inside a character; INVALID_ARGUMENT for other types.
absl::StatusOr<RelativePosition> FromIndex(const Doc& doc, const Branch& type, uint64_t index, int64_t assoc);

std::vector<uint8_t> Encode(const RelativePosition& pos);
// DATA_LOSS (malformed) on truncation, unknown tags, trailing bytes, invalid UTF-8.
absl::StatusOr<RelativePosition> Decode(const uint8_t* data, size_t len);
// {"type":{"client":..,"clock":..}} | {"tname":".."}, then "item", then "assoc", as yjs writes it.
std::string ToJson(const RelativePosition& pos);
// Accepts what createRelativePositionFromJSON accepts (absent/null fields, assoc defaults to 0).
absl::StatusOr<RelativePosition> FromJson(std::string_view json);

enum class Resolution {
  kFound,        // index is valid in `type`
  kTypeDeleted,  // the type was deleted (Yjs reports index 0 in it)
  kNotFound,     // the item or type is not in this document: not received yet, or collected
};
struct AbsolutePosition {
  Resolution resolution = Resolution::kNotFound;
  Branch* type = nullptr;
  uint64_t index = 0;  // text: doc.unit(); array: elements; others: UTF-16 clocks
};
// As createAbsolutePositionFromRelativePosition with followUndoneDeletions:
// positions inside content that an undo manager re-created follow the copy.
// A root named by tname is created (empty) when missing, as doc.get() does.
AbsolutePosition ToAbsolute(Doc& doc, const RelativePosition& pos);

// Yjs followRedone: the struct holding id after following redo copies, and id's offset in it.
Item* FollowRedone(const Doc& doc, Id id, uint64_t* diff);

}  // namespace codesync::history

#endif  // CODESYNC_HISTORY_POSITIONS_H_
