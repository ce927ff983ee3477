#include "common/result.hpp"

#include <stdexcept>

namespace es {

void throw_exception_from_error(const Error& error, const boost::source_location& location) {
  throw std::logic_error("unchecked Result holds an error: " + error.message + " (at " +
                         location.file_name() + ":" + std::to_string(location.line()) + ")");
}

}  // namespace es
