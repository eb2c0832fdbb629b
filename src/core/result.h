#pragma once
// Result<T>: a value or an error, for failures that are expected (bad input, I/O). Broken
// invariants still crash; untrusted data never throws on the data path.
//
// An Error carries a category beside its message so that a caller far away (the API server)
// can tell a user's mistake (400, 404, 409) from a server that is down (503) or a bug (500)
// without parsing text. Errors made without a category are internal: a failure is never passed
// off as the user's fault by accident.

#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace mitsu {

enum class ErrorKind {
  kInternal,      // a bug or an unexpected failure of our own
  kInvalidInput,  // the request, file or configuration is wrong; retrying will not help
  kNotFound,      // what was asked for does not exist
  kConflict,      // it exists already, or is held by someone else
  kUnavailable,   // a store, server, file or device cannot be reached now; retrying may help
};

// "internal", "invalid input", "not found", "conflict", "unavailable".
std::string_view to_string(ErrorKind kind);

struct Error {
  std::string message;
  ErrorKind kind = ErrorKind::kInternal;

  static Error invalid(std::string message) {
    return {std::move(message), ErrorKind::kInvalidInput};
  }
  static Error not_found(std::string message) { return {std::move(message), ErrorKind::kNotFound}; }
  static Error conflict(std::string message) { return {std::move(message), ErrorKind::kConflict}; }
  static Error unavailable(std::string message) {
    return {std::move(message), ErrorKind::kUnavailable};
  }

  // The same category with context in front: "store: " + "disk full".
  Error context(std::string_view prefix) const { return {std::string(prefix) + message, kind}; }
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::move(value)) {}      // NOLINT(google-explicit-constructor)
  Result(Error error) : state_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return std::holds_alternative<T>(state_); }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<T>(state_); }
  const T& value() const& { return std::get<T>(state_); }
  T&& value() && { return std::get<T>(std::move(state_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  // By value, so `for (auto& x : *f())` does not dangle.
  T operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const std::string& error() const { return failure().message; }
  ErrorKind error_kind() const { return failure().kind; }
  // The whole error, to pass on with its category: `return r.failure();`.
  const Error& failure() const { return std::get<Error>(state_); }

 private:
  std::variant<T, Error> state_;
};

// Status: success or an error.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Error error) : error_(std::move(error)), failed_(true) {}  // NOLINT

  static Status success() { return {}; }
  bool ok() const { return !failed_; }
  explicit operator bool() const { return ok(); }
  const std::string& error() const { return error_.message; }
  ErrorKind error_kind() const { return error_.kind; }
  const Error& failure() const { return error_; }

 private:
  Error error_;
  bool failed_ = false;
};

inline std::string_view to_string(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kInvalidInput:
      return "invalid input";
    case ErrorKind::kNotFound:
      return "not found";
    case ErrorKind::kConflict:
      return "conflict";
    case ErrorKind::kUnavailable:
      return "unavailable";
    case ErrorKind::kInternal:
      break;
  }
  return "internal";
}

}  // namespace mitsu
