#include "common/yaml_documents.hpp"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <sstream>
#include <string>

namespace es {
namespace {

// Notes where each document starts and ignores its content.
class DocumentStarts : public YAML::EventHandler {
 public:
  std::vector<YAML::Mark> starts;

  void OnDocumentStart(const YAML::Mark& mark) override { starts.push_back(mark); }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
};

}  // namespace

std::vector<YAML::Mark> yaml_document_starts(std::string_view yaml_text, std::size_t limit) {
  std::istringstream in{std::string(yaml_text)};
  YAML::Parser parser(in);
  DocumentStarts handler;
  while (handler.starts.size() < limit && parser.HandleNextDocument(handler)) {
    const auto& starts = handler.starts;
    if (starts.size() >= 2 && starts.back().pos == starts[starts.size() - 2].pos) {
      throw YAML::ParserException(starts.back(), "unexpected character: cannot read on from here");
    }
  }
  return handler.starts;
}

}  // namespace es
