// Error types shared by every module (contract §9).
//
// Every exception the library throws on purpose derives from `Error`, so a
// caller can catch the whole family at once. All types are copyable and cheap;
// they carry no references into the library. The operations module adds two of
// its own, InvalidTransitionError and OperationPurgedError
// (operations/operation_errors.hpp).
#pragma once

#include <stdexcept>
#include <string>

namespace incursa::platform {

// Base of every library error.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Bad input. Names the offending field and the rule it broke; nothing was written.
// what() reads "<field>: <rule>".
class ValidationError : public Error {
 public:
  ValidationError(std::string field, std::string rule);

  const std::string& field() const noexcept { return field_; }
  const std::string& rule() const noexcept { return rule_; }

 private:
  std::string field_;
  std::string rule_;
};

// The thing asked for does not exist (for example an operation id never started).
class NotFoundError : public Error {
 public:
  explicit NotFoundError(const std::string& message) : Error(message) {}
};

// The request clashes with existing state (for example a caller-chosen id that is
// already used by an operation with another name).
class ConflictError : public Error {
 public:
  explicit ConflictError(const std::string& message) : Error(message) {}
};

// I/O or server trouble in a store. `retryable()` says whether repeating the same
// call may succeed (a busy database, a dropped connection) or not (a corrupt file,
// a schema from the future, a permission problem).
class StoreError : public Error {
 public:
  StoreError(const std::string& message, bool retryable) : Error(message), retryable_(retryable) {}

  bool retryable() const noexcept { return retryable_; }

 private:
  bool retryable_;
};

}  // namespace incursa::platform
