// The y-protocols sync messages inside the y-websocket envelope, as pure
// functions of bytes.
//
//   frame    = varUint envelope, then
//     0 sync       varUint sync type, then varUint8Array payload:
//                    0 SyncStep1 (state vector), 1 SyncStep2 (update), 2 Update (update)
//     1 awareness  varUint8Array awareness update
//     2 auth       varUint 0 (permission denied), then varString reason
//     3 query awareness (nothing follows)
//
// A frame holds exactly one message: trailing bytes are malformed (y-protocols
// writers never produce them).
#ifndef CODESYNC_SYNC_PROTOCOL_H_
#define CODESYNC_SYNC_PROTOCOL_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "awareness/awareness.h"
#include "core/doc.h"
#include "core/store.h"

namespace codesync::sync {

inline constexpr uint64_t kEnvelopeSync = 0;
inline constexpr uint64_t kEnvelopeAwareness = 1;
inline constexpr uint64_t kEnvelopeAuth = 2;
inline constexpr uint64_t kEnvelopeQueryAwareness = 3;

inline constexpr uint64_t kSyncStep1 = 0;
inline constexpr uint64_t kSyncStep2 = 1;
inline constexpr uint64_t kSyncUpdate = 2;

inline constexpr uint64_t kAuthPermissionDenied = 0;

// Values pinned: the C API exposes them as codesync_message_kind.
enum class MessageKind : int {
  kSyncStep1 = 0,
  kSyncStep2 = 1,
  kSyncUpdate = 2,
  kAwareness = 3,
  kPermissionDenied = 4,
  kQueryAwareness = 5,
};

// A decoded frame; payload points into the frame: state vector, update,
// awareness update or reason (UTF-8), empty for a query.
struct Message {
  MessageKind kind = MessageKind::kSyncStep1;
  std::string_view payload;
};

// Checks the envelope only (payloads are validated by whoever reads them).
absl::StatusOr<Message> DecodeMessage(const uint8_t* data, size_t len);
// Decodes a SyncStep1 payload; trailing bytes are malformed.
absl::StatusOr<StateVector> DecodeStateVectorPayload(std::string_view payload);

std::vector<uint8_t> EncodeSyncStep1(const Doc& doc);
std::vector<uint8_t> EncodeSyncStep1(std::string_view encoded_state_vector);
// What a peer with `sv` lacks (the whole state for nullptr), as SyncStep2.
std::vector<uint8_t> EncodeSyncStep2(const Doc& doc, const StateVector* sv);
std::vector<uint8_t> EncodeSyncStep2(std::string_view update);
std::vector<uint8_t> EncodeSyncUpdate(std::string_view update);
std::vector<uint8_t> EncodeAwarenessMessage(std::string_view awareness_update);
std::vector<uint8_t> EncodePermissionDenied(std::string_view reason);
std::vector<uint8_t> EncodeQueryAwareness();

inline std::string_view AsView(const std::vector<uint8_t>& v) {
  return {reinterpret_cast<const char*>(v.data()), v.size()};
}

// What a peer (client or peer-to-peer side) does with one received frame, as
// y-websocket's provider does: SyncStep1 is answered with SyncStep2; SyncStep2
// and Update are applied under `origin`; awareness updates are applied to
// `awareness` (ignored when null); a query is answered with every awareness
// state; permission denied is only reported.  `reply` is empty when there is
// nothing to send.  A malformed frame changes nothing.
struct HandleResult {
  MessageKind kind = MessageKind::kSyncStep1;
  std::vector<uint8_t> reply;
  std::string reason;  // kPermissionDenied only
};
absl::StatusOr<HandleResult> HandleMessage(Doc& doc, Awareness* awareness, const uint8_t* data, size_t len,
                                           int64_t now_ms, std::optional<std::string> origin);

}  // namespace codesync::sync

#endif  // CODESYNC_SYNC_PROTOCOL_H_
