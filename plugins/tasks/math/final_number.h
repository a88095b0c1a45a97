// The final number of a math answer, and when two numbers are the same.
//
// The final number is the one right after the first "####" (GSM8K's answer marker; "$" and spaces may come
// between), or, when the text has no "####", the last number in it. A number is an optional sign, digits
// with optional thousands groups ("1,000": the commas are dropped; "12,34" is two numbers) and an optional
// decimal part. A '-' is a sign only where it cannot be a minus: not right after a digit, letter or ')', so
// "17-3=14" ends in 14, not -14. Two numbers are the same when they are numerically equal as decimals:
// "3.0" = "3" = "03" and "3.50" = "3.5", "-0" = "0"; "-3" differs from "3". No rounding: "0.333" is not "1/3".
#pragma once

#include <optional>
#include <string>

namespace remix::tasks::math {

std::optional<std::string> final_number(const std::string& text);
// The canonical decimal form of a number token: no commas, no '+', no leading zeros, no trailing decimal zeros.
std::string canonical_number(const std::string& token);
bool same_number(const std::string& a, const std::string& b);

}  // namespace remix::tasks::math
