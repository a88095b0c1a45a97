// Resolved configs: loading + overrides + validation, canonical form and trial key (see resolved_config.h).
#include "config/resolved_config.h"

#include <yaml-cpp/yaml.h>

#include <stdexcept>

#include "common/sha256.h"
#include "common/text.h"
#include "config/core_schema.h"
#include "config/typed_value.h"
#include "remix/errors.h"

namespace remix::config {

namespace {

using json = nlohmann::json;

void flatten_into(const json& j, const std::string& prefix, std::vector<std::pair<std::string, std::string>>& out) {
  if (j.is_object() && !j.empty()) {
    for (auto it = j.begin(); it != j.end(); ++it) flatten_into(it.value(), prefix.empty() ? it.key() : prefix + "." + it.key(), out);
    return;
  }
  out.emplace_back(prefix, j.dump());
}

void emit(YAML::Emitter& e, const json& j) {
  if (j.is_object()) {
    e << YAML::BeginMap;
    for (auto it = j.begin(); it != j.end(); ++it) {
      e << YAML::Key << it.key() << YAML::Value;
      emit(e, it.value());
    }
    e << YAML::EndMap;
  } else if (j.is_array()) {
    bool flat = true;
    for (const auto& v : j) flat = flat && v.is_primitive();
    e << (flat ? YAML::Flow : YAML::Block) << YAML::BeginSeq;
    for (const auto& v : j) emit(e, v);
    e << YAML::EndSeq;
  } else if (j.is_string()) {
    const std::string& s = j.get_ref<const std::string&>();
    // Quote strings YAML would read back as something else (numbers, bools, null, empty).
    json reread = infer_json(parse_yaml_text(s.empty() ? "''" : s, Origin{}));
    if (s.empty() || !reread.is_string() || reread.get<std::string>() != s)
      e << YAML::DoubleQuoted << s;
    else
      e << s;
  } else if (j.is_null()) {
    e << YAML::Null;
  } else {
    e << j.dump();
  }
}

}  // namespace

ResolvedConfig::ResolvedConfig(ValidatedConfig validated, std::vector<std::string> files,
                               std::vector<std::string> overrides)
    : tree_(std::move(validated.tree)),
      not_in_key_(std::move(validated.not_in_key)),
      plugins_(std::move(validated.plugins)),
      files_(std::move(files)),
      overrides_(std::move(overrides)) {}

json ResolvedConfig::identity() const {
  json id = tree_;
  for (const auto& path : not_in_key_) {
    auto ptr = json_pointer_of(path);
    if (!id.contains(ptr)) continue;
    json& parent = id[ptr.parent_pointer()];
    parent.erase(ptr.back());
  }
  return id;
}

std::string ResolvedConfig::canonical() const { return identity().dump(); }

std::string ResolvedConfig::trial_key() const { return sha256_hex(canonical()); }

bool ResolvedConfig::has(const std::string& dotted) const { return tree_.contains(json_pointer_of(dotted)); }

const json& ResolvedConfig::at(const std::string& dotted) const {
  auto ptr = json_pointer_of(dotted);
  if (!tree_.contains(ptr)) throw std::out_of_range("config has no key '" + dotted + "'");
  return tree_.at(ptr);
}

const PluginSchema& ResolvedConfig::plugin(const std::string& block) const {
  auto it = plugins_.find(block);
  if (it == plugins_.end()) throw std::out_of_range("config has no plugin block '" + block + "'");
  return it->second;
}

Params ResolvedConfig::plugin_params(const std::string& block) const {
  const PluginSchema& schema = plugin(block);
  Params p;
  for (const auto& spec : schema.params) p.set(spec.name, to_param_value(spec, at(block + "." + spec.name)));
  return p;
}

std::vector<std::string> ResolvedConfig::task_names() const {
  std::vector<std::string> names;
  for (const auto& [block, schema] : plugins_)
    if (text::starts_with(block, "tasks.")) names.push_back(block.substr(6));
  return names;
}

std::vector<std::pair<std::string, std::string>> ResolvedConfig::flatten() const {
  std::vector<std::pair<std::string, std::string>> out;
  flatten_into(tree_, "", out);
  return out;
}

ParsedOverrides parse_overrides(const std::vector<std::string>& texts) {
  ParsedOverrides out;
  for (const auto& t : texts) {
    Override o = parse_override(t);
    (o.is_sweep_axis() ? out.axes : out.fixed).push_back(std::move(o));
  }
  return out;
}

ResolvedConfig resolve(const std::string& file, const std::vector<Override>& overrides,
                       const PluginSchemaLookup& lookup) {
  ConfigNode root = load_yaml_file(file);
  apply_overrides(root, overrides);
  std::vector<std::string> texts;
  for (const auto& o : overrides) texts.push_back(o.text);
  return ResolvedConfig(validate(root, lookup), {file}, texts);
}

ResolvedConfig resolve_json(const json& tree, const std::string& label, const PluginSchemaLookup& lookup) {
  Origin origin;
  origin.file = label;
  return ResolvedConfig(validate(node_from_json(tree, origin), lookup), {label}, {});
}

std::string to_yaml(const json& tree) {
  YAML::Emitter e;
  emit(e, tree);
  return std::string(e.c_str()) + "\n";
}

}  // namespace remix::config
