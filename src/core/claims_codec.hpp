// claims_codec.hpp — the claims of a token as JSON text and back: this service's own claims written and
// read, and a trusted issuer's read as far as every token shares them (the issuer's policy reads
// the rest from TokenPayload::extra). Syntax only: what the claims must say is the Verifier's.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "fauth/core/claims.hpp"

namespace fauth::detail {

/// Throws std::invalid_argument unless `extra` is null or an object naming no registered claim.
void check_extra(const nlohmann::json& extra);

/// The JSON text of `payload`, registered claims first, then `extra`'s. Throws
/// std::invalid_argument for an `extra` check_extra refuses or one that is not valid UTF-8.
std::string write_claims(const TokenPayload& payload);

// How fauth's own tokens say how their session began, in as few bytes as the quickstart's 300-byte
// login token allows: a password login's (amr pwd, acr kAcrOneFactor, the common case) writes
// neither claim; every other writes its amr ("amr":[] for a session the application began) and
// its acr when it has one. Both readers fill in what is left out (own shape only: a trusted
// issuer's token says what it says). A token from before amr was written reads as a password
// login's: the weakest there is, so that it meets no demand for a second factor.
inline const AuthMethods kImpliedMethods{AuthMethod::pwd};
inline std::string_view implied_acr(AuthMethods amr) noexcept {
    return amr == kImpliedMethods ? kAcrOneFactor : std::string_view();
}

/// Whose claims a payload holds.
enum class ClaimShape {
    own,       ///< this service's: jti and a known token_type required, fauth's claims read
    external,  ///< a trusted issuer's: jti and token_type optional (token_type "access" if any);
               ///< scopes, fam, fresh and the microsecond times are its own business, kept in extra
};

/// The claims in `json` (a decoded payload): sub and exp required, every registered claim of
/// `shape` checked for its type and range, every other claim kept in `extra`. Throws InvalidToken.
/// This service's own payloads in write_claims's layout are read by read_own_claims, the rest by
/// read_claims_generally, to the same result.
TokenPayload read_claims(std::string_view json, ClaimShape shape);

/// read_claims through the general JSON object reader alone, whatever the layout: the reference
/// read_own_claims is held to (its tests and the own_claims_reader fuzz target).
TokenPayload read_claims_generally(std::string_view json, ClaimShape shape);

/// The `iss` a payload claims, read before anything is verified, only to choose whose keys verify
/// it. Throws InvalidToken when the payload is not a JSON object or `iss` is not a string.
std::optional<std::string> claimed_issuer(std::string_view json);

}  // namespace fauth::detail
