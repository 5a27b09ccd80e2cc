// The snapshot container (persist/container.fbs): one document's whole state
// as a Yjs update v1, its state vector, a guid, metadata and an XXH3-64
// checksum, for storage.  Loading verifies everything before anything is
// applied; corruption is absl::DataLossError with what was wrong.
#ifndef CODESYNC_PERSIST_CONTAINER_H_
#define CODESYNC_PERSIST_CONTAINER_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/doc.h"
#include "core/store.h"

namespace codesync::persist {

inline constexpr uint32_t kContainerFormatVersion = 1;

struct Container {
  uint32_t format_version = kContainerFormatVersion;
  std::string guid;
  StateVector state_vector;
  std::vector<uint8_t> state;  // Yjs update v1
  std::map<std::string, std::string> metadata;  // values are bytes
};

// The container of doc's current state (pending structs included).
std::vector<uint8_t> SaveContainer(const Doc& doc, std::string_view guid,
                                   const std::map<std::string, std::string>& metadata);
// Verifies identifier, structure, format version, checksum, the state's
// decoding and that the stored state vector is the state's.
absl::StatusOr<Container> ReadContainer(const uint8_t* data, size_t len);
// ReadContainer, then applies the state to doc as an update (merging with
// what doc holds); doc is unchanged on any error.
absl::StatusOr<Container> LoadContainer(Doc& doc, const uint8_t* data, size_t len);

// The C API's forms.  metadata_json (nullptr = none) must be a JSON object
// of strings (InvalidArgument otherwise); the guid must be UTF-8.
absl::StatusOr<std::vector<uint8_t>> SaveContainerJson(const Doc& doc, std::string_view guid,
                                                       const char* metadata_json, size_t metadata_len);
// {"format_version":..,"guid":..,"metadata":{..},"state_vector":{..},"state_bytes":n}
absl::StatusOr<std::string> ContainerInfoJson(const uint8_t* data, size_t len);

}  // namespace codesync::persist

#endif  // CODESYNC_PERSIST_CONTAINER_H_
