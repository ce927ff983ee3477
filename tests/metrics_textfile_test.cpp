// metrics.textfile: each run's figures in the Prometheus text format, read
// back through a real node_exporter (Debian's prometheus-node-exporter, with
// its textfile collector) over loopback, as a fleet would scrape them.

#include "common/metrics_textfile.hpp"

#include <doctest/doctest.h>

#include <random>
#include <regex>

#include "common/config.hpp"
#include "support/run_fixture.hpp"

namespace es {
namespace fs = std::filesystem;

namespace {

constexpr const char* kNodeExporter = "/usr/bin/prometheus-node-exporter";

// A node_exporter with only the textfile collector, on a free loopback port.
class NodeExporter {
 public:
  explicit NodeExporter(const fs::path& folder) {
    std::mt19937 random(std::random_device{}());
    for (int attempt = 0; attempt < 10 && !process_; ++attempt) {
      port_ = std::uniform_int_distribution<int>(20000, 60000)(random);
      process_.emplace(std::vector<std::string>{
          kNodeExporter, "--web.listen-address=127.0.0.1:" + std::to_string(port_),
          "--collector.disable-defaults", "--collector.textfile",
          "--collector.textfile.directory=" + folder.string()});
      if (!test::wait_until([&] { return !scrape().empty() || !test::process_alive(process_->pid()); }, 10) ||
          !test::process_alive(process_->pid())) {
        process_.reset();  // the port was taken: another one
      }
    }
  }
  bool running() const { return process_.has_value(); }
  std::string scrape() const {
    return test::run_command({"/usr/bin/curl", "-sf", "http://127.0.0.1:" + std::to_string(port_) + "/metrics"}).out;
  }

 private:
  int port_ = 0;
  std::optional<test::ChildProcess> process_;
};

// The sample's value in `text` for a series (name and labels as written), or -1.
double sample(const std::string& text, const std::string& series) {
  const auto at = text.find("\n" + series + " ");
  if (at == std::string::npos) return -1;
  return std::stod(text.substr(at + series.size() + 2));
}

}  // namespace

TEST_CASE("issue 12.6: metrics.textfile after a clean and an unclean run, as node_exporter serves it") {
  if (!fs::exists(kNodeExporter)) {
    MESSAGE("SKIPPED: prometheus-node-exporter is not installed (scripts/install-deps.sh installs it)");
    return;
  }
  test::RunFixture fx;
  fs::create_directory(fx.dir / "textfile");
  fx.configure({"--seconds", "0.3"}, 10, "",
               "metrics:\n  textfile: textfile/engine-supervisor.prom\n");
  REQUIRE(fx.run().exit_code == 0);
  const auto file = fx.dir / "textfile" / "engine-supervisor.prom";
  REQUIRE(fs::exists(file));
  CHECK_FALSE(fs::exists(fs::path(file.string() + ".tmp")));

  NodeExporter exporter(fx.dir / "textfile");
  REQUIRE(exporter.running());
  const std::string db = "db=\"" + fx.db().string() + "\"";
  auto text = exporter.scrape();
  CHECK(sample(text, "node_textfile_scrape_error") == 0);  // node_exporter parsed our file
  CHECK(sample(text, "engine_supervisor_last_run_outcome{" + db + ",outcome=\"clean\"}") == 1);
  CHECK(sample(text, "engine_supervisor_last_run_outcome{" + db + ",outcome=\"unclean\"}") == 0);
  CHECK(sample(text, "engine_supervisor_runs_total{" + db + "}") == 1);
  CHECK(sample(text, "engine_supervisor_unclean_runs_total{" + db + "}") == 0);
  CHECK(sample(text, "engine_supervisor_db_size_bytes{" + db + "}") > 0);
  CHECK(sample(text, "engine_supervisor_last_run_gate_seconds{" + db + "}") >= 0);
  CHECK(sample(text, "engine_supervisor_last_run_session_seconds{" + db + "}") > 0.3);
  CHECK(sample(text, "engine_supervisor_last_run_pre_session_backup_seconds{" + db + "}") > 0);
  CHECK(sample(text, "engine_supervisor_last_run_post_session_backup_seconds{" + db + "}") > 0);
  const auto age = sample(text, "engine_supervisor_newest_backup_age_seconds{" + db + "}");
  CHECK(age >= 0);
  CHECK(age < 60);

  fx.configure({"--seconds", "0.3", "--exit-code", "3"}, 10, "",
               "metrics:\n  textfile: textfile/engine-supervisor.prom\n");
  REQUIRE(fx.run().exit_code == 1);
  text = exporter.scrape();
  CHECK(sample(text, "node_textfile_scrape_error") == 0);
  CHECK(sample(text, "engine_supervisor_last_run_outcome{" + db + ",outcome=\"unclean\"}") == 1);
  CHECK(sample(text, "engine_supervisor_last_run_exit_code{" + db + "}") == 1);
  CHECK(sample(text, "engine_supervisor_runs_total{" + db + "}") == 2);
  CHECK(sample(text, "engine_supervisor_unclean_runs_total{" + db + "}") == 1);
  CHECK(text.find("halt_reason=\"exit_code:3\"") != std::string::npos);
}

TEST_CASE("metrics: label values are escaped; no backup and no DB leave their series out") {
  RunMetrics m;
  m.db = "C:\\data\\a \"quoted\"\nname.db";
  m.outcome = "aborted";
  const auto text = render_metrics(m);
  CHECK(text.find("db=\"C:\\\\data\\\\a \\\"quoted\\\"\\nname.db\"") != std::string::npos);
  CHECK(text.find("newest_backup_age_seconds") == std::string::npos);
  CHECK(text.find("db_size_bytes") == std::string::npos);
  CHECK(text.find("outcome=\"aborted\"} 1") != std::string::npos);
}

TEST_CASE("metrics: metrics.textfile must end in .prom") {
  const auto bad = parse_config("database:\n  path: live.db\nmetrics:\n  textfile: m.txt\n", "/cfg/x.yaml");
  REQUIRE_FALSE(bad.has_value());
  CHECK(bad.error().message.find("must end in .prom") != std::string::npos);
  const auto good = parse_config("database:\n  path: live.db\nmetrics:\n  textfile: m/x.prom\n", "/cfg/x.yaml");
  REQUIRE(good.has_value());
  CHECK(good->metrics_textfile == fs::path("/cfg/m/x.prom"));
  const auto again = parse_config(render_config(*good), "/cfg/x.yaml");
  REQUIRE(again.has_value());
  CHECK(again->metrics_textfile == good->metrics_textfile);
}

}  // namespace es
