// Text helpers (see text.h).
#include "tasks/common/text.h"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "remix/errors.h"

namespace remix::tasks {

std::string read_text_file(const std::string& path, const std::string& what) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) throw DataError(what + " not found: " + path);
  if (std::filesystem::is_directory(path, ec)) throw DataError(what + " is a directory, not a file: " + path);
  std::ifstream in(path, std::ios::binary);
  if (!in) throw DataError("cannot read " + what + " " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string where(const std::string& path, std::int64_t line) { return path + ":" + std::to_string(line); }

std::string trim(const std::string& s) {
  const char* ws = " \t\r\n";
  auto b = s.find_first_not_of(ws);
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(ws) - b + 1);
}

bool starts_with(const std::string& s, const std::string& prefix) { return s.compare(0, prefix.size(), prefix) == 0; }

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (std::size_t pos = 0; (pos = s.find(from, pos)) != std::string::npos; pos += to.size())
    s.replace(pos, from.size(), to);
  return s;
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> parts;
  std::string cur;
  for (char c : s) {
    if (c == sep) {
      parts.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  parts.push_back(cur);
  return parts;
}

std::string fill_template(const std::string& tmpl, const std::map<std::string, std::string>& values) {
  std::string out;
  for (std::size_t i = 0; i < tmpl.size();) {
    auto close = tmpl[i] == '{' ? tmpl.find('}', i) : std::string::npos;
    if (close == std::string::npos) {
      out += tmpl[i++];
      continue;
    }
    std::string key = tmpl.substr(i + 1, close - i - 1);
    auto it = values.find(key);
    if (it == values.end())
      throw std::invalid_argument("template '" + tmpl + "' uses {" + key + "}, which has no value");
    out += it->second;
    i = close + 1;
  }
  return out;
}

std::string cut_at_stop(const std::string& text, const std::vector<std::string>& stops) {
  std::size_t end = text.size();
  for (const auto& stop : stops)
    if (!stop.empty()) end = std::min(end, text.find(stop));
  return text.substr(0, end);
}

}  // namespace remix::tasks
