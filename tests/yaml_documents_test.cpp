#include "common/yaml_documents.hpp"

#include <doctest/doctest.h>
#include <yaml-cpp/exceptions.h>

using namespace es;

TEST_CASE("yaml_documents: counts the documents and where each starts") {
  CHECK(yaml_document_starts("", 2).empty());
  CHECK(yaml_document_starts("# only a comment\n", 2).empty());
  CHECK(yaml_document_starts("a: 1\n", 2).size() == 1);
  const auto two = yaml_document_starts("a: 1\n---\nb: 2\n---\nc: 3\n", 2);
  REQUIRE(two.size() == 2);
  CHECK(two[1].line == 1);
  CHECK(yaml_document_starts("a: 1\n---\n", 5).size() == 2);
}

TEST_CASE("yaml_documents: a lone comma is broken YAML and does not loop forever") {
  // YAML::LoadAll(",") never returns: yaml-cpp starts an empty document at
  // the comma again and again.
  CHECK_THROWS_AS(yaml_document_starts(",", 1000), YAML::ParserException);
  CHECK_THROWS_AS(yaml_document_starts("a: [1\n", 2), YAML::ParserException);
}
