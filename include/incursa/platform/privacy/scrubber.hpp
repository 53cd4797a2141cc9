// Scrubbing: rewrite personal data out of messages and data JSON before they
// are stored (contract §7). Plug one into TrackerOptions::scrubber and
// AuditLogOptions::scrubber; it runs after validation, on every message, event
// message, cancel reason and data JSON.
//
// Thread safety: scrubbers are called from many threads at once and must be
// stateless or synchronised. PiiScrubber is stateless.
#pragma once

#include <string>
#include <string_view>

namespace incursa::platform {

class Scrubber {
 public:
  virtual ~Scrubber() = default;
  // Free text: messages, reasons.
  virtual std::string scrub_text(std::string_view text) const = 0;
  // A valid JSON document; must return valid JSON. The default applies
  // scrub_text to every string value and object key.
  virtual std::string scrub_json(std::string_view json) const;
};

// Masks e-mail addresses as "[email]" and card-number-like runs of 13 to 19
// digits (spaces or dashes between them allowed) as "[card]".
class PiiScrubber final : public Scrubber {
 public:
  std::string scrub_text(std::string_view text) const override;
};

}  // namespace incursa::platform
