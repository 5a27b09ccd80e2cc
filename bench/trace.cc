#include "trace.h"

#include <sys/resource.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <utility>

namespace codesync_bench {
namespace {

// A JSON value; enough for the trace files (RFC 8259, no duplicates checks).
struct Json {
  enum Kind { kNull, kBool, kNumber, kString, kArray, kObject } kind = kNull;
  double number = 0;
  std::string string;
  std::vector<Json> array;
  std::vector<std::pair<std::string, Json>> object;

  const Json* Find(const char* key) const {
    for (const auto& [k, v] : object)
      if (k == key) return &v;
    return nullptr;
  }
};

class Parser {
 public:
  explicit Parser(const std::string& text) : p_(text.data()), end_(text.data() + text.size()) {}

  bool ParseDocument(Json* out) {
    if (!Value(out, 0)) return false;
    Space();
    return p_ == end_ || Fail("trailing characters");
  }
  const std::string& error() const { return error_; }

 private:
  bool Fail(const char* what) {
    if (error_.empty()) error_ = what;
    return false;
  }
  void Space() {
    while (p_ < end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t')) p_++;
  }
  bool Literal(const char* word) {
    size_t n = std::strlen(word);
    if (static_cast<size_t>(end_ - p_) < n || std::memcmp(p_, word, n) != 0) return Fail("bad literal");
    p_ += n;
    return true;
  }

  bool Value(Json* out, int depth) {
    if (depth > 64) return Fail("nested too deep");
    Space();
    if (p_ == end_) return Fail("unexpected end");
    switch (*p_) {
      case '{': return Object(out, depth);
      case '[': return Array(out, depth);
      case '"': out->kind = Json::kString; return String(&out->string);
      case 't': out->kind = Json::kBool; out->number = 1; return Literal("true");
      case 'f': out->kind = Json::kBool; return Literal("false");
      case 'n': out->kind = Json::kNull; return Literal("null");
      default: return Number(out);
    }
  }

  bool Object(Json* out, int depth) {
    out->kind = Json::kObject;
    p_++;
    Space();
    if (p_ < end_ && *p_ == '}') return p_++, true;
    for (;;) {
      Space();
      std::string key;
      if (p_ == end_ || *p_ != '"' || !String(&key)) return Fail("expected a key");
      Space();
      if (p_ == end_ || *p_++ != ':') return Fail("expected ':'");
      out->object.emplace_back(std::move(key), Json{});
      if (!Value(&out->object.back().second, depth + 1)) return false;
      Space();
      if (p_ == end_) return Fail("unexpected end");
      if (*p_ == ',') { p_++; continue; }
      if (*p_ == '}') return p_++, true;
      return Fail("expected ',' or '}'");
    }
  }

  bool Array(Json* out, int depth) {
    out->kind = Json::kArray;
    p_++;
    Space();
    if (p_ < end_ && *p_ == ']') return p_++, true;
    for (;;) {
      out->array.emplace_back();
      if (!Value(&out->array.back(), depth + 1)) return false;
      Space();
      if (p_ == end_) return Fail("unexpected end");
      if (*p_ == ',') { p_++; continue; }
      if (*p_ == ']') return p_++, true;
      return Fail("expected ',' or ']'");
    }
  }

  bool Number(Json* out) {
    out->kind = Json::kNumber;
    char* stop = nullptr;
    std::string copy(p_, static_cast<size_t>(std::min<ptrdiff_t>(end_ - p_, 64)));
    out->number = std::strtod(copy.c_str(), &stop);
    if (stop == copy.c_str()) return Fail("bad number");
    p_ += stop - copy.c_str();
    return true;
  }

  static void PutUtf8(uint32_t cp, std::string* out) {
    if (cp < 0x80) {
      out->push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out->push_back(static_cast<char>(0xc0 | (cp >> 6)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3f)));
    } else if (cp < 0x10000) {
      out->push_back(static_cast<char>(0xe0 | (cp >> 12)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3f)));
    } else {
      out->push_back(static_cast<char>(0xf0 | (cp >> 18)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3f)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3f)));
    }
  }

  bool Hex4(uint32_t* out) {
    if (end_ - p_ < 4) return Fail("short \\u escape");
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
      char c = *p_++;
      v <<= 4;
      if (c >= '0' && c <= '9') v |= static_cast<uint32_t>(c - '0');
      else if (c >= 'a' && c <= 'f') v |= static_cast<uint32_t>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F') v |= static_cast<uint32_t>(c - 'A' + 10);
      else return Fail("bad \\u escape");
    }
    *out = v;
    return true;
  }

  bool String(std::string* out) {
    p_++;  // the opening quote
    for (;;) {
      const char* run = p_;
      while (p_ < end_ && *p_ != '"' && *p_ != '\\') p_++;
      out->append(run, p_);
      if (p_ == end_) return Fail("unterminated string");
      if (*p_++ == '"') return true;
      if (p_ == end_) return Fail("unterminated escape");
      char c = *p_++;
      switch (c) {
        case '"': case '\\': case '/': out->push_back(c); break;
        case 'b': out->push_back('\b'); break;
        case 'f': out->push_back('\f'); break;
        case 'n': out->push_back('\n'); break;
        case 'r': out->push_back('\r'); break;
        case 't': out->push_back('\t'); break;
        case 'u': {
          uint32_t cp;
          if (!Hex4(&cp)) return false;
          if (cp >= 0xd800 && cp < 0xdc00 && end_ - p_ >= 6 && p_[0] == '\\' && p_[1] == 'u') {
            const char* save = p_;
            p_ += 2;
            uint32_t lo;
            if (Hex4(&lo) && lo >= 0xdc00 && lo < 0xe000) cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
            else p_ = save;
          }
          PutUtf8(cp, out);
          break;
        }
        default: return Fail("bad escape");
      }
    }
  }

  const char* p_;
  const char* end_;
  std::string error_;
};

