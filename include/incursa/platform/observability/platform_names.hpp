// Well-known audit event names and tag keys (contract §6), shared with the .NET packages.
#pragma once

#include <string_view>

namespace incursa::platform {

struct PlatformEventNames {
  static constexpr std::string_view kOperationStarted = "operation.started";
  static constexpr std::string_view kOperationCompleted = "operation.completed";
  static constexpr std::string_view kOperationFailed = "operation.failed";
  static constexpr std::string_view kOperationStalled = "operation.stalled";
  static constexpr std::string_view kOperationCancelRequested = "operation.cancel_requested";
  static constexpr std::string_view kOutboxMessageProcessed = "outbox.message.processed";
  static constexpr std::string_view kWebhookReceived = "webhook.received";
  static constexpr std::string_view kEmailSent = "email.sent";
  static constexpr std::string_view kEmailQueued = "email.queued";
  static constexpr std::string_view kEmailAttempted = "email.attempted";
  static constexpr std::string_view kEmailFailed = "email.failed";
  static constexpr std::string_view kEmailSuppressed = "email.suppressed";
  static constexpr std::string_view kEmailBounced = "email.bounced";
  static constexpr std::string_view kInboxMessageRevived = "inbox.message.revived";
};

struct PlatformTagKeys {
  static constexpr std::string_view kTenant = "tenant";
  static constexpr std::string_view kPartition = "partition";
  static constexpr std::string_view kProvider = "provider";
  static constexpr std::string_view kMessageKey = "messageKey";
  static constexpr std::string_view kOperationId = "operationId";
  static constexpr std::string_view kOutboxMessageId = "outboxMessageId";
  static constexpr std::string_view kInboxMessageId = "inboxMessageId";
  static constexpr std::string_view kWebhookEventId = "webhookEventId";
};

// The anchor type and role the emitter uses for operations.
inline constexpr std::string_view kOperationAnchorType = "Operation";
inline constexpr std::string_view kSubjectAnchorRole = "Subject";

}  // namespace incursa::platform
