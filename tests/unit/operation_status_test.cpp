// OperationStatus words, terminality and StatusSet (contract §2).
#include "incursa/platform/operations/operation_status.hpp"

#include <gtest/gtest.h>

#include <array>
#include <string>
#include <utility>

#include "incursa/platform/error.hpp"

namespace incursa::platform {
namespace {

constexpr std::array<std::pair<OperationStatus, const char*>, 6> kWords{{
    {OperationStatus::Pending, "Pending"},
    {OperationStatus::Running, "Running"},
    {OperationStatus::Succeeded, "Succeeded"},
    {OperationStatus::Failed, "Failed"},
    {OperationStatus::Canceled, "Canceled"},
    {OperationStatus::Stalled, "Stalled"},
}};

void expect_rejected(const std::string& text, const std::string& field = "status") {
  try {
    (void)parse_operation_status(text, field);
    ADD_FAILURE() << "accepted '" << text << "'";
  } catch (const ValidationError& e) {
    EXPECT_EQ(e.field(), field);
    EXPECT_FALSE(e.rule().empty());
  }
}

TEST(OperationStatus, ToStringUsesExactWords) {
  for (const auto& [status, word] : kWords) {
    EXPECT_EQ(to_string(status), word);
  }
  EXPECT_EQ(kOperationStatusCount, 6);
}

TEST(OperationStatus, ParseExactWordsRoundTrip) {
  for (const auto& [status, word] : kWords) {
    EXPECT_EQ(parse_operation_status(word), status) << word;
    EXPECT_EQ(parse_operation_status(to_string(status)), status);
  }
}

TEST(OperationStatus, ParseTrimsBlanks) {
  EXPECT_EQ(parse_operation_status("  Running "), OperationStatus::Running);
  EXPECT_EQ(parse_operation_status("\tFailed\r\n"), OperationStatus::Failed);
}

TEST(OperationStatus, ParseIsCaseSensitive) {
  for (const char* bad :
       {"running", "RUNNING", "pending", "succeeded", "FAILED", "canceled", "stalled", "rUNNING"}) {
    expect_rejected(bad);
  }
}

TEST(OperationStatus, ParseRejectsOtherSpellingsAndGarbage) {
  for (const char* bad : {"", " ", "Cancelled", "Success", "Succeed", "Run", "Runnin", "Runningg",
                          "Running.", "0", "1", "Pending,Running", "Running Running", "Unknown"}) {
    expect_rejected(bad);
  }
  expect_rejected(std::string("Running\0", 8));
  expect_rejected(std::string("\0Running", 8));
  expect_rejected("R\xc3\xbcnning");
}

TEST(OperationStatus, ParseErrorNamesGivenField) {
  expect_rejected("nope", "query.status");
  expect_rejected("nope", "status");
}

TEST(OperationStatus, IsTerminal) {
  EXPECT_FALSE(is_terminal(OperationStatus::Pending));
  EXPECT_FALSE(is_terminal(OperationStatus::Running));
  EXPECT_TRUE(is_terminal(OperationStatus::Succeeded));
  EXPECT_TRUE(is_terminal(OperationStatus::Failed));
  EXPECT_TRUE(is_terminal(OperationStatus::Canceled));
  EXPECT_FALSE(is_terminal(OperationStatus::Stalled));
  static_assert(is_terminal(OperationStatus::Canceled));
}

TEST(StatusSet, DefaultIsEmpty) {
  const StatusSet s;
  EXPECT_TRUE(s.empty());
  EXPECT_EQ(s.bits(), 0);
  for (const auto& [status, word] : kWords) EXPECT_FALSE(s.contains(status)) << word;
}

TEST(StatusSet, AllContainsEverything) {
  const StatusSet all = StatusSet::all();
  EXPECT_FALSE(all.empty());
  EXPECT_EQ(all.bits(), 0x3F);
  for (const auto& [status, word] : kWords) EXPECT_TRUE(all.contains(status)) << word;
}

TEST(StatusSet, TerminalAndNonTerminalPartitionAll) {
  const StatusSet terminal = StatusSet::terminal();
  const StatusSet non_terminal = StatusSet::non_terminal();
  for (const auto& [status, word] : kWords) {
    EXPECT_EQ(terminal.contains(status), is_terminal(status)) << word;
    EXPECT_EQ(non_terminal.contains(status), !is_terminal(status)) << word;
  }
  EXPECT_EQ(terminal.bits() & non_terminal.bits(), 0);
  EXPECT_EQ(terminal.bits() | non_terminal.bits(), StatusSet::all().bits());
}

TEST(StatusSet, InitializerListAndWith) {
  const StatusSet s{OperationStatus::Running, OperationStatus::Failed};
  EXPECT_TRUE(s.contains(OperationStatus::Running));
  EXPECT_TRUE(s.contains(OperationStatus::Failed));
  EXPECT_FALSE(s.contains(OperationStatus::Pending));
  const StatusSet t = s.with(OperationStatus::Stalled);
  EXPECT_TRUE(t.contains(OperationStatus::Stalled));
  EXPECT_FALSE(s.contains(OperationStatus::Stalled));  // `with` returns a copy
  EXPECT_EQ(t.with(OperationStatus::Stalled), t);      // idempotent
  EXPECT_EQ(StatusSet{}.with(OperationStatus::Pending), StatusSet{OperationStatus::Pending});
}

TEST(StatusSet, BitsFollowEnumValues) {
  for (const auto& [status, word] : kWords) {
    const StatusSet s{status};
    EXPECT_EQ(s.bits(), 1u << static_cast<unsigned>(status)) << word;
  }
}

TEST(StatusSet, FromBitsMasksToSixBits) {
  EXPECT_EQ(StatusSet::from_bits(0xFF), StatusSet::all());
  EXPECT_EQ(StatusSet::from_bits(0xFF).bits(), 0x3F);
  EXPECT_EQ(StatusSet::from_bits(0xC0).bits(), 0);
  EXPECT_TRUE(StatusSet::from_bits(0xC0).empty());
  EXPECT_EQ(StatusSet::from_bits(0x41), StatusSet{OperationStatus::Pending});
  EXPECT_EQ(StatusSet::from_bits(0x1C), StatusSet::terminal());
}

TEST(StatusSet, Equality) {
  EXPECT_EQ((StatusSet{OperationStatus::Pending, OperationStatus::Running}),
            (StatusSet{OperationStatus::Running, OperationStatus::Pending}));
  EXPECT_NE(StatusSet{OperationStatus::Pending}, StatusSet{OperationStatus::Running});
  EXPECT_NE(StatusSet{}, StatusSet::all());
  EXPECT_EQ(
      StatusSet::non_terminal(),
      (StatusSet{OperationStatus::Pending, OperationStatus::Running, OperationStatus::Stalled}));
  static_assert(StatusSet::all() == StatusSet::from_bits(0x3F));
}

}  // namespace
}  // namespace incursa::platform
