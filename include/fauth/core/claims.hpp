/// @file
/// fauth/core/claims.hpp — the claims of a token (TokenPayload) and the token types fauth issues.
#pragma once

#include <algorithm>
#include <array>
#include <compare>
#include <functional>
#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "fauth/core/clock.hpp"

namespace fauth {

/// What a token may be used for; a token is only ever accepted for its own type.
enum class TokenType { access, refresh, password_reset, email_verification };

/// The wire name of a token type, as written in the `token_type` claim.
std::string_view to_string(TokenType type) noexcept;
/// The token type named `name`, or nothing for an unknown name.
std::optional<TokenType> token_type_from_string(std::string_view name) noexcept;

/// True for the claims fauth owns (sub, exp, iat, nbf, jti, token_type, scopes, iss, aud, fam,
/// iat_us, auth_time, auth_time_us, fresh), which extra claims can never set.
bool is_registered_claim(std::string_view name) noexcept;
/// True for the registered claims fauth reads itself from a trusted issuer's token (sub, exp, iat,
/// nbf, jti, token_type, iss, aud). The others (scopes, fam, iat_us, auth_time, auth_time_us,
/// fresh) are that issuer's own business: they stay in TokenPayload::extra, for its claim paths.
bool is_read_from_external_tokens(std::string_view name) noexcept;

/// A token's id (TokenPayload::jti, TokenPayload::family) held by value: an id of up to
/// inline_capacity characters (fauth's own: 22 base64url characters, 32 hex digits before 0.2;
/// a UUID; Okta's "AT." ids) lives inside the object, so reading a token allocates nothing for
/// it; a longer one (RFC 7519 bounds no jti, and a trusted issuer may write any) is kept whole,
/// on the heap. Reads as a std::string_view; str() copies it into a std::string. Ordered and
/// hashed (std::hash<TokenId>) as its characters.
class TokenId {
public:
    /// The longest id held without a heap allocation.
    static constexpr std::size_t inline_capacity = 47;

    /// The empty id (a token without one).
    TokenId() noexcept = default;
    /// The id `id`, whatever its length.
    explicit TokenId(std::string_view id) { assign(id); }
    /// Makes this the id `id`, whatever its length.
    TokenId& operator=(std::string_view id) {
        assign(id);
        return *this;
    }

    /// The id's characters, valid while this id lives unchanged.
    std::string_view view() const noexcept {
        return long_.empty() ? std::string_view(inline_.data(), inline_size_) : std::string_view(long_);
    }
    /// The id as a string view, so that it goes wherever one is taken.
    operator std::string_view() const noexcept { return view(); }
    /// The id as a std::string (a copy).
    std::string str() const { return std::string(view()); }
    /// True for no id.
    bool empty() const noexcept { return inline_size_ == 0 && long_.empty(); }
    /// The id's length in characters.
    std::size_t size() const noexcept { return view().size(); }

    /// True when both are the same id.
    friend bool operator==(const TokenId& a, const TokenId& b) noexcept { return a.view() == b.view(); }
    /// True when the id is `text`.
    friend bool operator==(const TokenId& a, std::string_view text) noexcept { return a.view() == text; }
    /// Orders ids as their characters do (so that they key a std::map or std::set).
    friend std::strong_ordering operator<=>(const TokenId& a, const TokenId& b) noexcept { return a.view() <=> b.view(); }

private:
    void assign(std::string_view id);

    std::string long_;                            // an id beyond inline_capacity, else empty (no allocation)
    std::array<char, inline_capacity> inline_{};  // an id within it
    std::uint8_t inline_size_ = 0;
};

/// Writes the id's characters.
std::ostream& operator<<(std::ostream& out, const TokenId& id);

}  // namespace fauth

/// @cond
// Hashes an id as its characters (so that it keys a std::unordered_map). Doxygen cannot place a
// specialization of std::hash, so it is left out of the API reference (TokenId's page says it).
template <>
struct std::hash<fauth::TokenId> {
    std::size_t operator()(const fauth::TokenId& id) const noexcept { return std::hash<std::string_view>{}(id.view()); }
};
/// @endcond

