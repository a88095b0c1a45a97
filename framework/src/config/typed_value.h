// Converting untyped config nodes into typed values by their ParamSpec, and typed values into the plain
// `remix::Params` a plugin receives. The only place that decides what "an int" or "a bool" is in a config.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

#include "config/tree.h"
#include "remix/params.h"

namespace remix::config {

// Sets `out` to the value of `node` as `spec` types it, or returns a message saying what was expected
// ("expected an integer, got 'abc'"; "must be at most 1, got 2"). Empty string on success.
std::string to_typed_json(const ParamSpec& spec, const ConfigNode& node, nlohmann::json& out);
// The default of `spec` as a typed value (throws std::logic_error if the table's default does not parse:
// that is a bug in the table, caught by tests).
nlohmann::json default_json(const ParamSpec& spec);
// Untyped conversion by YAML's core schema (for free-form blocks such as sweep.parameters).
nlohmann::json infer_json(const ConfigNode& node);
// The inverse of infer_json: a JSON tree (a stored resolved config) as a config tree; strings come back
// quoted so that "3" stays a string. Every node gets `origin`.
ConfigNode node_from_json(const nlohmann::json& value, const Origin& origin);
// A resolved value to the variant a plugin receives.
ParamValue to_param_value(const ParamSpec& spec, const nlohmann::json& value);
// The JSON pointer of a dotted key ("model.dim" -> /model/dim).
nlohmann::json::json_pointer json_pointer_of(const std::string& dotted);
// A human-readable description of what `spec` accepts ("int in [1, 65536]", "one of lora|rslora or a float").
std::string describe_accepted(const ParamSpec& spec);

}  // namespace remix::config