bool ReadGzip(const std::string& path, std::string* out) {
  gzFile f = gzopen(path.c_str(), "rb");
  if (f == nullptr) return false;
  gzbuffer(f, 1 << 17);
  std::unique_ptr<char[]> buf(new char[1 << 17]);
  int n;
  while ((n = gzread(f, buf.get(), 1 << 17)) > 0) out->append(buf.get(), static_cast<size_t>(n));
  bool ok = n == 0;
  gzclose(f);
  return ok;
}

size_t CodePoints(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xc0) != 0x80;
  return n;
}

bool ToPatch(const Json& j, Patch* p) {
  if (j.kind != Json::kArray || j.array.size() < 3 || j.array[0].kind != Json::kNumber ||
      j.array[1].kind != Json::kNumber || j.array[2].kind != Json::kString)
    return false;
  p->pos = static_cast<uint32_t>(j.array[0].number);
  p->del = static_cast<uint32_t>(j.array[1].number);
  p->ins = j.array[2].string;
  return true;
}

}  // namespace

bool LoadTrace(const std::string& path, Trace* out, std::string* error) {
  std::string text;
  if (!ReadGzip(path, &text)) {
    *error = "cannot read " + path;
    return false;
  }
  Json root;
  Parser parser(text);
  if (!parser.ParseDocument(&root)) {
    *error = path + ": " + parser.error();
    return false;
  }
  const Json* txns = root.Find("txns");
  const Json* end = root.Find("endContent");
  if (txns == nullptr || txns->kind != Json::kArray || end == nullptr || end->kind != Json::kString) {
    *error = path + ": lacks txns or endContent";
    return false;
  }
  std::string base = std::filesystem::path(path).filename().string();
  out->name = base.substr(0, base.size() - std::strlen(".json.gz"));
  const Json* kind = root.Find("kind");
  out->concurrent = kind != nullptr && kind->kind == Json::kString && kind->string == "concurrent";
  if (const Json* agents = root.Find("numAgents"); agents != nullptr && agents->kind == Json::kNumber)
    out->num_agents = static_cast<uint32_t>(agents->number);
  out->end_content = end->string;
  out->end_chars = CodePoints(out->end_content);
  out->txns.reserve(txns->array.size());
  for (Json& jt : const_cast<Json*>(txns)->array) {
    Txn t;
    const Json* patches = jt.Find("patches");
    if (patches == nullptr || patches->kind != Json::kArray) {
      *error = path + ": a txn lacks patches";
      return false;
    }
    for (const Json& jp : patches->array) {
      Patch p;
      if (!ToPatch(jp, &p)) {
        *error = path + ": malformed patch";
        return false;
      }
      t.patches.push_back(std::move(p));
    }
    out->num_patches += t.patches.size();
    if (const Json* agent = jt.Find("agent"); agent != nullptr) t.agent = static_cast<uint32_t>(agent->number);
    if (const Json* parents = jt.Find("parents"); parents != nullptr)
      for (const Json& p : parents->array) t.parents.push_back(static_cast<uint32_t>(p.number));
    out->txns.push_back(std::move(t));
    jt = Json{};  // free as we go: the parsed tree is several times the trace
  }
  return true;
}

std::vector<std::string> ListTraces(const std::string& dir) {
  std::vector<std::string> files;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    std::string name = entry.path().filename().string();
    if (name.size() > 8 && name.compare(name.size() - 8, 8, ".json.gz") == 0) files.push_back(entry.path().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

size_t CurrentRss() {
  FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return 0;
  unsigned long size = 0, resident = 0;
  int n = std::fscanf(f, "%lu %lu", &size, &resident);
  std::fclose(f);
  return n == 2 ? resident * static_cast<size_t>(sysconf(_SC_PAGESIZE)) : 0;
}

size_t PeakRss() {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<size_t>(ru.ru_maxrss) * 1024;
}

}  // namespace codesync_bench
