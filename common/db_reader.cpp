#include "common/db_reader.hpp"

#include <array>
#include <fstream>
#include <random>
#include <string>

#include "common/os_info.hpp"
#include "common/utf8_path.hpp"

namespace es {
namespace fs = std::filesystem;

std::string_view to_string(ReadMethod method) {
  switch (method) {
    case ReadMethod::kPlain:
      return "plain";
    case ReadMethod::kLiveIndex:
      return "live_index";
    case ReadMethod::kMainFileOnly:
      return "main_file_only";
    case ReadMethod::kPrivateCopy:
      return "private_copy";
  }
  return "plain";
}

namespace {

// A -wal no longer than its 32-byte header holds no frame.
constexpr std::uintmax_t kWalHeaderSize = 32;

DbFilesState::File file_state(const fs::path& path) {
  DbFilesState::File file;
  std::error_code ec;
  const auto status = fs::status(path, ec);
  file.present = fs::exists(status);
  file.regular = fs::is_regular_file(status);
  if (!file.regular) return file;
  file.size = fs::file_size(path, ec);
  file.modified = fs::last_write_time(path, ec);
  return file;
}

// Byte 18 and 19 of the header: the write and read format versions, 2 in a
// WAL-mode DB (sqlite.org/fileformat2.html, "The Database Header").
bool has_wal_header(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::array<char, 20> header{};
  if (!in.read(header.data(), header.size())) return false;
  return header[18] == 2 || header[19] == 2;
}

}  // namespace

DbFilesState read_db_files_state(const fs::path& db_path) {
  DbFilesState state;
  state.db = file_state(db_path);
  state.wal = file_state(with_suffix(db_path, "-wal"));
  state.shm = file_state(with_suffix(db_path, "-shm"));
  state.journal = file_state(with_suffix(db_path, "-journal"));
  state.wal_mode_header = state.db.regular && state.db.size > 0 && has_wal_header(db_path);
  return state;
}

ReadMethod choose_read_method(const DbFilesState& s) {
  // SQLite deletes the -wal of a 0-byte main file at its next open, and
  // rolls a -journal back into a 1-page one: neither may happen here.
  if (s.db.size == 0) return ReadMethod::kMainFileOnly;
  if (s.journal.present && s.journal.size > 0) return ReadMethod::kPrivateCopy;
  if (s.wal.present && s.wal.size > kWalHeaderSize) {
    return s.shm.present ? ReadMethod::kLiveIndex : ReadMethod::kPrivateCopy;
  }
  if (s.wal.present || s.shm.present || s.journal.present || s.wal_mode_header) {
    return ReadMethod::kMainFileOnly;
  }
  return ReadMethod::kPlain;
}

// A folder of the supervisor's own under the system temp folder; removed,
// with what SQLite left in it, when the reader goes.
class PrivateFolder {
 public:
  static Result<std::unique_ptr<PrivateFolder>> create() {
    std::error_code ec;
    const auto base = fs::temp_directory_path(ec);
    if (ec)
      return Error{ExitCode::kIoError, "no temporary folder for a private copy: " + ec.message()};
    std::random_device random;
    for (int attempt = 0; attempt < 8; ++attempt) {
      auto path = base / ("engine-supervisor-read-" + std::to_string(current_process_id()) + "-" +
                          std::to_string(random()));
      if (fs::create_directory(path, ec))
        return std::unique_ptr<PrivateFolder>(new PrivateFolder(path));
    }
    return Error{ExitCode::kIoError,
                 "could not create a private folder under " + base.string() + ": " + ec.message()};
  }
  PrivateFolder(const PrivateFolder&) = delete;
  ~PrivateFolder() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  explicit PrivateFolder(fs::path path) : path_(std::move(path)) {}
  fs::path path_;
};

namespace {

Result<void> copy_into(const fs::path& from, const fs::path& to, bool link_allowed) {
  std::error_code ec;
  // A hard link costs nothing for a big main file; it is only ever opened
  // read-only. Side files are copied, since SQLite may write the private ones.
  if (link_allowed) {
    fs::create_hard_link(from, to, ec);
    if (!ec) return {};
  }
  fs::copy_file(from, to, ec);
  if (ec) {
    return Error{ExitCode::kIoError, "private copy of " + from.string() + " to " + to.string() +
                                         " failed: " + ec.message()};
  }
  return {};
}

Result<std::unique_ptr<PrivateFolder>> make_private_copy(const fs::path& db_path,
                                                         const DbFilesState& state, bool writable) {
  auto folder = PrivateFolder::create();
  if (!folder) return folder.error();
  const auto target = (*folder)->path() / db_path.filename();
  if (auto copied = copy_into(db_path, target, !writable); !copied) return copied.error();
  const std::pair<const DbFilesState::File*, const char*> sides[] = {{&state.wal, "-wal"},
                                                                     {&state.journal, "-journal"}};
  for (const auto& [file, suffix] : sides) {
    if (!file->present) continue;
    if (auto copied = copy_into(with_suffix(db_path, suffix), with_suffix(target, suffix), false);
        !copied) {
      return copied.error();
    }
  }
  return std::move(*folder);
}

Result<void> refuse_irregular(const fs::path& db_path, const DbFilesState& state) {
  const std::pair<const DbFilesState::File*, const char*> files[] = {
      {&state.db, ""}, {&state.wal, "-wal"}, {&state.shm, "-shm"}, {&state.journal, "-journal"}};
  for (const auto& [file, suffix] : files) {
    if (file->present && !file->regular) {
      return Error{ExitCode::kIoError,
                   with_suffix(db_path, suffix).string() +
                       " is not a regular file (a FIFO, folder or device): it is not read. Put "
                       "the DB's own file there, or point database.path at it"};
    }
  }
  return {};
}

}  // namespace

Result<DbReader> DbReader::open(const fs::path& db_path) {
  const auto state = read_db_files_state(db_path);
  if (!state.db.present) {
    return Error{ExitCode::kDbMissing, "open of " + db_path.string() + " failed: no such file"};
  }
  if (auto refused = refuse_irregular(db_path, state); !refused) return refused.error();
  const auto method = choose_read_method(state);
  std::unique_ptr<PrivateFolder> folder;
  fs::path open_path = db_path;
  std::string_view query;
  switch (method) {
    case ReadMethod::kPlain:
      query = "mode=ro";
      break;
    case ReadMethod::kLiveIndex:
      query = "mode=ro&readonly_shm=1";
      break;
    case ReadMethod::kMainFileOnly:
      query = "immutable=1";
      break;
    case ReadMethod::kPrivateCopy: {
      // A journal is rolled back into the copy, which takes a writable one.
      const bool writable = state.journal.present && state.journal.size > 0;
      auto made = make_private_copy(db_path, state, writable);
      if (!made) return made.error();
      folder = std::move(*made);
      open_path = folder->path() / db_path.filename();
      if (writable) {
        auto db = SqliteDb::open_owned(open_path, false);
        if (!db) return db.error();
        return DbReader(db_path, method, state, std::move(folder), std::move(*db));
      }
      query = "mode=ro";
      break;
    }
  }
  auto db = SqliteDb::open_read_only(open_path, query);
  if (!db) return db.error();
  return DbReader(db_path, method, state, std::move(folder), std::move(*db));
}

DbReader::DbReader(fs::path path, ReadMethod method, DbFilesState state,
                   std::unique_ptr<PrivateFolder> folder, SqliteDb db)
    : path_(std::move(path)),
      method_(method),
      at_open_(std::move(state)),
      folder_(std::move(folder)),
      db_(std::move(db)) {}

DbReader::DbReader(DbReader&&) noexcept = default;

DbReader::~DbReader() {
  db_.reset();  // close before the private folder goes
}

bool DbReader::disturbed() const {
  if (method_ == ReadMethod::kPlain || method_ == ReadMethod::kLiveIndex) return false;
  return read_db_files_state(path_) != at_open_;
}

}  // namespace es
