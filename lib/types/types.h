// Operations of the shared types (text, array, map) on top of the core.
// Every mutating call joins the doc's open transaction or runs in its own.
// Failures are checked before anything changes.
#ifndef CODESYNC_TYPES_TYPES_H_
#define CODESYNC_TYPES_TYPES_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/branch.h"
#include "core/doc.h"
#include "encoding/any.h"

namespace codesync::types {

// ---- Text (indices in doc.unit()) ----
// attributes: nullptr = inherit formatting at the position (Yjs insert without attributes).
absl::Status TextInsert(Doc& doc, Branch* text, uint64_t index, std::string_view utf8, const Any* attributes);
absl::Status TextInsertEmbed(Doc& doc, Branch* text, uint64_t index, const Any& embed, const Any* attributes);
absl::Status TextDelete(Doc& doc, Branch* text, uint64_t index, uint64_t length);
absl::Status TextFormat(Doc& doc, Branch* text, uint64_t index, uint64_t length, const Any& attributes);
std::string TextString(const Branch& text);
// The text's UTF-8 written to out, which must have room for
// text.Length(kUtf8) + 16 bytes (the visible UTF-8 length bounds the bytes;
// ItemString::CopyOut's slack); returns the bytes written.  One pass: the C
// API's read, into its output buffer.
size_t TextCopy(const Branch& text, char* out);
// Yjs toDelta(): [{insert, attributes?}, ...]
Any TextToDelta(const Branch& text);

// ---- Array (indices count elements) ----
absl::Status ArrayInsert(Doc& doc, Branch* array, uint64_t index, std::vector<Any> values);
absl::StatusOr<Branch*> ArrayInsertType(Doc& doc, Branch* array, uint64_t index, TypeRef ref);
absl::Status ArrayDelete(Doc& doc, Branch* array, uint64_t index, uint64_t length);
// The item holding element index and the element's offset inside it.
const Item* ArrayGet(const Branch& array, uint64_t index, uint64_t* offset);

// ---- Map ----
absl::Status MapSet(Doc& doc, Branch* map, std::string_view key, Any value);
absl::StatusOr<Branch*> MapSetType(Doc& doc, Branch* map, std::string_view key, TypeRef ref);
absl::Status MapDelete(Doc& doc, Branch* map, std::string_view key);
// The live item for key, or nullptr.
const Item* MapGet(const Branch& map, std::string_view key);
size_t MapSize(const Branch& map);

// ---- Reading any type as JSON-like values ----
// The value at offset inside an item's content (nested types as their JSON).
Any ItemValue(const Item& item, uint64_t offset);
// Text -> string, Array -> array, Map -> object, XML -> its XML string.
Any ToAny(const Branch& type);

}  // namespace codesync::types

#endif  // CODESYNC_TYPES_TYPES_H_
