// Issue 13.3: off-site copies to an SFTP repository served by a real
// OpenSSH server (Debian's openssh-server) on loopback, with a throwaway
// host key, client key and (as root) user: copies, listing and restore go
// through it, and a server that goes away mid-copy leaves the run its true
// outcome. Skipped by name where sshd is not installed or cannot start.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "support/run_fixture.hpp"
#include "support/test_db.hpp"

using namespace es;
namespace fs = std::filesystem;

namespace {

constexpr const char* kSshd = "/usr/sbin/sshd";
constexpr const char* kResticBinary = "/usr/bin/restic";

int free_loopback_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  socklen_t size = sizeof address;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size);
  ::close(fd);
  return ntohs(address.sin_port);
}

bool accepts_connections(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  ::close(fd);
  return ok;
}

std::vector<int> children_of(int parent) {
  std::vector<int> found;
  for (const auto& entry : fs::directory_iterator("/proc")) {
    const auto name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream stat(entry.path() / "stat");
    std::string text((std::istreambuf_iterator<char>(stat)), {});
    const auto close = text.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(text.substr(close + 2));
    char state;
    int ppid = 0;
    rest >> state >> ppid;
    if (ppid == parent) found.push_back(std::stoi(name));
  }
  return found;
}

// sshd on 127.0.0.1:<free port>, its keys and config in a folder of its
// own; restic reaches it through a wrapper that gives ssh the port, the
// client key and the host key (restic's -o sftp.command).
class LoopbackSftpServer {
 public:
  explicit LoopbackSftpServer(const fs::path& dir) : dir_(dir / "sshd"), port_(free_loopback_port()) {
    fs::create_directories(dir_);
    for (const char* key : {"host_key", "client_key"}) {
      const auto made = test::run_command({"/usr/bin/ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f",
                                           (dir_ / key).string()});
      if (made.exit_code != 0) {
        why_not_ = "ssh-keygen failed: " + made.err;
        return;
      }
    }
    user_ = make_user();
    if (!why_not_.empty()) return;
    fs::copy_file(dir_ / "client_key.pub", dir_ / "authorized_keys");
    const bool root = ::geteuid() == 0;
    // A root sshd separates privileges into /run/sshd.
    if (root) fs::create_directories("/run/sshd");
    test::write_file(dir_ / "sshd_config",
                     "Port " + std::to_string(port_) + "\nListenAddress 127.0.0.1\nHostKey " +
                         (dir_ / "host_key").string() + "\nAuthorizedKeysFile " +
                         (dir_ / "authorized_keys").string() +
                         "\nPasswordAuthentication no\nKbdInteractiveAuthentication no\nUsePAM no\n"
                         "StrictModes no\nPidFile " + (dir_ / "sshd.pid").string() +
                         "\nSubsystem sftp internal-sftp\nForceCommand internal-sftp\n"
                         "PermitRootLogin prohibit-password\nLogLevel ERROR\n");
    server_ = std::make_unique<test::ChildProcess>(
        std::vector<std::string>{kSshd, "-D", "-e", "-f", (dir_ / "sshd_config").string()});
    if (!test::wait_until([&] { return accepts_connections(port_) || !test::process_alive(server_->pid()); }, 10) ||
        !test::process_alive(server_->pid())) {
      why_not_ = "sshd did not start: " + server_->err_so_far();
      return;
    }
    const auto host_key = test::read_file(dir_ / "host_key.pub");
    test::write_file(dir_ / "known_hosts", "[127.0.0.1]:" + std::to_string(port_) + " " +
                                               host_key.substr(0, host_key.rfind(' ')) + "\n");
    test::write_file(dir_ / "restic-sftp",
                     "#!/bin/sh\nexec " + std::string(kResticBinary) + " -o sftp.command=\"ssh -F /dev/null -p " +
                         std::to_string(port_) + " -i " + (dir_ / "client_key").string() +
                         " -o BatchMode=yes -o IdentitiesOnly=yes -o StrictHostKeyChecking=yes"
                         " -o UserKnownHostsFile=" + (dir_ / "known_hosts").string() + " " + user_ +
                         "@127.0.0.1 -s sftp\" \"$@\"\n");
    fs::permissions(dir_ / "restic-sftp", fs::perms::owner_all);
  }

  ~LoopbackSftpServer() {
    stop();
    if (made_user_) test::run_command({"/usr/sbin/userdel", user_});
  }

  const std::string& why_not() const { return why_not_; }
  fs::path restic() const { return dir_ / "restic-sftp"; }
  std::string repository(const fs::path& folder) const { return "sftp:" + user_ + "@127.0.0.1:" + folder.string(); }

  // A folder the SFTP user may write.
  void give_to_user(const fs::path& folder) const {
    if (made_user_) test::run_command({"/bin/chown", "-R", user_, folder.string()});
  }

  // The server goes away: the listener and every session it serves.
  void stop() {
    if (!server_ || !test::process_alive(server_->pid())) return;
    std::vector<int> all{server_->pid()};
    for (std::size_t i = 0; i < all.size(); ++i) {
      for (int child : children_of(all[i])) all.push_back(child);
    }
    for (int pid : all) ::kill(pid, SIGKILL);
    server_->wait_for(5);
  }

 private:
  // As root, a throwaway user with no password and this folder as home;
  // otherwise the current user (a non-root sshd logs in only its own user).
  std::string make_user() {
    if (::geteuid() != 0) {
      const auto* entry = ::getpwuid(::geteuid());
      return entry ? entry->pw_name : "";
    }
    const auto name = "es-sftp-" + std::to_string(::getpid());
    // '*': no password, and not "locked" ('!'), which sshd would refuse.
    const auto made = test::run_command({"/usr/sbin/useradd", "--no-create-home", "--home-dir", dir_.string(),
                                         "--shell", "/bin/sh", "-p", "*", name});
    if (made.exit_code != 0) {
      why_not_ = "useradd failed: " + made.err;
      return name;
    }
    made_user_ = true;
    return name;
  }

