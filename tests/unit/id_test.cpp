// OperationId / CorrelationId / AuditEventId: parsing, generation, hashing (contract §2).
#include "incursa/platform/id.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <unordered_set>
#include <vector>

#include "incursa/platform/error.hpp"
#include "incursa/platform/operations/operation_store.hpp"
#include "incursa/platform/operations/store_support.hpp"

namespace incursa::platform {
namespace {

using std::chrono::milliseconds;

// Asserts that parsing `text` as Id throws a ValidationError naming `field`.
template <class Id>
void expect_rejected(const std::string& text, const std::string& field) {
  try {
    (void)Id::parse(text);
    ADD_FAILURE() << "accepted invalid id of " << text.size() << " bytes";
  } catch (const ValidationError& e) {
    EXPECT_EQ(e.field(), field);
    EXPECT_FALSE(e.rule().empty());
  }
}

bool is_lower_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

Timestamp at_ms(long long ms) { return Timestamp(milliseconds(ms)); }

TEST(IdParse, AcceptsEveryAllowedCharacter) {
  const std::string all = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-";
  // 66 characters: split into two valid ids.
  const auto first = OperationId::parse(all.substr(0, 64));
  const auto second = OperationId::parse(all.substr(64));
  EXPECT_EQ(first.value(), all.substr(0, 64));
  EXPECT_EQ(second.value(), ":-");
  EXPECT_EQ(OperationId::parse("a").value(), "a");
  EXPECT_EQ(OperationId::parse("-").value(), "-");
}

TEST(IdParse, TrimsSurroundingBlanks) {
  EXPECT_EQ(OperationId::parse("  op-1  ").value(), "op-1");
  EXPECT_EQ(OperationId::parse("\t\r\n op-2 \n").value(), "op-2");
  EXPECT_EQ(CorrelationId::parse("\vcorr\f").value(), "corr");
  EXPECT_EQ(AuditEventId::parse(" a.b ").value(), "a.b");
}

TEST(IdParse, StrAndValueAgree) {
  const auto id = OperationId::parse("x:y");
  EXPECT_EQ(id.str(), id.value());
  EXPECT_FALSE(id.empty());
}

TEST(IdParse, DefaultConstructedIsEmpty) {
  const OperationId id;
  EXPECT_TRUE(id.empty());
  EXPECT_EQ(id.value(), "");
  EXPECT_NE(id, OperationId::parse("a"));
}

TEST(IdParse, RejectsEmptyAndBlank) {
  expect_rejected<OperationId>("", "operation_id");
  expect_rejected<OperationId>(" ", "operation_id");
  expect_rejected<OperationId>(" \t\r\n\f\v ", "operation_id");
}

TEST(IdParse, LengthBoundary) {
  const std::string max(64, 'a');
  EXPECT_EQ(OperationId::parse(max).value(), max);
  // Blanks around a 64-character id do not count.
  EXPECT_EQ(OperationId::parse("  " + max + "  ").value(), max);
  expect_rejected<OperationId>(std::string(65, 'a'), "operation_id");
  expect_rejected<OperationId>(std::string(1000, 'a'), "operation_id");
  expect_rejected<OperationId>(std::string(100000, 'z'), "operation_id");
}

TEST(IdParse, RejectsEveryDisallowedAsciiCharacter) {
  int rejected = 0;
  for (int c = 0; c < 128; ++c) {
    const char ch = static_cast<char>(c);
    const bool allowed = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
                         (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == ':' ||
                         ch == '-';
    // In the middle, so trimming never removes it.
    const std::string text = std::string("a") + ch + "b";
    if (allowed) {
      EXPECT_EQ(OperationId::parse(text).value(), text) << "char " << c;
    } else {
      expect_rejected<OperationId>(text, "operation_id");
      ++rejected;
    }
  }
  EXPECT_EQ(rejected, 128 - 66);
}

TEST(IdParse, RejectsSpecificHostileCharacters) {
  for (const char* bad : {"a b", "a/b", "../etc", "a%20b", "a\\b", "a;b", "a'b", "a\"b", "a*b",
                          "a?b", "a#b", "a,b", "a+b", "a=b", "a@b", "a<b>", "a|b", "a~b"}) {
    expect_rejected<OperationId>(bad, "operation_id");
  }
}

TEST(IdParse, RejectsEmbeddedNulAndControlCharacters) {
  expect_rejected<OperationId>(std::string("ab\0cd", 5), "operation_id");
  expect_rejected<OperationId>(std::string("\0abc", 4), "operation_id");
  expect_rejected<OperationId>(std::string("abc\0", 4), "operation_id");
  expect_rejected<OperationId>("a\x01", "operation_id");
  expect_rejected<OperationId>("\x1b[31mred", "operation_id");
  expect_rejected<OperationId>("a\x7f", "operation_id");
}

TEST(IdParse, RejectsNonAscii) {
  expect_rejected<OperationId>("caf\xc3\xa9", "operation_id");  // é
  expect_rejected<OperationId>(
      "\xe2\x80\x8b"
      "abc",
      "operation_id");                                               // zero-width space
  expect_rejected<OperationId>("abc\xc2\xa0", "operation_id");       // trailing NBSP
  expect_rejected<OperationId>("\xf0\x9f\x98\x80", "operation_id");  // emoji
  expect_rejected<OperationId>("ab\xff", "operation_id");            // invalid UTF-8
  expect_rejected<OperationId>("\xef\xbc\xa1", "operation_id");      // fullwidth A
}

TEST(IdParse, ErrorFieldNamesEachIdKind) {
  expect_rejected<OperationId>("bad id", "operation_id");
  expect_rejected<CorrelationId>("bad id", "correlation_id");
  expect_rejected<AuditEventId>("bad id", "audit_event_id");
  expect_rejected<CorrelationId>("", "correlation_id");
  expect_rejected<AuditEventId>(std::string(65, 'x'), "audit_event_id");
}

TEST(IdParse, ComparisonIsByValue) {
  EXPECT_EQ(OperationId::parse(" a "), OperationId::parse("a"));
  EXPECT_LT(OperationId::parse("a"), OperationId::parse("b"));
  EXPECT_NE(OperationId::parse("A"), OperationId::parse("a"));  // case-sensitive
}

TEST(IdGenerate, Is32LowercaseHex) {
  for (int i = 0; i < 200; ++i) {
    const std::string id = OperationId::generate().value();
    ASSERT_EQ(id.size(), 32u) << id;
    EXPECT_TRUE(std::all_of(id.begin(), id.end(), is_lower_hex)) << id;
  }
}

TEST(IdGenerate, HasUuidV7VersionAndVariant) {
  for (int i = 0; i < 500; ++i) {
    const std::string id = CorrelationId::generate().value();
    ASSERT_EQ(id.size(), 32u);
    EXPECT_EQ(id[12], '7') << id;
    EXPECT_TRUE(id[16] == '8' || id[16] == '9' || id[16] == 'a' || id[16] == 'b') << id;
  }
}

TEST(IdGenerate, EmbedsUnixMillisecondsInFirst48Bits) {
  const long long ms = 1767225600123LL;  // 2026-01-01T00:00:00.123Z
  const std::string id = OperationId::generate(at_ms(ms)).value();
  EXPECT_EQ(std::stoll(id.substr(0, 12), nullptr, 16), ms);
  // Sub-millisecond parts of the time do not matter.
  const std::string id2 = OperationId::generate(at_ms(ms) + std::chrono::microseconds(999)).value();
  EXPECT_EQ(id2.substr(0, 12), id.substr(0, 12));
}

TEST(IdGenerate, IncreasingTimestampsSortIncreasing) {
  std::vector<std::string> ids;
  const long long base = 1767225600000LL;
  for (long long step : {0LL, 1LL, 2LL, 10LL, 999LL, 1000LL, 60000LL, 86400000LL, 31536000000LL}) {
    ids.push_back(OperationId::generate(at_ms(base + step)).value());
  }
  for (std::size_t i = 1; i < ids.size(); ++i) {
    EXPECT_LT(ids[i - 1], ids[i]) << "index " << i;
  }
}

TEST(IdGenerate, ManyInSameMillisecondStrictlyIncrease) {
  // The per-millisecond sequence starts at most at 0x3FF, leaving room for 3072 more.
  const Timestamp t = at_ms(1767225600777LL);
  std::string previous = OperationId::generate(t).value();
  for (int i = 0; i < 3000; ++i) {
    const std::string next = OperationId::generate(t).value();
    ASSERT_LT(previous, next) << "after " << i << " ids";
    previous = next;
  }
}

TEST(IdGenerate, SameMillisecondSequenceOverflowStillIncreases) {
  const Timestamp t = at_ms(1767225600888LL);
  std::string previous = OperationId::generate(t).value();
  for (int i = 0; i < 5000; ++i) {
    const std::string next = OperationId::generate(t).value();
    ASSERT_LT(previous, next) << "after " << i << " ids";
    previous = next;
  }
}

TEST(IdGenerate, TenThousandAreUnique) {
  std::unordered_set<std::string> seen;
  for (int i = 0; i < 10000; ++i) {
    EXPECT_TRUE(seen.insert(OperationId::generate().value()).second);
  }
  EXPECT_EQ(seen.size(), 10000u);
}

TEST(IdGenerate, GeneratedIdsParseBack) {
  for (int i = 0; i < 100; ++i) {
    const auto op = OperationId::generate();
    EXPECT_EQ(OperationId::parse(op.value()), op);
    const auto corr = CorrelationId::generate();
    EXPECT_EQ(CorrelationId::parse(corr.value()), corr);
    const auto audit = AuditEventId::generate();
    EXPECT_EQ(AuditEventId::parse(audit.value()), audit);
  }
}

TEST(IdHash, WorksInUnorderedSet) {
  std::unordered_set<OperationId> set;
  set.insert(OperationId::parse("a"));
  set.insert(OperationId::parse(" a "));
  set.insert(OperationId::parse("b"));
  EXPECT_EQ(set.size(), 2u);
  EXPECT_TRUE(set.contains(OperationId::parse("b")));
  EXPECT_FALSE(set.contains(OperationId::parse("c")));
  EXPECT_EQ(std::hash<OperationId>{}(OperationId::parse("x")),
            std::hash<std::string>{}(std::string("x")));

  std::unordered_set<CorrelationId> corr;
  for (int i = 0; i < 100; ++i) corr.insert(CorrelationId::generate());
  EXPECT_EQ(corr.size(), 100u);
}

// A forked child inherits its parent's generator state; it must not go on to
// draw the same ids and event keys as the parent.
TEST(IdGeneration, AForkedChildDoesNotRepeatItsParentsIdsOrKeys) {
  const auto at = std::chrono::system_clock::now();
  (void)OperationId::generate(at);  // the parent's generator is seeded before the fork
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    const std::string line = OperationId::generate(at).str() + " " + new_event_key() + "\n";
    const auto written = ::write(fds[1], line.data(), line.size());
    ::_exit(written == static_cast<ssize_t>(line.size()) ? 0 : 1);
  }
  ::close(fds[1]);
  const std::string mine = OperationId::generate(at).str() + " " + new_event_key() + "\n";
  std::string theirs;
  char buffer[128];
  for (ssize_t n; (n = ::read(fds[0], buffer, sizeof buffer)) > 0;) theirs.append(buffer, n);
  ::close(fds[0]);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  ASSERT_EQ(theirs.size(), mine.size());
  EXPECT_NE(theirs.substr(16, 16), mine.substr(16, 16)) << "the ids' random halves repeat";
  EXPECT_NE(theirs.substr(33), mine.substr(33)) << "the event keys repeat";
}

}  // namespace
}  // namespace incursa::platform
