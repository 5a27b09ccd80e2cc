// A small JSON reader and string quoting, enough for REST bodies and token
// payloads (nesting depth is bounded; numbers are doubles).
#ifndef CODESYNC_EXAMPLES_SERVER_JSON_H_
#define CODESYNC_EXAMPLES_SERVER_JSON_H_

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace codesync::server {

struct Json {
  enum class Type { kNull, kBool, kNumber, kString, kArray, kObject };
  Type type = Type::kNull;
  bool boolean = false;
  double number = 0;
  std::string string;
  std::vector<Json> array;
  std::vector<std::pair<std::string, Json>> object;

  // Member of an object; nullptr when absent or not an object.
  const Json* Get(std::string_view key) const;
  bool is_string() const { return type == Type::kString; }
  bool is_number() const { return type == Type::kNumber; }
};

// Whole input must be one value (whitespace around it allowed).
std::optional<Json> ParseJson(std::string_view text, std::string* error);
// "..." with JSON escapes.
std::string JsonQuote(std::string_view s);

}  // namespace codesync::server

#endif  // CODESYNC_EXAMPLES_SERVER_JSON_H_