  fs::path dir_;
  int port_;
  std::string user_;
  bool made_user_ = false;
  std::string why_not_;
  std::unique_ptr<test::ChildProcess> server_;
};

// The server for `f`; null, after saying why, where it cannot run.
std::unique_ptr<LoopbackSftpServer> start_server(const test::RunFixture& f) {
  if (!fs::exists(kSshd) || !fs::exists(kResticBinary)) {
    MESSAGE("SKIPPED: " << kSshd << " (Debian openssh-server) or " << kResticBinary << " is not installed");
    return nullptr;
  }
  auto server = std::make_unique<LoopbackSftpServer>(f.dir.path());
  if (server->why_not().empty()) return server;
  MESSAGE("SKIPPED: the loopback OpenSSH server cannot run here: " << server->why_not());
  return nullptr;
}

void init_repository(const test::RunFixture& f, const LoopbackSftpServer& server, const fs::path& repo) {
  test::write_file(f.dir / "restic.pw", "sftp-test-password\n");
  fs::permissions(f.dir / "restic.pw", fs::perms::owner_read | fs::perms::owner_write);
  fs::create_directories(repo.parent_path());
  server.give_to_user(repo.parent_path());
  const auto made = test::run_command({"/usr/bin/env", "RESTIC_PASSWORD_FILE=" + (f.dir / "restic.pw").string(),
                                       "RESTIC_REPOSITORY=" + server.repository(repo), server.restic().string(),
                                       "init"});
  INFO(made.out, made.err);
  REQUIRE(made.exit_code == 0);
}

std::string offsite_yaml(const test::RunFixture& f, const LoopbackSftpServer& server, const fs::path& repo,
                         const std::string& more = "") {
  return "offsite:\n  restic_repository: " + server.repository(repo) + "\n  password_file: " +
         (f.dir / "restic.pw").string() + "\n  restic: " + server.restic().string() + "\n" + more;
}


}  // namespace

TEST_CASE("issue 13.3: an SFTP repository on a real OpenSSH server on loopback takes the copies, lists them and restores one") {
  test::RunFixture f;
  const auto server = start_server(f);
  if (!server) return;
  const auto repo = f.dir / "srv" / "repo";
  init_repository(f, *server, repo);
  f.configure({"--seconds", "0.3"}, 10, "", offsite_yaml(f, *server, repo));
  const auto run = f.run();
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  const auto summary = f.latest_summary();
  const auto offsite = summary["db_health"]["offsite"];
  INFO(offsite.dump());
  CHECK(offsite["failed"].empty());
  REQUIRE(offsite["copied"].size() == 2);
  CHECK(fs::exists(repo / "config"));
  CHECK_FALSE(fs::is_empty(repo / "snapshots"));

  const auto listed = f.command({"backups", "--offsite", "--json"});
  INFO(listed.err);
  REQUIRE(listed.exit_code == 0);
  const auto rows = nlohmann::json::parse(listed.out);
  REQUIRE(rows.size() == 2);
  CHECK(rows[0]["file"] == summary["db_health"]["post_session_backup"]);

  const auto rows_at_end = test::count_rows(f.dir / "backups" / summary["db_health"]["post_session_backup"].get<std::string>());
  test::overwrite(f.db(), 0, 16, 'Z');
  const auto restored = f.command({"restore", "--offsite", "--latest", "--yes"});
  INFO(restored.err);
  CHECK(restored.exit_code == 0);
  CHECK(test::count_rows(f.db()) == rows_at_end);
}

TEST_CASE("issue 13.3: the SFTP server going away mid-copy leaves the run its true outcome, and says so") {
  test::RunFixture f;
  const auto server = start_server(f);
  if (!server) return;
  fs::remove(f.db());
  test::make_big_db(f.db(), 100, /*random=*/true);  // restic neither dedups nor compresses it
  const auto repo = f.dir / "srv" / "repo";
  init_repository(f, *server, repo);
  constexpr int kWaitSeconds = 30;
  f.configure({"--seconds", "2"}, 10, "",
              offsite_yaml(f, *server, repo, "  wait_seconds: " + std::to_string(kWaitSeconds) + "\n"));
  test::ChildProcess run(f.run_argv());
  // The server goes once restic has started writing the first copy.
  const bool copying = test::wait_until(
      [&] {
        // A pack file under data/ (init made only its 256 folders).
        std::error_code ec;
        for (fs::recursive_directory_iterator it(repo / "data", ec), end; !ec && it != end; it.increment(ec)) {
          if (it->is_regular_file(ec)) return true;
        }
        return false;
      },
      60);
  CHECK(copying);
  server->stop();
  const auto started = std::chrono::steady_clock::now();
  const auto ended = run.wait_for(kWaitSeconds + 60);
  REQUIRE(ended.has_value());
  INFO(ended->err);
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(kWaitSeconds + 30));
  CHECK(ended->exit_code == 0);
  const auto summary = f.latest_summary();
  CHECK(summary["outcome"] == "clean");
  const auto offsite = summary["db_health"]["offsite"];
  INFO(offsite.dump());
  REQUIRE_FALSE(offsite["failed"].empty());
  CHECK(offsite["copied"].empty());
  // Each failure is a warning too, and names the repository.
  const auto warnings = summary["db_health"]["warnings"].dump();
  CHECK(warnings.find(repo.string()) != std::string::npos);
}
