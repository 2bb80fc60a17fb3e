/// @file
/// fauth/auth/principal.hpp — who a guarded request comes from: a user, the scheme that
/// authenticated it (a bearer token, the session cookie or an API key) and the scopes it carries.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fauth/core/token.hpp"

namespace fauth {

/// A way a request authenticates.
enum class Scheme : std::uint8_t {
    bearer,   ///< `Authorization: Bearer <access token>`
    cookie,   ///< the session's access cookie (http::HttpConfig::cookies)
    api_key,  ///< an API key in its header (http::HttpConfig::api_keys)
    dpop,     ///< `Authorization: DPoP <access token>` with its `DPoP` proof (RFC 9449; http::HttpConfig::dpop)
};

/// "bearer", "cookie", "api_key" or "dpop".
std::string_view scheme_name(Scheme scheme) noexcept;

/// An API key as stored: never the key itself, only its SHA-256 (fauth/core/api_key.hpp).
struct ApiKey {
    /// The lookup part of the key (NewApiKey::id).
    std::string id;
    /// SHA-256 of the whole key, hex (NewApiKey::hash).
    std::string hash;
    /// The id of the user the key acts for (its `user_id`).
    std::string owner;
    /// What the key may do; rules read them as a token's scopes.
    std::vector<std::string> scopes;
    /// A name its owner gave it ("ci", "backup job").
    std::string name;
    /// When it stops working, in Unix seconds; never when empty.
    std::optional<std::int64_t> expires_at;
    /// When it was last used, in Unix seconds, as the store last recorded it.
    std::optional<std::int64_t> last_used_at;
    /// Revoked: it never works again.
    bool revoked = false;
    /// When it was made, in Unix seconds, when the store says.
    std::optional<std::int64_t> created_at;
};

/// What an api_key_loader finds for a key's lookup part: the key and the user who owns it, in
/// one look-up (a join), so that a request by API key costs one loader call.
template <class User>
struct KeyOwner {
    /// The stored key.
    ApiKey key;
    /// Its owner (user_id(user) must be key.owner).
    User user;
};

/// The authenticated caller of a guarded route, as handlers taking a Principal see it.
template <class User>
struct Principal {
    /// The user: a token's subject, or the owner of an API key.
    const User& user;
    /// The scheme that authenticated the request.
    Scheme scheme;
    /// The scopes granted: the token's, or the API key's.
    const std::vector<std::string>& scopes;
    /// The verified token (bearer and cookie), else null.
    const TokenPayload* token = nullptr;
    /// The API key (api_key), else null.
    const ApiKey* key = nullptr;
};

}  // namespace fauth
