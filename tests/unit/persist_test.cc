// Tests for lib/persist: the container round trip (guid, metadata bytes,
// state vector, pending structs) and every verification step on containers
// built by hand with the generated FlatBuffers code, each with its message.
#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <vector>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "core/doc.h"
#include "core/update.h"
#include "persist/container.h"
#include "persist/container_generated.h"
#include "types/types.h"

namespace codesync {
namespace {

namespace fb = persist::fb;

std::unique_ptr<Doc> MakeDoc(uint64_t client) {
  DocOptions o;
  o.client_id = client;
  return std::make_unique<Doc>(o);
}

struct Parts {
  uint32_t version = persist::kContainerFormatVersion;
  std::string guid = "g";
  std::vector<fb::ClientClock> sv;
  std::vector<uint8_t> state{0, 0};
  std::vector<std::pair<std::string, std::string>> metadata;
  bool bad_checksum = false;
};

// A container assembled field by field, so each check can be hit alone.
std::vector<uint8_t> Build(const Parts& p) {
  flatbuffers::FlatBufferBuilder pb;
  std::vector<flatbuffers::Offset<fb::MetadataEntry>> entries;
  for (auto& [k, v] : p.metadata) {
    auto key = pb.CreateString(k);
    auto value = pb.CreateVector(reinterpret_cast<const uint8_t*>(v.data()), v.size());
    entries.push_back(fb::CreateMetadataEntry(pb, key, value));
  }
  auto guid = pb.CreateString(p.guid);
  auto sv = pb.CreateVectorOfStructs(p.sv);
  auto state = pb.CreateVector(p.state);
  auto meta = pb.CreateVector(entries);
  pb.Finish(fb::CreatePayload(pb, guid, sv, state, meta));
  uint64_t sum = XXH3_64bits(pb.GetBufferPointer(), pb.GetSize()) ^ (p.bad_checksum ? 1 : 0);
  flatbuffers::FlatBufferBuilder cb;
  auto bytes = cb.CreateVector(pb.GetBufferPointer(), pb.GetSize());
  fb::FinishContainerBuffer(cb, fb::CreateContainer(cb, p.version, sum, bytes));
  return {cb.GetBufferPointer(), cb.GetBufferPointer() + cb.GetSize()};
}

std::string ErrorOf(const std::vector<uint8_t>& c) {
  auto r = persist::ReadContainer(c.data(), c.size());
  if (r.ok()) return "ok";
  CHECK(r.status().code() == absl::StatusCode::kDataLoss);
  return std::string(r.status().message());
}

TEST_CASE("container round trip: state, guid, metadata bytes") {
  auto d = MakeDoc(5);
  REQUIRE(types::TextInsert(*d, *d->Root("t", TypeRef::kText), 0, "persist me", nullptr).ok());
  std::map<std::string, std::string> meta{{"title", "Notes"}, {"raw", std::string("\x00\xff", 2)}};
  std::vector<uint8_t> c = persist::SaveContainer(*d, "guid-1", meta);
  auto r = persist::ReadContainer(c.data(), c.size());
  REQUIRE(r.ok());
  CHECK(r->format_version == 1);
  CHECK(r->guid == "guid-1");
  CHECK(r->metadata == meta);
  CHECK(r->state == EncodeStateAsUpdate(*d, nullptr));
  CHECK(r->state_vector == d->store().GetStateVector());

  auto e = MakeDoc(6);
  auto loaded = persist::LoadContainer(*e, c.data(), c.size());
  REQUIRE(loaded.ok());
  CHECK(types::TextString(**e->Root("t", TypeRef::kText)) == "persist me");

  // Same input, same bytes: the container is deterministic.
  CHECK(persist::SaveContainer(*d, "guid-1", meta) == c);
  // The hand builder agrees with the library's writer on layout.
  Parts p;
  p.guid = "guid-1";
  p.state = r->state;
  p.sv = {fb::ClientClock(5, 10)};
  p.metadata = {{"raw", std::string("\x00\xff", 2)}, {"title", "Notes"}};
  CHECK(Build(p) == c);
}

TEST_CASE("pending structs travel in the container and stay pending") {
  auto a = MakeDoc(1);
  Branch* t = *a->Root("t", TypeRef::kText);
  REQUIRE(types::TextInsert(*a, t, 0, "ab", nullptr).ok());
  auto first = EncodeStateAsUpdate(*a, nullptr);
  StateVector sv1 = a->store().GetStateVector();
  REQUIRE(types::TextInsert(*a, t, 2, "cd", nullptr).ok());
  auto second = EncodeStateAsUpdate(*a, &sv1);

  auto b = MakeDoc(2);
  REQUIRE(ApplyUpdate(*b, second.data(), second.size(), std::nullopt).ok());  // waits for "ab"
  REQUIRE(b->has_pending());
  std::vector<uint8_t> c = persist::SaveContainer(*b, "", {});
  auto d = MakeDoc(3);
  REQUIRE(persist::LoadContainer(*d, c.data(), c.size()).ok());
  CHECK(d->has_pending());
  REQUIRE(ApplyUpdate(*d, first.data(), first.size(), std::nullopt).ok());
  CHECK_FALSE(d->has_pending());
  CHECK(types::TextString(**d->Root("t", TypeRef::kText)) == "abcd");
}

TEST_CASE("every verification step rejects with its own message") {
  Parts ok;
  CHECK(ErrorOf(Build(ok)) == "ok");

  CHECK(ErrorOf({}).find("too short") != std::string::npos);
  std::vector<uint8_t> not_ours(64, 0);
  CHECK(ErrorOf(not_ours).find("identifier") != std::string::npos);

  Parts v2 = ok;
  v2.version = 2;
  CHECK(ErrorOf(Build(v2)).find("unsupported format version 2") != std::string::npos);

  Parts sum = ok;
  sum.bad_checksum = true;
  CHECK(ErrorOf(Build(sum)).find("checksum mismatch") != std::string::npos);

  Parts wrong_sv = ok;
  wrong_sv.sv = {fb::ClientClock(9, 1)};
  CHECK(ErrorOf(Build(wrong_sv)).find("state vector does not match") != std::string::npos);

  Parts dup_sv = ok;
  dup_sv.sv = {fb::ClientClock(9, 1), fb::ClientClock(9, 1)};
  CHECK(ErrorOf(Build(dup_sv)).find("duplicate client") != std::string::npos);

  Parts bad_state = ok;
  bad_state.state = {1, 2, 3};
  CHECK(ErrorOf(Build(bad_state)).find("not a valid update") != std::string::npos);

  Parts dup_key = ok;
  dup_key.metadata = {{"k", "1"}, {"k", "2"}};
  CHECK(ErrorOf(Build(dup_key)).find("duplicate metadata key 'k'") != std::string::npos);

  // A valid container whose payload is not a Payload table, with a matching checksum.
  flatbuffers::FlatBufferBuilder cb;
  std::vector<uint8_t> junk{1, 2, 3};
  auto bytes = cb.CreateVector(junk);
  fb::FinishContainerBuffer(cb, fb::CreateContainer(cb, 1, XXH3_64bits(junk.data(), junk.size()), bytes));
  std::vector<uint8_t> c(cb.GetBufferPointer(), cb.GetBufferPointer() + cb.GetSize());
  CHECK(ErrorOf(c).find("payload fails FlatBuffers verification") != std::string::npos);

  // Loading a rejected container changes nothing.
  auto d = MakeDoc(4);
  REQUIRE(types::TextInsert(*d, *d->Root("t", TypeRef::kText), 0, "keep", nullptr).ok());
  auto before = EncodeStateAsUpdate(*d, nullptr);
  auto bad = Build(wrong_sv);
  CHECK_FALSE(persist::LoadContainer(*d, bad.data(), bad.size()).ok());
  CHECK(EncodeStateAsUpdate(*d, nullptr) == before);
}

TEST_CASE("an unaligned container reads the same") {
  auto d = MakeDoc(5);
  REQUIRE(types::TextInsert(*d, *d->Root("t", TypeRef::kText), 0, "x", nullptr).ok());
  std::vector<uint8_t> c = persist::SaveContainer(*d, "g", {{"a", "b"}});
  std::vector<uint8_t> shifted(c.size() + 1);
  std::copy(c.begin(), c.end(), shifted.begin() + 1);
  auto r = persist::ReadContainer(shifted.data() + 1, c.size());
  REQUIRE(r.ok());
  CHECK(r->guid == "g");
}

}  // namespace
}  // namespace codesync
