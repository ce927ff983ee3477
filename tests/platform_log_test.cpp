// Issue 12.1: every run's outcome in the platform's own log. On Linux, the
// real journald from Debian's systemd: the one running, or one this test
// starts on its usual paths (as root, where the machine has a machine id);
// skipped by name where neither can be had.

#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "support/run_fixture.hpp"
#include "support/test_db.hpp"

using namespace es;
namespace fs = std::filesystem;

namespace {

const fs::path kJournalSocket = "/run/systemd/journal/socket";

bool journald_listens() {
  const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::snprintf(address.sun_path, sizeof address.sun_path, "%s", kJournalSocket.c_str());
  const bool listens = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  ::close(fd);
  return listens;
}

// The machine's journald, or one started here for the test and stopped
// (its folders removed) after it.
class Journald {
 public:
  Journald() {
    if (journald_listens()) {
      usable_ = true;
      return;
    }
    std::error_code ec;
    const auto id = fs::file_size("/etc/machine-id", ec);
    if (::geteuid() != 0 || !fs::exists("/lib/systemd/systemd-journald") ||
        !fs::exists("/bin/journalctl") || ec || id < 32) {
      why_not_ = "no journald runs, and this machine cannot start one (root, "
                 "/lib/systemd/systemd-journald and /etc/machine-id are needed)";
      return;
    }
    for (const auto* folder : {"/run/systemd/journal", "/run/log/journal"}) {
      if (!fs::exists(folder)) made_.emplace_back(folder);
    }
    fs::create_directories("/run/systemd/journal");
    daemon_.emplace(std::vector<std::string>{"/lib/systemd/systemd-journald"});
    usable_ = test::wait_until(journald_listens, 10);
    if (!usable_) why_not_ = "systemd-journald was started but does not listen on " + kJournalSocket.string();
    own_ = true;
  }
  ~Journald() {
    if (daemon_) {
      daemon_->send(SIGTERM);
      daemon_->wait();
    }
    std::error_code ec;
    for (const auto& folder : made_) fs::remove_all(folder, ec);
  }
  bool usable() const { return usable_; }
  const std::string& why_not() const { return why_not_; }

  // The entries whose RUN_ID is `run_id`, as journalctl -o json gives them.
  std::vector<nlohmann::json> entries(const std::string& run_id) const {
    std::vector<std::string> argv{"/bin/journalctl", "--no-pager", "-o", "json"};
    if (own_) argv.insert(argv.end(), {"-D", "/run/log/journal"});
    argv.push_back("RUN_ID=" + run_id);
    const auto result = test::run_command(argv);
    std::vector<nlohmann::json> found;
    std::istringstream lines(result.out);
    for (std::string line; std::getline(lines, line);) {
      auto entry = nlohmann::json::parse(line, nullptr, false);
      if (entry.is_object()) found.push_back(std::move(entry));
    }
    return found;
  }

 private:
  bool usable_ = false;
  bool own_ = false;
  std::string why_not_;
  std::vector<fs::path> made_;
  std::optional<test::ChildProcess> daemon_;
};

}  // namespace

TEST_CASE("issue 12.1: a run's outcome reaches journald with RUN_ID, OUTCOME, HALT_REASON and DB") {
  Journald journald;
  if (!journald.usable()) {
    MESSAGE("skipped: issue 12.1 journald test: " << journald.why_not());
    return;
  }
  test::RunFixture f;
  f.configure_command({"false"});
  REQUIRE(f.run().exit_code == 1);
  const auto run_id = f.latest_summary()["run_id"].get<std::string>();
  std::vector<nlohmann::json> entries;
  REQUIRE(test::wait_until([&] { return !(entries = journald.entries(run_id)).empty(); }, 10));
  const auto& entry = entries.front();
  CHECK(entry["SYSLOG_IDENTIFIER"] == "engine-supervisor");
  CHECK(entry["OUTCOME"] == "unclean");
  CHECK(entry["HALT_REASON"] == "exit_code:1");
  CHECK(entry["DB"] == f.db().string());
  CHECK(entry["PRIORITY"] == "3");
  CHECK(entry["MESSAGE"] == "run " + run_id + " of " + f.db().string() + ": unclean (exit_code:1)");
}
