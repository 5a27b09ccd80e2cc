// Room: the server side of y-websocket as a sans-I/O state machine.  The
// embedder owns sockets and timers; it attaches connections, feeds their
// frames, drains the frames to send, and calls Tick now and then.
//
// Behaviour (y-websocket's server, plus read-only connections):
//  - on attach the room queues SyncStep1 and, when any awareness state exists,
//    an awareness update carrying all of them;
//  - SyncStep1 is answered with SyncStep2 (read-only connections too);
//  - SyncStep2 and Update are applied to the document (origin "conn:<id>")
//    and what they changed is queued as an Update for every other connection;
//    when the document held pending structs, the sender gets it too, because
//    the change may then include structs it never had;
//  - on a read-only connection, Update is dropped and answered with
//    permission denied ("read-only"); SyncStep2 is dropped silently unless it
//    carries structs the room lacks (then answered the same way);
//  - awareness updates are applied (read-only connections may show presence)
//    and what changed goes to every other connection; the clients whose state
//    a connection last set are removed when it detaches, and that removal is
//    broadcast;
//  - a query-awareness message is answered with every awareness state; auth
//    messages from clients are ignored;
//  - any change to the document or to awareness() made by the embedder is
//    broadcast to every connection.
// A malformed frame returns an error for that call only: the document and the
// awareness states are untouched and nothing is queued.
#ifndef CODESYNC_SYNC_ROOM_H_
#define CODESYNC_SYNC_ROOM_H_

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "awareness/awareness.h"
#include "core/doc.h"

namespace codesync::sync {

struct RoomOptions {
  int64_t awareness_timeout_ms = Awareness::kOutdatedTimeoutMs;
};

// One frame for one connection.  Broadcast frames share their bytes.
struct OutgoingMessage {
  uint64_t conn = 0;
  std::shared_ptr<const std::vector<uint8_t>> frame;
};

class Room {
 public:
  // The document must outlive the room.  The room's awareness uses the
  // document's client id and starts without a local state.
  explicit Room(Doc& doc, const RoomOptions& options = {});
  ~Room();
  Room(const Room&) = delete;
  Room& operator=(const Room&) = delete;

  Doc& doc() { return doc_; }
  Awareness& awareness() { return awareness_; }

  // InvalidArgument for an id already attached.
  absl::Status Attach(uint64_t conn, bool read_only, int64_t now_ms);
  // Drops the frames still queued for it.  InvalidArgument for an unknown id.
  absl::Status Detach(uint64_t conn, int64_t now_ms);
  absl::Status SetReadOnly(uint64_t conn, bool read_only);
  absl::Status Receive(uint64_t conn, const uint8_t* data, size_t len, int64_t now_ms);
  // Awareness timeouts (and renewal of the room's own state, if it has one).
  absl::Status Tick(int64_t now_ms);

  bool HasConnection(uint64_t conn) const { return conns_.count(conn) > 0; }
  std::optional<bool> IsReadOnly(uint64_t conn) const;
  size_t connection_count() const { return conns_.size(); }

  // Frames leave in the order they were queued; for any one connection that
  // is the order in which it must receive them.
  bool NextMessage(OutgoingMessage* out);
  // The frame NextMessage would return, or nullptr.
  const OutgoingMessage* PeekMessage() const { return queue_.empty() ? nullptr : &queue_.front(); }
  size_t pending_messages() const { return queue_.size(); }

  static constexpr const char* kReadOnlyReason = "read-only";

 private:
  struct Connection {
    bool read_only = false;
  };

  void Queue(uint64_t conn, std::shared_ptr<const std::vector<uint8_t>> frame);
  // To every connection but `except`.
  void Broadcast(std::shared_ptr<const std::vector<uint8_t>> frame, std::optional<uint64_t> except);
  void OnDocUpdate(const std::vector<uint8_t>& update);
  void OnAwareness(const AwarenessChange& change);
  absl::Status ReceiveUpdate(uint64_t conn, std::string_view update);
  absl::Status ReceiveReadOnlyUpdate(uint64_t conn, bool step2, std::string_view update);

  Doc& doc_;
  Awareness awareness_;
  std::map<uint64_t, Connection> conns_;  // ordered: broadcasts go out in id order
  absl::flat_hash_map<uint64_t, uint64_t> owner_;  // awareness client -> connection that set it
  std::deque<OutgoingMessage> queue_;
  uint64_t doc_observer_ = 0;
  uint64_t awareness_observer_ = 0;
  // The connection whose frame is being handled; its own changes are not echoed to it.
  std::optional<uint64_t> sender_;
  bool echo_to_sender_ = false;
  bool in_call_ = false;
};

}  // namespace codesync::sync

#endif  // CODESYNC_SYNC_ROOM_H_
