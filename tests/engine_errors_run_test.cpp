// The engine's own error lines in a real run: counted in the summary and
// warned about, and a clean exit stays clean.

#include <doctest/doctest.h>

#include "support/run_fixture.hpp"

namespace es {

TEST_CASE("issue 12.3: a clean run whose engine printed a Traceback stays clean, and says so loudly") {
  test::RunFixture fx;
  fx.configure({"--seconds", "0.3", "--stderr-line", "Traceback (most recent call last):"});
  const auto result = fx.run();
  CHECK(result.exit_code == 0);
  const auto summary = fx.latest_summary();
  CHECK(summary["outcome"] == "clean");
  CHECK(summary["engine_errors"]["count"] == 1);
  CHECK(summary["engine_errors"]["first"][0] == "Traceback (most recent call last):");
  CHECK(summary["db_health"]["warnings"].dump().find("the engine printed 1 error line") !=
        std::string::npos);
  CHECK(result.err.find("the engine printed 1 error line") != std::string::npos);
}

TEST_CASE("issue 12.3: an engine with no error lines: count 0, no warning") {
  test::RunFixture fx;
  fx.configure({"--seconds", "0.3"});
  REQUIRE(fx.run().exit_code == 0);
  const auto summary = fx.latest_summary();
  CHECK(summary["engine_errors"]["count"] == 0);
  CHECK(summary["db_health"]["warnings"].empty());
}

}  // namespace es
