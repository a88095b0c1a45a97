// Final-number extraction and comparison (see final_number.h).
#include "tasks/math/final_number.h"

#include <cctype>
#include <vector>

namespace remix::tasks::math {

namespace {

bool is_digit(char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; }

// The number token starting at text[i] (a digit, or a sign / '.' followed by one), or "" when none starts there.
// `end` is set past it.
std::string number_at(const std::string& text, std::size_t i, std::size_t& end) {
  std::size_t j = i;
  std::string token;
  if (text[j] == '-' || text[j] == '+') {
    bool can_be_sign = i == 0 || !(std::isalnum(static_cast<unsigned char>(text[i - 1])) || text[i - 1] == ')');
    if (!can_be_sign) return "";
    token += text[j++];
  }
  std::size_t digits_start = j;
  while (j < text.size() && is_digit(text[j])) token += text[j++];
  // Thousands groups: a comma followed by exactly three digits (and no fourth).
  while (j > digits_start && j + 3 < text.size() && text[j] == ',' && is_digit(text[j + 1]) && is_digit(text[j + 2]) &&
         is_digit(text[j + 3]) && (j + 4 >= text.size() || !is_digit(text[j + 4]))) {
    token += text.substr(j + 1, 3);
    j += 4;
  }
  if (j + 1 < text.size() && text[j] == '.' && is_digit(text[j + 1])) {
    token += text[j++];
    while (j < text.size() && is_digit(text[j])) token += text[j++];
  }
  bool has_digit = false;
  for (char c : token) has_digit = has_digit || is_digit(c);
  if (!has_digit) return "";
  end = j;
  return token;
}

std::vector<std::string> numbers_in(const std::string& text, std::size_t from) {
  std::vector<std::string> found;
  for (std::size_t i = from; i < text.size();) {
    std::size_t end = i;
    std::string token = number_at(text, i, end);
    if (token.empty()) {
      ++i;
    } else {
      found.push_back(token);
      i = end;
    }
  }
  return found;
}

}  // namespace

std::optional<std::string> final_number(const std::string& text) {
  auto marker = text.find("####");
  if (marker != std::string::npos) {
    std::size_t i = marker + 4;
    while (i < text.size() && (text[i] == ' ' || text[i] == '$' || text[i] == '\t')) ++i;
    std::size_t end = i;
    if (i < text.size()) {
      std::string token = number_at(text, i, end);
      if (!token.empty()) return token;
    }
    return std::nullopt;
  }
  auto all = numbers_in(text, 0);
  if (all.empty()) return std::nullopt;
  return all.back();
}

std::string canonical_number(const std::string& token) {
  std::string sign, digits;
  for (char c : token) {
    if (c == '-')
      sign = "-";
    else if (c != '+' && c != ',')
      digits += c;
  }
  auto dot = digits.find('.');
  std::string whole = digits.substr(0, dot), frac = dot == std::string::npos ? "" : digits.substr(dot + 1);
  while (!frac.empty() && frac.back() == '0') frac.pop_back();
  std::size_t nz = whole.find_first_not_of('0');
  whole = nz == std::string::npos ? "0" : whole.substr(nz);
  if (whole == "0" && frac.empty()) sign.clear();  // -0 is 0
  return sign + whole + (frac.empty() ? "" : "." + frac);
}

bool same_number(const std::string& a, const std::string& b) { return canonical_number(a) == canonical_number(b); }

}  // namespace remix::tasks::math
