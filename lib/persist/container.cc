#include "persist/container.h"

#include <algorithm>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "core/update.h"
#include "encoding/any.h"
#include "encoding/utf8.h"
#include "persist/container_generated.h"

namespace codesync::persist {
namespace {

absl::Status Corrupt(std::string_view what) {
  return absl::DataLossError("malformed container: " + std::string(what));
}

}  // namespace

std::vector<uint8_t> SaveContainer(const Doc& doc, std::string_view guid,
                                   const std::map<std::string, std::string>& metadata) {
  std::vector<uint8_t> state = EncodeStateAsUpdate(doc, nullptr);
  // The state vector of what is saved, pending structs included (as a peer would see it).
  auto sv_or = UpdateStateVector(state.data(), state.size());
  StateVector sv = sv_or.ok() ? *sv_or : doc.store().GetStateVector();
  std::vector<fb::ClientClock> clocks;
  for (auto& [client, clock] : sv) clocks.emplace_back(client, clock);
  std::sort(clocks.begin(), clocks.end(), [](auto& a, auto& b) { return a.client() > b.client(); });

  flatbuffers::FlatBufferBuilder pb;
  std::vector<flatbuffers::Offset<fb::MetadataEntry>> entries;
  for (auto& [k, v] : metadata) {
    auto key = pb.CreateString(k);
    auto value = pb.CreateVector(reinterpret_cast<const uint8_t*>(v.data()), v.size());  // after the key
    entries.push_back(fb::CreateMetadataEntry(pb, key, value));
  }
  // One statement per object: argument evaluation order would make the bytes compiler-dependent.
  auto guid_off = pb.CreateString(guid.data(), guid.size());
  auto sv_off = pb.CreateVectorOfStructs(clocks);
  auto state_off = pb.CreateVector(state);
  auto meta_off = pb.CreateVector(entries);
  auto payload = fb::CreatePayload(pb, guid_off, sv_off, state_off, meta_off);
  pb.Finish(payload);

  flatbuffers::FlatBufferBuilder cb;
  uint64_t checksum = XXH3_64bits(pb.GetBufferPointer(), pb.GetSize());
  auto bytes = cb.CreateVector(pb.GetBufferPointer(), pb.GetSize());
  fb::FinishContainerBuffer(cb, fb::CreateContainer(cb, kContainerFormatVersion, checksum, bytes));
  return std::vector<uint8_t>(cb.GetBufferPointer(), cb.GetBufferPointer() + cb.GetSize());
}

absl::StatusOr<Container> ReadContainer(const uint8_t* input, size_t len) {
  if (!input || len < 8) return Corrupt("too short (" + std::to_string(len) + " bytes)");
  // FlatBuffers reads scalars in place: work on heap copies, which are aligned
  // whatever the caller's bytes are.
  std::vector<uint8_t> outer_copy(input, input + len);
  const uint8_t* data = outer_copy.data();
  if (!fb::ContainerBufferHasIdentifier(data)) return Corrupt("not a codesync container (identifier is not CSYC)");
  flatbuffers::Verifier outer(data, len);
  if (!fb::VerifyContainerBuffer(outer)) return Corrupt("the envelope fails FlatBuffers verification");
  const fb::Container* c = fb::GetContainer(data);
  if (c->format_version() != kContainerFormatVersion) {
    return Corrupt("unsupported format version " + std::to_string(c->format_version()) + " (this library reads " +
                   std::to_string(kContainerFormatVersion) + ")");
  }
  const auto* pbytes = c->payload();
  if (XXH3_64bits(pbytes->data(), pbytes->size()) != c->checksum()) return Corrupt("checksum mismatch");
  std::vector<uint8_t> inner_copy(pbytes->begin(), pbytes->end());
  flatbuffers::Verifier inner(inner_copy.data(), inner_copy.size());
  if (!inner.VerifyBuffer<fb::Payload>(nullptr)) return Corrupt("the payload fails FlatBuffers verification");
  const fb::Payload* p = flatbuffers::GetRoot<fb::Payload>(inner_copy.data());

  Container out;
  out.format_version = c->format_version();
  out.guid = p->guid()->str();
  out.state.assign(p->state()->begin(), p->state()->end());
  if (p->state_vector()) {
    for (const fb::ClientClock* cc : *p->state_vector()) {
      if (!out.state_vector.emplace(cc->client(), cc->clock()).second) return Corrupt("duplicate client in state vector");
    }
  }
  if (p->metadata()) {
    for (const fb::MetadataEntry* e : *p->metadata()) {
      std::string value = e->value() ? std::string(e->value()->begin(), e->value()->end()) : std::string();
      if (!out.metadata.emplace(e->key()->str(), std::move(value)).second) {
        return Corrupt("duplicate metadata key '" + e->key()->str() + "'");
      }
    }
  }
  auto sv = UpdateStateVector(out.state.data(), out.state.size());
  if (!sv.ok()) return Corrupt("the state is not a valid update: " + std::string(sv.status().message()));
  if (*sv != out.state_vector) return Corrupt("the state vector does not match the state");
  return out;
}

absl::StatusOr<Container> LoadContainer(Doc& doc, const uint8_t* data, size_t len) {
  auto c = ReadContainer(data, len);
  if (!c.ok()) return c.status();
  if (absl::Status s = ApplyUpdate(doc, c->state.data(), c->state.size(), std::string("container")); !s.ok()) {
    return s;
  }
  return c;
}

absl::StatusOr<std::vector<uint8_t>> SaveContainerJson(const Doc& doc, std::string_view guid,
                                                       const char* metadata_json, size_t metadata_len) {
  if (!utf8::IsValid(guid)) return absl::InvalidArgumentError("guid is not valid UTF-8");
  std::map<std::string, std::string> meta;
  if (metadata_json) {
    auto v = Any::FromJson(std::string_view(metadata_json, metadata_len));
    if (!v.ok()) return absl::InvalidArgumentError("metadata is not valid JSON: " + std::string(v.status().message()));
    if (v->kind() != Any::Kind::kObject) return absl::InvalidArgumentError("metadata must be a JSON object");
    for (auto& [k, val] : v->as_object()) {
      if (val.kind() != Any::Kind::kString) {
        return absl::InvalidArgumentError("metadata value of '" + k + "' is not a string");
      }
      meta[k] = val.as_string();
    }
  }
  return SaveContainer(doc, guid, meta);
}

absl::StatusOr<std::string> ContainerInfoJson(const uint8_t* data, size_t len) {
  auto c = ReadContainer(data, len);
  if (!c.ok()) return c.status();
  Any::Object meta;
  for (auto& [k, v] : c->metadata) {
    if (utf8::IsValid(v)) {
      meta.emplace_back(k, Any::String(v));
    } else {
      Any::Array bytes;
      for (unsigned char b : v) bytes.push_back(Any::Number(b));
      meta.emplace_back(k, Any::MakeArray(std::move(bytes)));
    }
  }
  std::vector<std::pair<uint64_t, uint64_t>> sv(c->state_vector.begin(), c->state_vector.end());
  std::sort(sv.begin(), sv.end());
  Any::Object svo;
  for (auto& [client, clock] : sv) svo.emplace_back(std::to_string(client), Any::Number(static_cast<double>(clock)));
  Any::Object o;
  o.emplace_back("format_version", Any::Number(c->format_version));
  o.emplace_back("guid", Any::String(c->guid));
  o.emplace_back("metadata", Any::MakeObject(std::move(meta)));
  o.emplace_back("state_vector", Any::MakeObject(std::move(svo)));
  o.emplace_back("state_bytes", Any::Number(static_cast<double>(c->state.size())));
  return Any::MakeObject(std::move(o)).ToJson();
}

}  // namespace codesync::persist
