// json_writer.hpp — appends JSON text for the few value shapes a claims set needs, straight into
// the output buffer (no DOM): strings, integers and lists of strings.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace fauth::detail {

/// Appends `value` as a JSON string (quotes, escapes as nlohmann writes them). Throws
/// std::invalid_argument when `value` is not well-formed UTF-8.
void append_json_string(std::string& out, std::string_view value);
/// Appends `value` as a JSON array of strings.
void append_json_strings(std::string& out, const std::vector<std::string>& value);
/// Appends `value` as a JSON integer.
void append_json_integer(std::string& out, std::int64_t value);

}  // namespace fauth::detail
