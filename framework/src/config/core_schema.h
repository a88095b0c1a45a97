// The core config schema: one table of every key remix itself understands (dotted paths), with type,
// default, range and a one-line doc. It drives validation, defaults, `remix config --schema`, and which keys
// belong to the trial key. Plugin blocks (`router`, `tasks.<name>`) are validated against their plugin's
// own table; `sweep.parameters` is a free map checked by the sweep expander.
#pragma once

#include <string>
#include <vector>

#include "remix/params.h"

namespace remix::config {

const std::vector<ParamSpec>& core_schema();
// The spec of a core key, or nullptr.
const ParamSpec* find_core_spec(const std::string& dotted_key);

// A core key whose default changed after trials were recorded under the old one (a kParamKeyWhenSet key).
struct ChangedDefault {
  const char* key;        // dotted path
  const char* old_value;  // YAML text: what every key recorded before the change meant
  const char* why;
};
const std::vector<ChangedDefault>& changed_defaults();
// The value a kParamKeyWhenSet key's trial key leaves out: its old default if it changed, else its default. Looked
// up by the spec's name, so only core keys (plugins version their own tables).
const char* key_neutral_value(const ParamSpec& spec);

// Keys that a plugin block holds besides the plugin's own parameters.
inline constexpr const char* kPluginKey = "plugin";   // router.plugin, tasks.<name>.plugin
inline constexpr const char* kTaskWeightKey = "weight";  // tasks.<name>.weight

}  // namespace remix::config
