#include "sync/room.h"

#include <algorithm>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/update.h"
#include "sync/protocol.h"

namespace codesync::sync {
namespace {

using Frame = std::shared_ptr<const std::vector<uint8_t>>;

Frame Share(std::vector<uint8_t> bytes) { return std::make_shared<const std::vector<uint8_t>>(std::move(bytes)); }

// Sets a flag for the duration of a call, so observers can tell who caused a
// change and reentrant calls can be refused.
class Scope {
 public:
  Scope(std::optional<uint64_t>& sender, bool& in_call, std::optional<uint64_t> conn)
      : sender_(sender), in_call_(in_call) {
    sender_ = conn;
    in_call_ = true;
  }
  ~Scope() {
    sender_.reset();
    in_call_ = false;
  }

 private:
  std::optional<uint64_t>& sender_;
  bool& in_call_;
};

absl::Status Busy() { return absl::UnavailableError("the room is busy: called from inside an observer"); }
absl::Status Unknown(uint64_t conn) { return absl::InvalidArgumentError(absl::StrCat("unknown connection ", conn)); }

}  // namespace

Room::Room(Doc& doc, const RoomOptions& options)
    : doc_(doc), awareness_(doc.client_id(), options.awareness_timeout_ms) {
  doc_observer_ = doc_.AddUpdateObserver(
      [this](const std::vector<uint8_t>& update, const Transaction&) { OnDocUpdate(update); });
  awareness_observer_ = awareness_.AddObserver(
      [this](const AwarenessChange& change, const std::optional<std::string>&) { OnAwareness(change); });
}

Room::~Room() {
  doc_.RemoveUpdateObserver(doc_observer_);
  awareness_.RemoveObserver(awareness_observer_);
}

void Room::Queue(uint64_t conn, Frame frame) { queue_.push_back(OutgoingMessage{conn, std::move(frame)}); }

void Room::Broadcast(Frame frame, std::optional<uint64_t> except) {
  for (const auto& [id, c] : conns_) {
    if (except && id == *except) continue;
    Queue(id, frame);
  }
}

void Room::OnDocUpdate(const std::vector<uint8_t>& update) {
  if (conns_.empty()) return;
  std::optional<uint64_t> except = echo_to_sender_ ? std::nullopt : sender_;
  Broadcast(Share(EncodeSyncUpdate(AsView(update))), except);
}

void Room::OnAwareness(const AwarenessChange& change) {
  if (sender_) {
    for (const auto* list : {&change.added, &change.updated, &change.renewed}) {
      for (uint64_t client : *list) {
        if (client != awareness_.client_id()) owner_[client] = *sender_;  // the room's own state is nobody's
      }
    }
  }
  for (uint64_t client : change.removed) owner_.erase(client);
  if (conns_.empty()) return;
  std::vector<uint64_t> clients = change.clients();
  // A peer that tried to remove the room's own state must hear it revived.
  bool touches_own = std::binary_search(clients.begin(), clients.end(), awareness_.client_id());
  std::optional<uint64_t> except = touches_own ? std::nullopt : sender_;
  Broadcast(Share(EncodeAwarenessMessage(AsView(awareness_.EncodeUpdate(clients)))), except);
}

absl::Status Room::Attach(uint64_t conn, bool read_only, int64_t now_ms) {
  if (in_call_ || awareness_.busy() || doc_.busy()) return Busy();
  if (conns_.count(conn)) return absl::InvalidArgumentError(absl::StrCat("connection ", conn, " is already attached"));
  conns_[conn] = Connection{read_only};
  Queue(conn, Share(EncodeSyncStep1(doc_)));
  if (awareness_.size() > 0) Queue(conn, Share(EncodeAwarenessMessage(AsView(awareness_.EncodeAll()))));
  return absl::OkStatus();
}

absl::Status Room::Detach(uint64_t conn, int64_t now_ms) {
  if (in_call_ || awareness_.busy() || doc_.busy()) return Busy();
  auto it = conns_.find(conn);
  if (it == conns_.end()) return Unknown(conn);
  conns_.erase(it);
  std::erase_if(queue_, [conn](const OutgoingMessage& m) { return m.conn == conn; });
  std::vector<uint64_t> owned;
  for (const auto& [client, owner] : owner_) {
    if (owner == conn) owned.push_back(client);
  }
  for (uint64_t client : owned) owner_.erase(client);
  if (owned.empty()) return absl::OkStatus();
  std::sort(owned.begin(), owned.end());
  Scope scope(sender_, in_call_, std::nullopt);
  auto removed = awareness_.RemoveStates(owned, now_ms, std::nullopt);
  return removed.status();
}

absl::Status Room::SetReadOnly(uint64_t conn, bool read_only) {
  auto it = conns_.find(conn);
  if (it == conns_.end()) return Unknown(conn);
  it->second.read_only = read_only;
  return absl::OkStatus();
}

std::optional<bool> Room::IsReadOnly(uint64_t conn) const {
  auto it = conns_.find(conn);
  if (it == conns_.end()) return std::nullopt;
  return it->second.read_only;
}

absl::Status Room::Tick(int64_t now_ms) {
  if (in_call_ || awareness_.busy() || doc_.busy()) return Busy();
  Scope scope(sender_, in_call_, std::nullopt);
  return awareness_.Tick(now_ms).status();
}

absl::Status Room::Receive(uint64_t conn, const uint8_t* data, size_t len, int64_t now_ms) {
  if (in_call_ || awareness_.busy() || doc_.busy()) return Busy();
  auto it = conns_.find(conn);
  if (it == conns_.end()) return Unknown(conn);
  const Connection c = it->second;
  auto message = DecodeMessage(data, len);
  if (!message.ok()) return message.status();
  const std::string_view payload = message->payload;
  Scope scope(sender_, in_call_, conn);
  switch (message->kind) {
    case MessageKind::kSyncStep1: {
      auto sv = DecodeStateVectorPayload(payload);
      if (!sv.ok()) return sv.status();
      Queue(conn, Share(EncodeSyncStep2(doc_, &*sv)));
      return absl::OkStatus();
    }
    case MessageKind::kSyncStep2:
    case MessageKind::kSyncUpdate: {
      bool step2 = message->kind == MessageKind::kSyncStep2;
      if (c.read_only) return ReceiveReadOnlyUpdate(conn, step2, payload);
      return ReceiveUpdate(conn, payload);
    }
    case MessageKind::kAwareness:
      return awareness_
          .ApplyUpdate(reinterpret_cast<const uint8_t*>(payload.data()), payload.size(), now_ms,
                       absl::StrCat("conn:", conn))
          .status();
    case MessageKind::kQueryAwareness:
      Queue(conn, Share(EncodeAwarenessMessage(AsView(awareness_.EncodeAll()))));
      return absl::OkStatus();
    case MessageKind::kPermissionDenied:
      return absl::OkStatus();  // only servers send these; y-websocket's ignores them too
  }
  return absl::OkStatus();
}

absl::Status Room::ReceiveUpdate(uint64_t conn, std::string_view update) {
  // Without pending structs, everything this update integrates came from the
  // sender; with them, the change may carry other peers' structs it lacks.
  echo_to_sender_ = doc_.has_pending();
  absl::Status s = ApplyUpdate(doc_, reinterpret_cast<const uint8_t*>(update.data()), update.size(),
                               absl::StrCat("conn:", conn));
  echo_to_sender_ = false;
  return s;
}

absl::Status Room::ReceiveReadOnlyUpdate(uint64_t conn, bool step2, std::string_view update) {
  Interner interner;
  auto decoded = DecodeUpdate(reinterpret_cast<const uint8_t*>(update.data()), update.size(), interner);
  if (!decoded.ok()) return decoded.status();
  bool news = !step2;
  if (step2) {
    // A read-only client answers our SyncStep1 with its state; that is no write
    // unless it holds structs we lack.
    for (const auto& [client, refs] : decoded->clients) {
      uint64_t known = doc_.store().State(client);
      for (const StructRef& r : refs) {
        if (r.item->kind != ContentKind::kSkip && r.item->end_clock() > known) news = true;
      }
    }
  }
  if (news) Queue(conn, Share(EncodePermissionDenied(kReadOnlyReason)));
  return absl::OkStatus();
}

bool Room::NextMessage(OutgoingMessage* out) {
  if (queue_.empty()) return false;
  *out = std::move(queue_.front());
  queue_.pop_front();
  return true;
}

}  // namespace codesync::sync
