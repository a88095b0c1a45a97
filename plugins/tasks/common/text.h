// Small text helpers the task plugins share: reading a data file (a missing one is a DataError naming it),
// file:line labels, templates with {name} fields, and cutting generated text at a stop string.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace remix::tasks {

// The whole file; DataError "<what> not found: <path>" (or "cannot read") otherwise.
std::string read_text_file(const std::string& path, const std::string& what = "data file");
// "path:line", the prefix of every message about one record.
std::string where(const std::string& path, std::int64_t line);

std::string trim(const std::string& s);
bool starts_with(const std::string& s, const std::string& prefix);
bool ends_with(const std::string& s, const std::string& suffix);
std::string replace_all(std::string s, const std::string& from, const std::string& to);
std::vector<std::string> split(const std::string& s, char sep);

// Replaces every {key} by its value; a {key} without a value throws std::invalid_argument naming it.
std::string fill_template(const std::string& tmpl, const std::map<std::string, std::string>& values);

// `text` up to the first occurrence of any stop string (all of it when none occurs).
std::string cut_at_stop(const std::string& text, const std::vector<std::string>& stops);

}  // namespace remix::tasks
