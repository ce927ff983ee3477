#pragma once
// Where the documents of a YAML text start, read with yaml-cpp's event
// parser and a bound.
//
// YAML::LoadAll never returns on some broken inputs: on a lone "," yaml-cpp
// yields an empty document without reading on, again and again, and fills
// the memory. yaml_document_starts() stops there. Part of the yaml-cpp
// adapters (config.cpp): like YAML::Load, it throws YAML::Exception on
// broken YAML, and the adapter turns that into a result. Pure; thread-safe.

#include <yaml-cpp/mark.h>

#include <cstddef>
#include <string_view>
#include <vector>

namespace es {

// The start of each document of `yaml_text`, the first `limit` of them; an
// empty text has none. Throws YAML::ParserException where the text is not
// valid YAML, including where yaml-cpp would start a document again at the
// same place.
std::vector<YAML::Mark> yaml_document_starts(std::string_view yaml_text, std::size_t limit);

}  // namespace es
