// own_claims_reader.hpp — this service's own claims read straight from the one layout write_claims
// gives them, byte by byte, without the general JSON reader; any other text is declined, for
// read_claims's general reader to judge.
#pragma once

#include <optional>
#include <string_view>

#include "fauth/core/claims.hpp"

namespace fauth::detail {

/// The claims in `json` (a decoded payload of this service's own) when it is exactly as
/// write_claims writes them: sub, exp, iat (an integer, or six decimals), iat_us, auth_time
/// (likewise), auth_time_us, nbf, jti, token_type, scopes, iss, aud, fam and fresh in that order,
/// the optional ones present or not, then other claims with increasing keys; no whitespace, no
/// escape, integers only but for the two time claims, every string valid UTF-8. Nothing (declined)
/// for any other text: it accepts only what read_claims's general reader accepts for ClaimShape::own,
/// and gives the same TokenPayload. Throws nothing but std::bad_alloc.
std::optional<TokenPayload> read_own_claims(std::string_view json);

}  // namespace fauth::detail
