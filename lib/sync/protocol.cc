#include "sync/protocol.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "core/update.h"
#include "encoding/lib0.h"
#include "encoding/utf8.h"

namespace codesync::sync {
namespace {

absl::Status Malformed(std::string_view what) { return absl::DataLossError(absl::StrCat("message: ", std::string(what))); }

std::vector<uint8_t> Frame(uint64_t envelope, std::optional<uint64_t> subtype, std::string_view payload) {
  Encoder enc;
  enc.WriteVarUint(envelope);
  if (subtype) enc.WriteVarUint(*subtype);
  enc.WriteVarBytes(payload.data(), payload.size());
  return enc.Take();
}

}  // namespace

absl::StatusOr<Message> DecodeMessage(const uint8_t* data, size_t len) {
  if (len > 0 && data == nullptr) return absl::InvalidArgumentError("frame is NULL");
  Decoder dec(data, len);
  uint64_t envelope = dec.ReadVarUint();
  if (!dec.ok()) return Malformed(dec.error());
  Message m;
  switch (envelope) {
    case kEnvelopeSync: {
      uint64_t type = dec.ReadVarUint();
      if (!dec.ok()) return Malformed(dec.error());
      switch (type) {
        case kSyncStep1:
          m.kind = MessageKind::kSyncStep1;
          break;
        case kSyncStep2:
          m.kind = MessageKind::kSyncStep2;
          break;
        case kSyncUpdate:
          m.kind = MessageKind::kSyncUpdate;
          break;
        default:
          return Malformed(absl::StrCat("unknown sync message type ", type));
      }
      m.payload = dec.ReadVarBytes();
      break;
    }
    case kEnvelopeAwareness:
      m.kind = MessageKind::kAwareness;
      m.payload = dec.ReadVarBytes();
      break;
    case kEnvelopeAuth: {
      uint64_t type = dec.ReadVarUint();
      if (!dec.ok()) return Malformed(dec.error());
      if (type != kAuthPermissionDenied) return Malformed(absl::StrCat("unknown auth message type ", type));
      m.kind = MessageKind::kPermissionDenied;
      m.payload = dec.ReadVarString();
      if (dec.ok() && !utf8::IsValid(m.payload)) return Malformed("permission-denied reason is not UTF-8");
      break;
    }
    case kEnvelopeQueryAwareness:
      m.kind = MessageKind::kQueryAwareness;
      break;
    default:
      return Malformed(absl::StrCat("unknown message type ", envelope));
  }
  if (!dec.ok()) return Malformed(dec.error());
  if (!dec.AtEnd()) return Malformed(absl::StrCat(dec.remaining(), " trailing bytes after the message"));
  return m;
}

absl::StatusOr<StateVector> DecodeStateVectorPayload(std::string_view payload) {
  Decoder dec(payload);
  StateVector sv = DecodeStateVector(dec);
  if (!dec.ok()) return absl::DataLossError(absl::StrCat("state vector: ", dec.error()));
  if (!dec.AtEnd()) return absl::DataLossError(absl::StrCat("state vector: ", dec.remaining(), " trailing bytes"));
  return sv;
}

std::vector<uint8_t> EncodeSyncStep1(const Doc& doc) {
  Encoder sv;
  EncodeStateVector(doc.store().GetStateVector(), sv);
  return EncodeSyncStep1(AsView(sv.data()));
}

std::vector<uint8_t> EncodeSyncStep1(std::string_view encoded_state_vector) {
  return Frame(kEnvelopeSync, kSyncStep1, encoded_state_vector);
}

std::vector<uint8_t> EncodeSyncStep2(const Doc& doc, const StateVector* sv) {
  return EncodeSyncStep2(AsView(EncodeStateAsUpdate(doc, sv)));
}

std::vector<uint8_t> EncodeSyncStep2(std::string_view update) { return Frame(kEnvelopeSync, kSyncStep2, update); }

std::vector<uint8_t> EncodeSyncUpdate(std::string_view update) { return Frame(kEnvelopeSync, kSyncUpdate, update); }

std::vector<uint8_t> EncodeAwarenessMessage(std::string_view awareness_update) {
  return Frame(kEnvelopeAwareness, std::nullopt, awareness_update);
}

std::vector<uint8_t> EncodePermissionDenied(std::string_view reason) {
  return Frame(kEnvelopeAuth, kAuthPermissionDenied, reason);
}

std::vector<uint8_t> EncodeQueryAwareness() {
  Encoder enc;
  enc.WriteVarUint(kEnvelopeQueryAwareness);
  return enc.Take();
}

absl::StatusOr<HandleResult> HandleMessage(Doc& doc, Awareness* awareness, const uint8_t* data, size_t len,
                                           int64_t now_ms, std::optional<std::string> origin) {
  auto message = DecodeMessage(data, len);
  if (!message.ok()) return message.status();
  HandleResult result;
  result.kind = message->kind;
  const std::string_view payload = message->payload;
  switch (message->kind) {
    case MessageKind::kSyncStep1: {
      auto sv = DecodeStateVectorPayload(payload);
      if (!sv.ok()) return sv.status();
      result.reply = EncodeSyncStep2(doc, &*sv);
      break;
    }
    case MessageKind::kSyncStep2:
    case MessageKind::kSyncUpdate: {
      if (doc.busy()) return absl::UnavailableError("the document is busy: called from inside an observer");
      absl::Status s = ApplyUpdate(doc, reinterpret_cast<const uint8_t*>(payload.data()), payload.size(),
                                   std::move(origin));
      if (!s.ok()) return s;
      break;
    }
    case MessageKind::kAwareness:
      if (awareness) {
        auto change = awareness->ApplyUpdate(reinterpret_cast<const uint8_t*>(payload.data()), payload.size(),
                                             now_ms, std::move(origin));
        if (!change.ok()) return change.status();
      } else {
        // Still refuse garbage, so the answer does not depend on whether the caller tracks presence.
        auto records = DecodeAwarenessUpdate(reinterpret_cast<const uint8_t*>(payload.data()), payload.size());
        if (!records.ok()) return records.status();
      }
      break;
    case MessageKind::kPermissionDenied:
      result.reason = std::string(payload);
      break;
    case MessageKind::kQueryAwareness:
      if (awareness) result.reply = EncodeAwarenessMessage(AsView(awareness->EncodeAll()));
      break;
  }
  return result;
}

}  // namespace codesync::sync
