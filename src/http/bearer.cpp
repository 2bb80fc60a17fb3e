#include "fauth/http/bearer.hpp"
#include "fauth/core/internal/ascii.hpp"

#include <array>
#include <cstddef>

namespace fauth::http {

namespace {

// RFC 6750 b64token characters, before any trailing '=': one table lookup per character.
constexpr std::array<bool, 256> make_b64token_chars() {
    std::array<bool, 256> table{};
    for (int c = 'A'; c <= 'Z'; ++c) table[static_cast<std::size_t>(c)] = true;
    for (int c = 'a'; c <= 'z'; ++c) table[static_cast<std::size_t>(c)] = true;
    for (int c = '0'; c <= '9'; ++c) table[static_cast<std::size_t>(c)] = true;
    for (const char c : {'-', '.', '_', '~', '+', '/'}) table[static_cast<unsigned char>(c)] = true;
    return table;
}
constexpr auto kB64TokenChars = make_b64token_chars();

}  // namespace

bool is_b64token(std::string_view t) noexcept {
    std::size_t i = 0;
    while (i < t.size() && kB64TokenChars[static_cast<unsigned char>(t[i])]) ++i;
    if (i == 0) return false;
    for (; i < t.size(); ++i)
        if (t[i] != '=') return false;
    return true;
}

BearerCredentials parse_bearer(std::optional<std::string_view> header) noexcept { return parse_authorization(header, "bearer"); }

BearerCredentials parse_authorization(std::optional<std::string_view> header, std::string_view auth_scheme) noexcept {
    using Status = BearerCredentials::Status;
    if (!header) return {};
    const auto value = trim_ows(*header);
    const auto space = value.find_first_of(" \t");
    const auto scheme = value.substr(0, space);
    if (!ascii_iequals(scheme, auth_scheme)) return {};  // another scheme, or an empty header
    if (space == std::string_view::npos) return {Status::malformed, {}};
    if (value[space] != ' ') return {Status::malformed, {}};
    const auto token = value.substr(space + 1);
    if (!is_b64token(token)) return {Status::malformed, {}};  // also: two spaces, or two tokens
    return {Status::present, std::string(token)};
}

}  // namespace fauth::http
