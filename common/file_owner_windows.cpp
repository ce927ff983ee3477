#include "common/file_owner.hpp"

namespace es {

// Windows files inherit their folder's ACL: nothing to hand over.
std::optional<std::string> give_created_files_to_db_owner(const std::filesystem::path&) {
  return std::nullopt;
}
void hand_over(const std::filesystem::path&) {}
void copy_ownership(const std::filesystem::path&, const std::filesystem::path&) {}

}  // namespace es
