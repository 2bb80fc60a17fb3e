// fauth/core/internal/ascii.hpp — ASCII case folding and header whitespace, the one copy fauth uses (header
// names, auth schemes, algorithm names, login names): only A-Z fold, never by locale.
#pragma once

#include <string>
#include <string_view>

namespace fauth {

/// `c` with A-Z folded to a-z; every other byte as it is.
constexpr char ascii_lower(char c) noexcept { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

/// `text` with A-Z folded to a-z.
inline std::string ascii_lower(std::string_view text) {
    std::string out(text);
    for (auto& c : out) c = ascii_lower(c);
    return out;
}

/// True when `a` and `b` are equal but for the case of ASCII letters.
constexpr bool ascii_iequals(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
    return true;
}

/// True for the whitespace HTTP allows around header values and list items (RFC 9110 OWS).
constexpr bool is_ows(char c) noexcept { return c == ' ' || c == '\t'; }

/// `text` without leading and trailing spaces and tabs.
constexpr std::string_view trim_ows(std::string_view text) noexcept {
    while (!text.empty() && is_ows(text.front())) text.remove_prefix(1);
    while (!text.empty() && is_ows(text.back())) text.remove_suffix(1);
    return text;
}

}  // namespace fauth
