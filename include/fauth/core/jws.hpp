/// @file
/// fauth/core/jws.hpp — verifying a bare JWS (RFC 7515 compact serialisation) with a key set: the
/// header and the signature, nothing about claims. For tokens (claims, times, issuers), use the
/// Verifier (fauth/core/verifier.hpp) or a TokenCodec.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "fauth/core/keys.hpp"

namespace fauth {

/// A JWS whose signature a key of the set has checked: what verify_jws returns.
struct JwsVerified {
    /// The protected header, every member as the signer wrote it (alg, kid, typ, and any other).
    nlohmann::json header;
    /// The payload: the signed bytes, base64url-decoded and not interpreted (possibly empty).
    std::string payload;
    /// The key that verified the signature.
    Key key;
};

/// Verifies the compact JWS `token` with `keys`, and nothing else: its payload is returned
/// unread. The protected header must be strict JSON (UTF-8, no member twice) with `alg` a string,
/// never "none" in any case and, when `algorithms` is not empty, one of them; `kid` a string when
/// present; no `crit` (fauth understands no extension header, so RFC 7515 section 4.1.11 makes
/// any `crit` fatal). `typ`, `jwk`, `jku`, `x5c`, `x5u` are returned, never used to find a key.
/// The key: the one `kid` names for `alg` or, for a token without `kid`, the set's only key for
/// `alg` (refused when it holds several). Every key is bound to one algorithm (the one its JWK
/// declares, or it was made for), so an HMAC `alg` never selects an RSA or EC key. Segments must
/// be canonical base64url. Throws InvalidToken with the reason ("signature mismatch", "unknown
/// kid", "algorithm not allowed", "alg none is not accepted", ...) for every bad input.
JwsVerified verify_jws(std::string_view token, const KeySet& keys, std::span<const std::string> algorithms = {});

}  // namespace fauth
