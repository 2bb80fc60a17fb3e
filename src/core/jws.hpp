// jws.hpp — JWS compact serialisation (RFC 7515 section 7.1): a token split into its segments,
// its protected header read strictly, and signing and verifying through a Key. Which key, and
// what the claims must say, is the Verifier's business (fauth/core/verifier.hpp).
#pragma once

#include <string>
#include <string_view>

#include "fauth/core/errors.hpp"
#include "fauth/core/keys.hpp"

namespace fauth::detail {

/// A compact JWS split into its three non-empty segments, still base64url.
struct CompactJws {
    std::string_view header_b64;
    std::string_view payload_b64;
    std::string_view signature_b64;
    std::string_view signing_input;  ///< header_b64 '.' payload_b64: what the signature covers
};

/// `token` split into its segments. Throws InvalidToken unless it has exactly three, none empty
/// (but the payload, when `empty_payload` allows it: a JWS may sign nothing, a JWT never does).
CompactJws split_compact(std::string_view token, bool empty_payload = false);

/// What a protected header says, once checked: the algorithm it names and its key id.
struct JoseHeader {
    std::string alg;
    std::string kid;
    bool has_kid = false;
    bool at_jwt = false;  ///< typ says at+jwt (RFC 9068)
    std::string typ;      ///< as written; empty when absent
};

/// Which `typ` values a header may have: a JWT's (JWT, at+jwt, or none), or any string.
enum class TypRule { jwt, any };

/// Checks a decoded protected header: `alg` present and never "none", no `crit`, `typ` a string
/// that `typ_rule` accepts if present, `kid` a string if present. When `pinned` is given, `alg`
/// must be exactly it. Throws InvalidToken.
JoseHeader read_header(std::string_view json, std::string_view pinned, TypRule typ_rule = TypRule::jwt);

/// The key of `keys` that verifies a token with `header`, among those `usable` accepts (the
/// caller's rules on algorithms): the key with its kid for its alg or, for a token without kid,
/// the only key of the set for its alg. Null when its kid names no key at all (the caller decides
/// whether to look further). Throws InvalidToken: "algorithm not allowed" (the kid names keys,
/// none usable for alg), "token has no kid" (no key for alg), "token has no kid and several keys
/// could verify it".
template <class Usable>
const Key* select_key(const KeySet& keys, const JoseHeader& header, const Usable& usable) {
    if (header.has_kid) {
        const Key* key = keys.find(header.kid, header.alg);
        if (key != nullptr && usable(*key)) return key;
        if (key != nullptr || keys.find(header.kid) != nullptr) throw InvalidToken("algorithm not allowed");
        return nullptr;
    }
    const Key* only = nullptr;
    for (const auto& key : keys.keys()) {
        if (key.algorithm() != header.alg || !usable(key)) continue;
        if (only != nullptr) throw InvalidToken("token has no kid and several keys could verify it");
        only = &key;
    }
    if (only == nullptr) throw InvalidToken("token has no kid");
    return only;
}

/// True when `header_b64` is exactly the header `key` signs with, which then needs no parsing
/// (a key's own tokens, the common case: no allocation).
bool is_own_header(const Key& key, std::string_view header_b64) noexcept;

/// Throws InvalidToken unless `jws`'s signature is `key`'s signature of its signing input
/// ("signature is not canonical base64url", "signature mismatch"). Allocates only for a
/// signature longer than any RSA-8192 one.
void verify_signature(const Key& key, const CompactJws& jws);

/// The compact JWS of `payload` (the claims' JSON text) under `key`'s own header. Throws
/// std::logic_error when the key cannot sign, std::runtime_error when OpenSSL fails.
std::string sign_compact(const Key& key, std::string_view payload);

}  // namespace fauth::detail
