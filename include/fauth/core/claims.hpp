/// @file
/// fauth/core/claims.hpp — the claims of a token (TokenPayload) and the token types fauth issues.
#pragma once

#include <algorithm>
#include <array>
#include <compare>
#include <functional>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "fauth/core/clock.hpp"

namespace fauth {

/// What a token may be used for; a token is only ever accepted for its own type.
enum class TokenType {
    access,              ///< a request's credentials
    refresh,             ///< exchanged for a new pair (AuthProvider::refresh)
    password_reset,      ///< a password reset link's
    email_verification,  ///< an e-mail address's confirmation link's
    second_factor,       ///< a password login's first step, when the user has a second factor: it only finishes that login
};

/// The wire name of a token type, as written in the `token_type` claim.
std::string_view to_string(TokenType type) noexcept;
/// The token type named `name`, or nothing for an unknown name.
std::optional<TokenType> token_type_from_string(std::string_view name) noexcept;

/// True for the claims fauth owns (sub, exp, iat, nbf, jti, token_type, scopes, iss, aud, fam,
/// iat_us, auth_time, auth_time_us, fresh, acr, amr), which extra claims can never set.
bool is_registered_claim(std::string_view name) noexcept;
/// True for the registered claims fauth reads itself from a trusted issuer's token (sub, exp, iat,
/// nbf, jti, token_type, iss, aud, acr, amr). The others (scopes, fam, iat_us, auth_time, auth_time_us,
/// fresh) are that issuer's own business: they stay in TokenPayload::extra, for its claim paths.
bool is_read_from_external_tokens(std::string_view name) noexcept;

/// An authentication method of RFC 8176's registry: the values of `amr` fauth knows.
enum class AuthMethod : std::uint8_t {
    face,    ///< facial recognition
    fpt,     ///< fingerprint
    geo,     ///< geolocation
    hwk,     ///< proof of possession of a hardware-secured key (a device-bound passkey)
    iris,    ///< iris scan
    kba,     ///< knowledge-based authentication
    mca,     ///< multiple-channel authentication
    mfa,     ///< multiple-factor authentication: more than one of the others' kinds
    otp,     ///< a one-time password (TOTP, a recovery code)
    pin,     ///< a personal identification number or pattern
    pop,     ///< proof of possession of a key
    pwd,     ///< a password
    rba,     ///< risk-based authentication
    retina,  ///< retina scan
    sc,      ///< a smart card
    sms,     ///< confirmation by text message
    swk,     ///< proof of possession of a software-secured key (a synced passkey)
    tel,     ///< confirmation by telephone call
    user,    ///< a user presence test (a passkey's)
    vbm,     ///< voice biometric
    wia,     ///< Windows integrated authentication
};

/// The RFC 8176 name of `method` ("pwd", "otp", ...).
std::string_view to_string(AuthMethod method) noexcept;
/// The method RFC 8176 names `name`, or nothing for a name outside its registry.
std::optional<AuthMethod> auth_method_from_string(std::string_view name) noexcept;

/// A set of authentication methods (the `amr` claim, RFC 8176), held in one word: reading a token's
/// `amr` allocates nothing. Names outside RFC 8176's registry are not kept.
class AuthMethods {
public:
    /// No method (a session the application began itself).
    constexpr AuthMethods() noexcept = default;
    /// The methods listed.
    constexpr AuthMethods(std::initializer_list<AuthMethod> methods) noexcept {
        for (const auto m : methods) add(m);
    }
    /// True when `method` is in the set.
    constexpr bool has(AuthMethod method) const noexcept { return (bits_ & bit(method)) != 0; }
    /// Adds `method`.
    constexpr void add(AuthMethod method) noexcept { bits_ |= bit(method); }
    /// True for no method.
    constexpr bool empty() const noexcept { return bits_ == 0; }
    /// The methods' names in RFC 8176's order (alphabetical), as the claim is written.
    std::vector<std::string_view> names() const;
    /// True when both hold the same methods.
    friend constexpr bool operator==(AuthMethods a, AuthMethods b) noexcept = default;

private:
    static constexpr std::uint32_t bit(AuthMethod method) noexcept { return std::uint32_t{1} << static_cast<unsigned>(method); }
    std::uint32_t bits_ = 0;
};

/// The `acr` fauth writes for a session begun with one factor (a password): NIST SP 800-63B's
/// authenticator assurance level 1.
inline constexpr std::string_view kAcrOneFactor = "aal1";
/// The `acr` fauth writes for a session begun with two factors (a password and a one-time code, or
/// a passkey with user verification): assurance level 2. Rule::second_factor demands it.
inline constexpr std::string_view kAcrTwoFactors = "aal2";

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
    /// How the user authenticated when the session began (claim `amr`, RFC 8176): fauth's own
    /// tokens carry pwd for a password, otp beside it for a second factor, hwk or swk with user
    /// for a passkey, mfa for two factors; refresh keeps them. A trusted issuer's as it wrote them
    /// (the registered names only). Empty for a session the application began itself. (On the
    /// wire fauth leaves out an `amr` of just pwd, and an `acr` its amr implies, to keep a login
    /// token small: both are read back as written here.)
    AuthMethods amr;
    /// The authentication context class of the session (claim `acr`): fauth's own tokens say
    /// kAcrOneFactor or kAcrTwoFactors (refresh keeps it); a trusted issuer's as it wrote it; empty
    /// when none. Rule::acr and Rule::second_factor read it (RFC 9470's step-up).
    std::string acr;
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
