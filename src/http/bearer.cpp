#include "fauth/http/bearer.hpp"
#include "fauth/core/ascii.hpp"

namespace fauth::http {

bool is_b64token(std::string_view t) noexcept {
    std::size_t i = 0;
    for (; i < t.size(); ++i) {
        const char c = t[i];
        const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
                        c == '.' || c == '_' || c == '~' || c == '+' || c == '/';
        if (!ok) break;
    }
    if (i == 0) return false;
    for (; i < t.size(); ++i)
        if (t[i] != '=') return false;
    return true;
}

BearerCredentials parse_bearer(std::optional<std::string_view> header) noexcept {
    using Status = BearerCredentials::Status;
    if (!header) return {};
    const auto value = trim_ows(*header);
    const auto space = value.find_first_of(" \t");
    const auto scheme = value.substr(0, space);
    if (!ascii_iequals(scheme, "bearer")) return {};  // another scheme, or an empty header
    if (space == std::string_view::npos) return {Status::malformed, {}};
    if (value[space] != ' ') return {Status::malformed, {}};
    const auto token = value.substr(space + 1);
    if (!is_b64token(token)) return {Status::malformed, {}};  // also: two spaces, or two tokens
    return {Status::present, std::string(token)};
}

}  // namespace fauth::http