namespace fauth {

/// The claims of a token. Times are seconds since the Unix epoch.
struct TokenPayload {
    /// Subject: the user id the user_loader looks up.
    std::string sub;
    /// Expiry; required on every token.
    std::int64_t exp = 0;
    /// Issue time (the whole second; fauth's own tokens write `iat` to the microsecond, see iat_us).
    std::int64_t iat = 0;
    /// Issue time in microseconds (fauth's own tokens: `iat` with its six decimals, or the older
    /// integer claim `iat_us`, else the start of `iat`'s second); 0 for a trusted issuer's token
    /// or a token without `iat`; see issued_at_us().
    std::int64_t iat_us = 0;
    /// When the session this token belongs to began, i.e., when its user logged in (claim
    /// `auth_time`, as in OpenID Connect); refresh keeps it, so a session has an absolute end.
    /// fauth writes none when it equals iat (a login's tokens) and reads that as iat.
    std::optional<std::int64_t> auth_time;
    /// auth_time in microseconds (`auth_time` with its six decimals, or the older claim
    /// `auth_time_us`, else the start of its second); for fauth's own tokens without `auth_time`,
    /// iat_us; 0 for a trusted issuer's token; see session_started_us().
    std::int64_t auth_time_us = 0;
    /// True for a token issued by a password login (claim `fresh`), false for one issued by a
    /// refresh: routes for sensitive actions (require_fresh_user) accept only fresh tokens. A
    /// trusted issuer's token is never fresh here (its `fresh` claim, if any, stays in `extra`).
    bool fresh = false;
    /// Not-before time, when the token carries one.
    std::optional<std::int64_t> nbf;
    /// Unique token id: 128 random bits as 22 base64url characters (32 hex digits before 0.2);
    /// a trusted issuer's as it wrote it, or empty when it wrote none.
    TokenId jti;
    /// What the token may be used for.
    TokenType token_type = TokenType::access;
    /// OAuth2-style scopes granted to the token (claim `scopes`, not written when empty).
    std::vector<std::string> scopes;
    /// Issuer, when the token carries one.
    std::optional<std::string> iss;
    /// Audiences, when the token carries any.
    std::vector<std::string> aud;
    /// Session family (claim `fam`): shared by every token descending from one login, so that
    /// logout and refresh-token reuse can end the whole session. Empty when the token has none.
    TokenId family;
    /// Roles a trusted issuer granted, read from its role claims (TrustedIssuer::role_claims);
    /// empty for this service's own tokens, whose roles come from your user_loader.
    std::vector<std::string> roles;
    /// True for a trusted issuer's token (TokenConfig::issuers): its session is its issuer's.
    bool external = false;
    /// Every other claim, as a JSON object; never contains a registered claim (for a trusted
    /// issuer's token, `scopes` and `fam` are not registered: they are read as its claim paths say).
    /// Null, not an empty object, when there is none (so that reading such a token allocates
    /// nothing): `find`, `contains`, `size`, `empty`, `items` and a non-const `[]` take null as
    /// no claims, but `value()` and a const `[]` throw on null: use claim(), or check is_object().
    nlohmann::json extra;

    /// The extra claim `name`, or null when the token has none of that name (whether or not
    /// `extra` is null): `if (const auto* email = p.claim("email"); email && email->is_string())`.
    const nlohmann::json* claim(std::string_view name) const noexcept;
    /// True when `scope` is among `scopes`.
    bool has_scope(std::string_view scope) const noexcept;
    /// The issue time in microseconds: `iat_us`, or for a token without it the start of its `iat`
    /// second (so revoke_all treats it as issued as early as it may have been).
    std::int64_t issued_at_us() const noexcept { return iat_us != 0 ? iat_us : microseconds_of(iat); }
    /// When the session of this token began, in microseconds: `auth_time_us`, else the start of
    /// its `auth_time` second, else (a token outside any session) issued_at_us().
    std::int64_t session_started_us() const noexcept {
        return auth_time_us != 0 ? auth_time_us : auth_time ? microseconds_of(*auth_time) : issued_at_us();
    }
    /// The moment revoke_all judges this token by: the earlier of its issue and its session's
    /// start, so that every token of a session that began before revoke_all is covered, however
    /// late a refresh racing it issued the token.
    std::int64_t revocation_time_us() const noexcept { return std::min(issued_at_us(), session_started_us()); }
};

}  // namespace fauth
