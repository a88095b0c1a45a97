// The override grammar and its application to a config tree (see overrides.h).
#include "config/overrides.h"

#include <cctype>

#include "common/text.h"
#include "config/limits.h"
#include "remix/errors.h"

namespace remix::config {

std::string Override::key() const { return text::join(path, "."); }

Override Override::with_value(const std::string& value) const {
  Override o = *this;
  o.values = {value};
  o.text = (op == Op::Add ? "+" : "") + key() + "=" + value;
  return o;
}

std::vector<std::string> split_values(const std::string& s) {
  std::vector<std::string> out;
  std::string cur;
  int depth = 0;
  char quote = 0;
  for (char c : s) {
    if (quote) {
      if (c == quote) quote = 0;
    } else if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == '[' || c == '{') {
      ++depth;
    } else if (c == ']' || c == '}') {
      --depth;
    } else if (c == ',' && depth == 0) {
      out.push_back(cur);
      cur.clear();
      continue;
    }
    cur += c;
  }
  out.push_back(cur);
  return out;
}

namespace {

bool valid_key_part(const std::string& part) {
  if (part.empty()) return false;
  for (char c : part)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '@')) return false;
  return true;
}

[[noreturn]] void malformed(const std::string& text, const std::string& why) {
  throw ConfigError("malformed override '" + text + "': " + why +
                    " (expected key.path=value, +key.path=value, or ~key.path)");
}

}  // namespace

Override parse_override(const std::string& text) {
  if (static_cast<std::int64_t>(text.size()) > kConfigLimits.override_bytes)
    throw ConfigError("override '" + text.substr(0, 80) + "...': " + std::to_string(text.size()) +
                      " bytes, more than the " + std::to_string(kConfigLimits.override_bytes) +
                      " an override may have (config/limits.h)");
  Override o;
  o.text = text;
  std::string rest = text;
  if (!rest.empty() && rest[0] == '~') {
    o.op = Override::Op::Remove;
    rest = rest.substr(1);
    if (rest.find('=') != std::string::npos) malformed(text, "a removal takes no value");
  } else {
    if (!rest.empty() && rest[0] == '+') {
      o.op = Override::Op::Add;
      rest = rest.substr(1);
    }
    std::size_t eq = rest.find('=');
    if (eq == std::string::npos) malformed(text, "missing '='");
    std::string value = rest.substr(eq + 1);
    rest = rest.substr(0, eq);
    o.values = split_values(value);
    for (const auto& v : o.values)
      if (text::trim(v).empty() && o.values.size() > 1) malformed(text, "empty value in a comma list");
  }
  if (rest.empty()) malformed(text, "missing key");
  o.path = text::split(rest, '.');
  if (static_cast<std::int64_t>(o.path.size()) > kConfigLimits.depth)
    throw ConfigError("override '" + text.substr(0, 80) + (text.size() > 80 ? "...'" : "'") + ": its key has " +
                      std::to_string(o.path.size()) + " parts, more than the " + std::to_string(kConfigLimits.depth) +
                      " levels a config may nest (config/limits.h)");
  for (const auto& part : o.path)
    if (!valid_key_part(part)) malformed(text, "bad key '" + rest + "'");
  return o;
}

void apply_overrides(ConfigNode& root, const std::vector<Override>& overrides) {
  for (const Override& o : overrides) {
    if (o.is_sweep_axis())
      throw ConfigError("override '" + o.text + "' is a sweep axis; expand it before applying");
    Origin origin;
    origin.override_text = o.text;
    origin.override_source = o.source;
    // Walk to the parent map, creating maps on the way for Set/Add.
    ConfigNode* parent = &root;
    bool created = false;
    for (std::size_t i = 0; i + 1 < o.path.size(); ++i) {
      ConfigNode* next = parent->find(o.path[i]);
      if (!next) {
        if (o.op == Override::Op::Remove) break;
        ConfigNode m;
        m.kind = ConfigNode::Kind::Map;
        m.origin = m.key_origin = origin;
        m.from_plain_override = o.op == Override::Op::Set;
        next = &parent->set(o.path[i], std::move(m));
        created = true;
      } else if (!next->is_map()) {
        throw ConfigError("override '" + o.text + "': '" + text::join({o.path.begin(), o.path.begin() + i + 1}, ".") +
                          "' is not a mapping (set at " + next->origin.describe() + ")");
      }
      parent = next;
    }
    const std::string& leaf = o.path.back();
    ConfigNode* existing = parent->is_map() ? parent->find(leaf) : nullptr;
    switch (o.op) {
      case Override::Op::Remove:
        if (!existing)
          throw ConfigError("override '" + o.text + "': there is no key '" + o.key() + "' in the config to remove");
        parent->erase(leaf);
        break;
      case Override::Op::Add:
        if (existing)
          throw ConfigError("override '" + o.text + "': key '" + o.key() + "' is already set (at " +
                            existing->origin.describe() + "); use " + o.key() + "=... to change it");
        [[fallthrough]];
      case Override::Op::Set: {
        ConfigNode value = parse_yaml_text(o.values.at(0), origin);
        value.key_origin = origin;
        value.from_plain_override = o.op == Override::Op::Set && (created || !existing);
        parent->set(leaf, std::move(value));
        break;
      }
    }
  }
}

}  // namespace remix::config
