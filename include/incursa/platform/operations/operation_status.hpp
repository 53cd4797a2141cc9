// The six statuses of an operation and a small set type over them (contract §2, §3).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string_view>

namespace incursa::platform {

enum class OperationStatus : std::uint8_t {
  Pending = 0,
  Running = 1,
  Succeeded = 2,
  Failed = 3,
  Canceled = 4,
  Stalled = 5,
};

inline constexpr int kOperationStatusCount = 6;

// Exactly "Pending", "Running", "Succeeded", "Failed", "Canceled", "Stalled".
std::string_view to_string(OperationStatus status) noexcept;

// Parses one of the six words exactly (case-sensitive, surrounding blanks trimmed).
// Throws ValidationError(field) for anything else.
OperationStatus parse_operation_status(std::string_view text, std::string_view field = "status");

// Succeeded, Failed and Canceled are terminal: nothing but late events may follow.
constexpr bool is_terminal(OperationStatus status) noexcept {
  return status == OperationStatus::Succeeded || status == OperationStatus::Failed ||
         status == OperationStatus::Canceled;
}

// A set of statuses, as a bitmask. Used for transition preconditions and filters.
class StatusSet {
 public:
  constexpr StatusSet() noexcept = default;
  constexpr StatusSet(std::initializer_list<OperationStatus> statuses) noexcept {
    for (auto s : statuses) bits_ |= bit(s);
  }

  static constexpr StatusSet all() noexcept { return from_bits(0x3F); }
  static constexpr StatusSet non_terminal() noexcept {
    return {OperationStatus::Pending, OperationStatus::Running, OperationStatus::Stalled};
  }
  static constexpr StatusSet terminal() noexcept {
    return {OperationStatus::Succeeded, OperationStatus::Failed, OperationStatus::Canceled};
  }
  static constexpr StatusSet from_bits(std::uint8_t bits) noexcept {
    StatusSet s;
    s.bits_ = static_cast<std::uint8_t>(bits & 0x3F);
    return s;
  }

  constexpr bool contains(OperationStatus s) const noexcept { return (bits_ & bit(s)) != 0; }
  constexpr bool empty() const noexcept { return bits_ == 0; }
  constexpr std::uint8_t bits() const noexcept { return bits_; }
  constexpr StatusSet with(OperationStatus s) const noexcept { return from_bits(bits_ | bit(s)); }
  constexpr bool operator==(const StatusSet&) const noexcept = default;

 private:
  static constexpr std::uint8_t bit(OperationStatus s) noexcept {
    return static_cast<std::uint8_t>(1U << static_cast<unsigned>(s));
  }
  std::uint8_t bits_ = 0;
};

}  // namespace incursa::platform
