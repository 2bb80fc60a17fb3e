/// @file
/// fauth/http/bearer.hpp — reading a bearer token from an Authorization header value (RFC 6750).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace fauth::http {

/// What an Authorization header said about a bearer token.
struct BearerCredentials {
    /// Whether a bearer token was sent, and whether it was well-formed.
    enum class Status {
        absent,     ///< no Authorization header, or another scheme (Basic, ...)
        malformed,  ///< the Bearer scheme without exactly one well-formed token
        present,    ///< a token; see `token`
    };
    /// The outcome.
    Status status = Status::absent;
    /// The token when status is present.
    std::string token;
};

/// True when `text` is one RFC 6750 b64token: A-Z a-z 0-9 - . _ ~ + / (at least one), then any '='.
bool is_b64token(std::string_view text) noexcept;

/// Parses an Authorization header value: the scheme is case-insensitive, then exactly one space
/// and one token of RFC 6750 b64token characters (A-Z a-z 0-9 `-._~+/`, then any '=').
/// Surrounding spaces and tabs are ignored. `header` is nothing when no header was sent.
BearerCredentials parse_bearer(std::optional<std::string_view> header) noexcept;
/// parse_bearer for the token-carrying auth-scheme `scheme` ("DPoP": RFC 9449 section 7.1 reads
/// its token as Bearer's).
BearerCredentials parse_authorization(std::optional<std::string_view> header, std::string_view scheme) noexcept;

}  // namespace fauth::http
