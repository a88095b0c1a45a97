// Typed conversion of config values (see typed_value.h).
#include "config/typed_value.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <stdexcept>

#include <fmt/format.h>

#include "common/text.h"

namespace remix::config {

namespace {

using json = nlohmann::json;

std::vector<std::string> choice_list(const ParamSpec& spec) {
  std::string c = spec.choices ? spec.choices : "";
  if (c.empty()) return {};
  return text::split(c, '|');
}

bool parse_int(const std::string& s, std::int64_t& out) {
  if (s.empty()) return false;
  errno = 0;
  char* end = nullptr;
  long long v = std::strtoll(s.c_str(), &end, 10);
  if (errno == ERANGE || *end != '\0') return false;
  out = v;
  return true;
}

bool parse_float(const std::string& s, double& out) {
  if (s.empty()) return false;
  errno = 0;
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  if (errno == ERANGE || *end != '\0' || !std::isfinite(v)) return false;
  // strtod accepts hex floats and "infinity"; a config only has decimal numbers.
  for (char c : s)
    if (!(std::isdigit(static_cast<unsigned char>(c)) || c == '.' || c == 'e' || c == 'E' || c == '-' || c == '+'))
      return false;
  out = v;
  return true;
}

bool parse_bool(const std::string& s, bool& out) {
  static const char* yes[] = {"true", "True", "TRUE", "yes", "Yes", "on", "On"};
  static const char* no[] = {"false", "False", "FALSE", "no", "No", "off", "Off"};
  for (const char* y : yes)
    if (s == y) return out = true, true;
  for (const char* n : no)
    if (s == n) return out = false, true;
  return false;
}

std::string fmt_bound(double v) {
  if (v == std::floor(v) && std::fabs(v) < 1e15) return fmt::format("{}", static_cast<long long>(v));
  return fmt::format("{}", v);
}

std::string range_error(const ParamSpec& spec, double v) {
  if (v < spec.min) return fmt::format("must be at least {}, got {}", fmt_bound(spec.min), fmt_bound(v));
  if (v > spec.max) return fmt::format("must be at most {}, got {}", fmt_bound(spec.max), fmt_bound(v));
  return "";
}

// One scalar of a numeric/string type; `element` is true inside a list.
std::string scalar_to_json(const ParamSpec& spec, ParamType type, const ConfigNode& node, json& out) {
  if (!node.is_scalar()) {
    const char* what = node.is_null() ? "nothing" : node.is_map() ? "a mapping" : "a list";
    return fmt::format("expected {}, got {}", describe_accepted(spec), what);
  }
  const std::string& s = node.scalar;
  auto choices = choice_list(spec);
  switch (type) {
    case ParamType::Bool: {
      bool b;
      if (node.quoted || !parse_bool(s, b)) return fmt::format("expected a bool (true/false), got '{}'", s);
      out = b;
      return "";
    }
    case ParamType::Int:
    case ParamType::IntList: {
      std::int64_t v;
      if (node.quoted || !parse_int(s, v))
        return fmt::format("expected {}, got '{}'", type == ParamType::Int ? describe_accepted(spec) : "an integer", s);
      out = v;
      return range_error(spec, static_cast<double>(v));
    }
    case ParamType::Float:
    case ParamType::FloatList: {
      double v;
      if (node.quoted || !parse_float(s, v))
        return fmt::format("expected {}, got '{}'", type == ParamType::Float ? describe_accepted(spec) : "a number", s);
      out = v;
      return range_error(spec, v);
    }
    case ParamType::FloatOrChoice: {
      double v;
      if (!node.quoted && parse_float(s, v)) {
        out = v;
        return range_error(spec, v);
      }
      [[fallthrough]];
    }
    case ParamType::Choice:
      for (const auto& c : choices)
        if (c == s) return out = s, "";
      return fmt::format("expected {}, got '{}'{}", describe_accepted(spec), s, text::did_you_mean(s, choices));
    case ParamType::String:
    case ParamType::StringList:
      if (!choices.empty()) {
        for (const auto& c : choices)
          if (c == s) return out = s, "";
        return fmt::format("'{}' is not one of {}{}", s, spec.choices, text::did_you_mean(s, choices));
      }
      out = s;
      return "";
  }
  return "unsupported type";
}

bool is_list(ParamType t) {
  return t == ParamType::StringList || t == ParamType::IntList || t == ParamType::FloatList;
}

}  // namespace

nlohmann::json::json_pointer json_pointer_of(const std::string& dotted) {
  std::string p;
  for (const auto& part : text::split(dotted, '.')) p += "/" + part;
  return json::json_pointer(p);
}

std::string describe_accepted(const ParamSpec& spec) {
  std::string range;
  if (std::isfinite(spec.min) && std::isfinite(spec.max))
    range = fmt::format(" in [{}, {}]", fmt_bound(spec.min), fmt_bound(spec.max));
  else if (std::isfinite(spec.min))
    range = fmt::format(" >= {}", fmt_bound(spec.min));
  else if (std::isfinite(spec.max))
    range = fmt::format(" <= {}", fmt_bound(spec.max));
  std::string choices = spec.choices ? spec.choices : "";
  switch (spec.type) {
    case ParamType::Bool: return "a bool";
    case ParamType::Int: return "an integer" + range;
    case ParamType::Float: return "a number" + range;
    case ParamType::String: return choices.empty() ? "a string" : "one of " + choices;
    case ParamType::Choice: return "one of " + choices;
    case ParamType::FloatOrChoice: return "one of " + choices + " or a number" + range;
    case ParamType::StringList: return choices.empty() ? "a list of strings" : "a list of " + choices;
    case ParamType::IntList: return "a list of integers" + range;
    case ParamType::FloatList: return "a list of numbers" + range;
  }
  return "?";
}

std::string to_typed_json(const ParamSpec& spec, const ConfigNode& node, json& out) {
  if (node.is_null()) {
    if (spec.default_value && std::string(spec.default_value) == "null") {
      out = nullptr;
      return "";
    }
    if (spec.type == ParamType::String && (!spec.choices || !*spec.choices)) {  // `key:` with no value: empty string
      out = "";
      return "";
    }
    return fmt::format("expected {}, got nothing", describe_accepted(spec));
  }
  if (!is_list(spec.type)) return scalar_to_json(spec, spec.type, node, out);
  if (node.kind != ConfigNode::Kind::Sequence)
    return fmt::format("expected {}, got '{}'", describe_accepted(spec), node.brief());
  out = json::array();
  for (std::size_t i = 0; i < node.items.size(); ++i) {
    json v;
    std::string err = scalar_to_json(spec, spec.type, node.items[i], v);
    if (!err.empty()) return fmt::format("item {}: {}", i, err);
    out.push_back(v);
  }
  return "";
}

json default_json(const ParamSpec& spec) {
  if (!spec.default_value) throw std::logic_error(std::string("parameter '") + spec.name + "' has no default");
  Origin o;
  ConfigNode n = parse_yaml_text(spec.default_value, o);
  json out;
  std::string err = to_typed_json(spec, n, out);
  if (!err.empty())
    throw std::logic_error(std::string("default of parameter '") + spec.name + "' does not validate: " + err);
  return out;
}

json infer_json(const ConfigNode& node) {
  switch (node.kind) {
    case ConfigNode::Kind::Null: return nullptr;
    case ConfigNode::Kind::Scalar: {
      if (node.quoted) return node.scalar;
      std::int64_t i;
      double d;
      bool b;
      if (parse_int(node.scalar, i)) return i;
      if (parse_float(node.scalar, d)) return d;
      if (parse_bool(node.scalar, b)) return b;
      return node.scalar;
    }
    case ConfigNode::Kind::Sequence: {
      json a = json::array();
      for (const auto& item : node.items) a.push_back(infer_json(item));
      return a;
    }
    case ConfigNode::Kind::Map: {
      json o = json::object();
      for (const auto& [k, v] : node.entries) o[k] = infer_json(v);
      return o;
    }
  }
  return nullptr;
}

ConfigNode node_from_json(const json& value, const Origin& origin) {
  ConfigNode n;
  n.origin = n.key_origin = origin;
  if (value.is_null()) return n;
  if (value.is_object()) {
    n.kind = ConfigNode::Kind::Map;
    for (auto it = value.begin(); it != value.end(); ++it) n.entries.emplace_back(it.key(), node_from_json(it.value(), origin));
  } else if (value.is_array()) {
    n.kind = ConfigNode::Kind::Sequence;
    for (const auto& item : value) n.items.push_back(node_from_json(item, origin));
  } else {
    n.kind = ConfigNode::Kind::Scalar;
    n.quoted = value.is_string();
    n.scalar = value.is_string() ? value.get<std::string>() : value.dump();
  }
  return n;
}

ParamValue to_param_value(const ParamSpec& spec, const json& v) {
  if (v.is_null()) return std::monostate{};
  switch (spec.type) {
    case ParamType::Bool: return v.get<bool>();
    case ParamType::Int: return v.get<std::int64_t>();
    case ParamType::Float: return v.get<double>();
    case ParamType::String:
    case ParamType::Choice: return v.get<std::string>();
    case ParamType::FloatOrChoice:
      if (v.is_number()) return v.get<double>();
      return v.get<std::string>();
    case ParamType::StringList: return v.get<std::vector<std::string>>();
    case ParamType::IntList: return v.get<std::vector<std::int64_t>>();
    case ParamType::FloatList: return v.get<std::vector<double>>();
  }
  return std::monostate{};
}

}  // namespace remix::config
