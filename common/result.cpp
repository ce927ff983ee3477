#include "common/result.hpp"

#include <ostream>
#include <stdexcept>

namespace es {

void throw_exception_from_error(const Error& error, const boost::source_location& location) {
  throw std::logic_error("unchecked Result holds an error: " + error.message + " (at " +
                         location.file_name() + ":" + std::to_string(location.line()) + ")");
}

std::ostream& operator<<(std::ostream& out, const Error& error) {
  return out << "error " << to_int(error.exit_code) << ": " << error.message;
}

}  // namespace es
