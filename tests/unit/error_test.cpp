// The error hierarchy (contract §9).
#include "incursa/platform/error.hpp"
#include "incursa/platform/operations/operation_errors.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <type_traits>

namespace incursa::platform {
namespace {

static_assert(std::is_base_of_v<std::runtime_error, Error>);
static_assert(std::is_base_of_v<Error, ValidationError>);
static_assert(std::is_base_of_v<Error, NotFoundError>);
static_assert(std::is_base_of_v<Error, InvalidTransitionError>);
static_assert(std::is_base_of_v<Error, ConflictError>);
static_assert(std::is_base_of_v<Error, StoreError>);
static_assert(std::is_copy_constructible_v<ValidationError>);
static_assert(std::is_copy_constructible_v<InvalidTransitionError>);
static_assert(std::is_copy_constructible_v<StoreError>);

// Throws `e` and checks that it is caught as Error and as std::runtime_error.
template <class E>
void expect_caught_as_base(const E& e) {
  bool as_error = false;
  try {
    throw e;
  } catch (const Error& caught) {
    as_error = true;
    EXPECT_STREQ(caught.what(), e.what());
  }
  EXPECT_TRUE(as_error);
  bool as_runtime = false;
  try {
    throw e;
  } catch (const std::runtime_error& caught) {
    as_runtime = true;
    EXPECT_STREQ(caught.what(), e.what());
  }
  EXPECT_TRUE(as_runtime);
}

TEST(Errors, EveryErrorIsCaughtAsErrorAndRuntimeError) {
  expect_caught_as_base(ValidationError("name", "is required"));
  expect_caught_as_base(NotFoundError("operation x not found"));
  expect_caught_as_base(InvalidTransitionError(OperationStatus::Failed, "complete"));
  expect_caught_as_base(ConflictError("id taken"));
  expect_caught_as_base(StoreError("disk full", false));
  expect_caught_as_base(Error("plain"));
}

TEST(Errors, ValidationErrorWhatIsFieldColonRule) {
  const ValidationError e("tags[key]", "tag value must be at most 256 characters");
  EXPECT_STREQ(e.what(), "tags[key]: tag value must be at most 256 characters");
  EXPECT_EQ(e.field(), "tags[key]");
  EXPECT_EQ(e.rule(), "tag value must be at most 256 characters");
}

TEST(Errors, ValidationErrorCopyKeepsFields) {
  const ValidationError original("percent", "must be a finite number from 0 to 100");
  const ValidationError copy = original;  // NOLINT(performance-unnecessary-copy-initialization)
  EXPECT_EQ(copy.field(), "percent");
  EXPECT_EQ(copy.rule(), original.rule());
  EXPECT_STREQ(copy.what(), original.what());
}

TEST(Errors, InvalidTransitionErrorCarriesStatus) {
  for (OperationStatus status :
       {OperationStatus::Pending, OperationStatus::Running, OperationStatus::Succeeded,
        OperationStatus::Failed, OperationStatus::Canceled, OperationStatus::Stalled}) {
    const InvalidTransitionError e(status, "update progress of");
    EXPECT_EQ(e.current_status(), status);
    const std::string what = e.what();
    EXPECT_NE(what.find(std::string(to_string(status))), std::string::npos) << what;
    EXPECT_NE(what.find("update progress of"), std::string::npos) << what;
  }
}

TEST(Errors, InvalidTransitionErrorMessage) {
  const InvalidTransitionError e(OperationStatus::Succeeded, "complete");
  EXPECT_STREQ(e.what(), "cannot complete an operation that is Succeeded");
}

TEST(Errors, StoreErrorRetryable) {
  const StoreError busy("database is locked", true);
  const StoreError corrupt("database disk image is malformed", false);
  EXPECT_TRUE(busy.retryable());
  EXPECT_FALSE(corrupt.retryable());
  EXPECT_STREQ(busy.what(), "database is locked");
  try {
    throw busy;
  } catch (const Error&) {
    // Catching through the base must not slice away what retryable() reads.
    try {
      throw;
    } catch (const StoreError& again) {
      EXPECT_TRUE(again.retryable());
    }
  }
}

TEST(Errors, MessagesArePreserved) {
  EXPECT_STREQ(NotFoundError("operation op-1 not found").what(), "operation op-1 not found");
  EXPECT_STREQ(ConflictError("exists with name X").what(), "exists with name X");
}

TEST(Errors, SubtypesAreDistinguishable) {
  try {
    throw NotFoundError("gone");
  } catch (const ValidationError&) {
    ADD_FAILURE() << "NotFoundError caught as ValidationError";
  } catch (const ConflictError&) {
    ADD_FAILURE() << "NotFoundError caught as ConflictError";
  } catch (const NotFoundError& e) {
    EXPECT_STREQ(e.what(), "gone");
  }
  static_assert(!std::is_base_of_v<ValidationError, ConflictError>);
  static_assert(!std::is_base_of_v<StoreError, NotFoundError>);
}

}  // namespace
}  // namespace incursa::platform
