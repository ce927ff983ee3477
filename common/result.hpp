#pragma once
// Expected failures are values: a corrupt DB, a failed backup, a held lock.
// Error carries the exit code the failure maps to and a message that already
// holds its context (operation, path, cause), added once where the OS or
// SQLite was called.

#include <boost/system/result.hpp>
#include <iosfwd>
#include <string>

#include "common/exit_code.hpp"

namespace es {

struct Error {
  ExitCode exit_code;
  std::string message;
};

// Found by ADL when .value() is called on a failed Result; a bug, never flow.
[[noreturn]] void throw_exception_from_error(const Error& error,
                                             const boost::source_location& location);

// For test output and diagnostics: "error 74: <message>".
std::ostream& operator<<(std::ostream& out, const Error& error);

template <class T>
using Result = boost::system::result<T, Error>;

}  // namespace es
