#include "common/db_real_path.hpp"

#include "common/real_path.hpp"

namespace es {

void resolve_db_path(DatabaseConfig& database) {
  const auto real = real_path(database.path);
  if (real == database.path) return;
  if (database.backup_dir == database.path.parent_path()) database.backup_dir = real.parent_path();
  database.path = real;
}

}  // namespace es
