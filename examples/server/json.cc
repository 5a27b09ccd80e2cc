#include "json.h"

#include <cstdlib>
#include <cstdio>
#include <cstring>

namespace codesync::server {
namespace {

class Reader {
 public:
  explicit Reader(std::string_view s) : s_(s) {}
  bool Value(Json* out, int depth);
  void Ws() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r')) ++i_;
  }
  bool AtEnd() const { return i_ == s_.size(); }
  std::string error;

 private:
  bool Fail(const char* what) {
    error = std::string(what) + " at offset " + std::to_string(i_);
    return false;
  }
  bool String(std::string* out);
  bool Literal(std::string_view word) {
    if (s_.substr(i_, word.size()) != word) return Fail("invalid literal");
    i_ += word.size();
    return true;
  }
  static void AppendUtf8(std::string* out, uint32_t cp) {
    if (cp < 0x80) {
      out->push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }
  bool Hex4(uint32_t* out) {
    if (i_ + 4 > s_.size()) return Fail("truncated escape");
    uint32_t v = 0;
    for (int k = 0; k < 4; ++k) {
      char c = s_[i_++];
      v <<= 4;
      if (c >= '0' && c <= '9') v |= c - '0';
      else if (c >= 'a' && c <= 'f') v |= c - 'a' + 10;
      else if (c >= 'A' && c <= 'F') v |= c - 'A' + 10;
      else return Fail("bad \\u escape");
    }
    *out = v;
    return true;
  }
  std::string_view s_;
  size_t i_ = 0;
};

bool Reader::String(std::string* out) {
  ++i_;  // opening quote
  while (true) {
    if (i_ >= s_.size()) return Fail("unterminated string");
    char c = s_[i_++];
    if (c == '"') return true;
    if (static_cast<unsigned char>(c) < 0x20) return Fail("control character in string");
    if (c != '\\') {
      out->push_back(c);
      continue;
    }
    if (i_ >= s_.size()) return Fail("truncated escape");
    char e = s_[i_++];
    switch (e) {
      case '"': out->push_back('"'); break;
      case '\\': out->push_back('\\'); break;
      case '/': out->push_back('/'); break;
      case 'b': out->push_back('\b'); break;
      case 'f': out->push_back('\f'); break;
      case 'n': out->push_back('\n'); break;
      case 'r': out->push_back('\r'); break;
      case 't': out->push_back('\t'); break;
      case 'u': {
        uint32_t cp = 0;
        if (!Hex4(&cp)) return false;
        if (cp >= 0xD800 && cp < 0xDC00) {
          uint32_t lo = 0;
          if (s_.substr(i_, 2) != "\\u") return Fail("lone surrogate");
          i_ += 2;
          if (!Hex4(&lo)) return false;
          if (lo < 0xDC00 || lo > 0xDFFF) return Fail("lone surrogate");
          cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
          return Fail("lone surrogate");
        }
        AppendUtf8(out, cp);
        break;
      }
      default:
        return Fail("bad escape");
    }
  }
}

bool Reader::Value(Json* out, int depth) {
  if (depth > 64) return Fail("nested too deeply");
  Ws();
  if (i_ >= s_.size()) return Fail("unexpected end");
  char c = s_[i_];
  if (c == '{') {
    out->type = Json::Type::kObject;
    ++i_;
    Ws();
    if (i_ < s_.size() && s_[i_] == '}') {
      ++i_;
      return true;
    }
    while (true) {
      Ws();
      if (i_ >= s_.size() || s_[i_] != '"') return Fail("object key expected");
      std::string key;
      if (!String(&key)) return false;
      Ws();
      if (i_ >= s_.size() || s_[i_] != ':') return Fail("':' expected");
      ++i_;
      Json v;
      if (!Value(&v, depth + 1)) return false;
      out->object.emplace_back(std::move(key), std::move(v));
      Ws();
      if (i_ < s_.size() && s_[i_] == ',') {
        ++i_;
        continue;
      }
      if (i_ < s_.size() && s_[i_] == '}') {
        ++i_;
        return true;
      }
      return Fail("',' or '}' expected");
    }
  }
  if (c == '[') {
    out->type = Json::Type::kArray;
    ++i_;
    Ws();
    if (i_ < s_.size() && s_[i_] == ']') {
      ++i_;
      return true;
    }
    while (true) {
      Json v;
      if (!Value(&v, depth + 1)) return false;
      out->array.push_back(std::move(v));
      Ws();
      if (i_ < s_.size() && s_[i_] == ',') {
        ++i_;
        continue;
      }
      if (i_ < s_.size() && s_[i_] == ']') {
        ++i_;
        return true;
      }
      return Fail("',' or ']' expected");
    }
  }
  if (c == '"') {
    out->type = Json::Type::kString;
    return String(&out->string);
  }
  if (c == 't') {
    out->type = Json::Type::kBool;
    out->boolean = true;
    return Literal("true");
  }
  if (c == 'f') {
    out->type = Json::Type::kBool;
    return Literal("false");
  }
  if (c == 'n') return Literal("null");
  if (c == '-' || (c >= '0' && c <= '9')) {
    size_t start = i_;
    if (s_[i_] == '-') ++i_;
    while (i_ < s_.size() && std::strchr("0123456789.eE+-", s_[i_]) != nullptr) ++i_;
    std::string num(s_.substr(start, i_ - start));
    char* end = nullptr;
    out->type = Json::Type::kNumber;
    out->number = std::strtod(num.c_str(), &end);
    if (end != num.c_str() + num.size()) return Fail("bad number");
    return true;
  }
  return Fail("unexpected character");
}

}  // namespace

const Json* Json::Get(std::string_view key) const {
  if (type != Type::kObject) return nullptr;
  for (const auto& [k, v] : object) {
    if (k == key) return &v;
  }
  return nullptr;
}

std::optional<Json> ParseJson(std::string_view text, std::string* error) {
  Reader r(text);
  Json out;
  if (!r.Value(&out, 0)) {
    *error = r.error;
    return std::nullopt;
  }
  r.Ws();
  if (!r.AtEnd()) {
    *error = "trailing characters";
    return std::nullopt;
  }
  return out;
}

std::string JsonQuote(std::string_view s) {
  std::string out = "\"";
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out.push_back(ch);
        }
    }
  }
  out += "\"";
  return out;
}

}  // namespace codesync::server
