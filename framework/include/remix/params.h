// The typed parameter schema a plugin (and the core config) declares, and the plain values it receives.
//
// One table of ParamSpec entries drives validation of a YAML block (unknown key, wrong type, out of range),
// defaults, the resolved values recorded with every run, and `remix plugins --describe`. Plugins never see
// yaml-cpp nodes: the host validates their block against this table and hands them a `Params` of plain values.
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

namespace remix {

enum class ParamType : std::uint32_t {
  Bool = 0,
  Int = 1,
  Float = 2,
  String = 3,
  Choice = 4,         // one of `choices`
  FloatOrChoice = 5,  // a number, or one of `choices` (e.g. omega: lora | rslora | 0.5)
  StringList = 6,
  IntList = 7,
  FloatList = 8,
};

inline const char* param_type_name(ParamType t) {
  switch (t) {
    case ParamType::Bool: return "bool";
    case ParamType::Int: return "int";
    case ParamType::Float: return "float";
    case ParamType::String: return "string";
    case ParamType::Choice: return "choice";
    case ParamType::FloatOrChoice: return "float|choice";
    case ParamType::StringList: return "list<string>";
    case ParamType::IntList: return "list<int>";
    case ParamType::FloatList: return "list<float>";
  }
  return "?";
}

// Flags of a ParamSpec.
enum ParamFlags : std::uint32_t {
  kParamNone = 0,
  // Not part of the trial key: changing it does not change what a trial computes (paths, verbosity, ...).
  kParamNotInKey = 1u << 0,
  // Part of the trial key only when set to something other than its default: for a key added after trials were
  // recorded, whose default does what they did, so their keys stay the same (and finished trials are not rerun).
  kParamKeyWhenSet = 1u << 1,
};

// One entry of a parameter table. Plain data (pointers to string literals) so that a descriptor can hold a
// static array of them across the plugin boundary. Build entries with the constexpr helpers below.
struct ParamSpec {
  const char* name = "";
  ParamType type = ParamType::String;
  // Default as YAML text ("0.02", "true", "[gate, up]", "null"); nullptr means the key is required.
  const char* default_value = nullptr;
  double min = -std::numeric_limits<double>::infinity();  // numeric types and list elements, inclusive
  double max = std::numeric_limits<double>::infinity();
  const char* choices = "";  // "a|b|c" for Choice / FloatOrChoice / element choices of StringList
  const char* doc = "";
  std::uint32_t flags = kParamNone;

  constexpr ParamSpec range(double lo, double hi) const {
    ParamSpec p = *this;
    p.min = lo;
    p.max = hi;
    return p;
  }
  constexpr ParamSpec at_least(double lo) const { return range(lo, max); }
  constexpr ParamSpec one_of(const char* alternatives) const {
    ParamSpec p = *this;
    p.choices = alternatives;
    return p;
  }
  constexpr ParamSpec not_in_key() const {
    ParamSpec p = *this;
    p.flags |= kParamNotInKey;
    return p;
  }
  constexpr ParamSpec in_key_when_set() const {
    ParamSpec p = *this;
    p.flags |= kParamKeyWhenSet;
    return p;
  }
  constexpr ParamSpec required() const {
    ParamSpec p = *this;
    p.default_value = nullptr;
    return p;
  }
};

constexpr ParamSpec param(const char* name, ParamType type, const char* default_value, const char* doc) {
  ParamSpec p;
  p.name = name;
  p.type = type;
  p.default_value = default_value;
  p.doc = doc;
  return p;
}

// A resolved parameter value. Lists of numbers arrive as IntList / FloatList.
using ParamValue = std::variant<std::monostate, bool, std::int64_t, double, std::string, std::vector<std::string>,
                                std::vector<std::int64_t>, std::vector<double>>;

// The validated, default-filled values of one plugin block. Getters throw std::invalid_argument naming the key
// when it is absent or of another type; the host reports that with the plugin's name.
class Params {
 public:
  Params() = default;
  explicit Params(std::map<std::string, ParamValue> values) : values_(std::move(values)) {}

  bool has(const std::string& key) const {
    auto it = values_.find(key);
    return it != values_.end() && !std::holds_alternative<std::monostate>(it->second);
  }
  const std::map<std::string, ParamValue>& values() const { return values_; }
  void set(const std::string& key, ParamValue v) { values_[key] = std::move(v); }

  bool get_bool(const std::string& key) const { return get<bool>(key, "bool"); }
  std::int64_t get_int(const std::string& key) const { return get<std::int64_t>(key, "int"); }
  double get_float(const std::string& key) const {
    const ParamValue& v = at(key);
    if (auto* i = std::get_if<std::int64_t>(&v)) return static_cast<double>(*i);
    return get<double>(key, "float");
  }
  const std::string& get_string(const std::string& key) const { return get<std::string>(key, "string"); }
  const std::vector<std::string>& get_strings(const std::string& key) const {
    return get<std::vector<std::string>>(key, "list<string>");
  }
  const std::vector<std::int64_t>& get_ints(const std::string& key) const {
    return get<std::vector<std::int64_t>>(key, "list<int>");
  }
  const std::vector<double>& get_floats(const std::string& key) const {
    return get<std::vector<double>>(key, "list<float>");
  }
  // A FloatOrChoice value: true and the number when it is numeric, false when it is one of the choices.
  bool is_number(const std::string& key) const {
    const ParamValue& v = at(key);
    return std::holds_alternative<double>(v) || std::holds_alternative<std::int64_t>(v);
  }

 private:
  const ParamValue& at(const std::string& key) const {
    auto it = values_.find(key);
    if (it == values_.end()) throw std::invalid_argument("parameter '" + key + "' is not set");
    return it->second;
  }
  template <class T>
  const T& get(const std::string& key, const char* type) const {
    const ParamValue& v = at(key);
    if (auto* p = std::get_if<T>(&v)) return *p;
    throw std::invalid_argument("parameter '" + key + "' is not of type " + type);
  }
  std::map<std::string, ParamValue> values_;
};

}  // namespace remix
