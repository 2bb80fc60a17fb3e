// jws.hpp — JWS compact serialisation (RFC 7515 section 7.1): a token split into its segments,
// its protected header read strictly, and signing and verifying through a Key. Which key, and
// what the claims must say, is the Verifier's business (fauth/core/verifier.hpp).
#pragma once

#include <string>
#include <string_view>

#include "fauth/core/keys.hpp"

namespace fauth::detail {

/// A compact JWS split into its three non-empty segments, still base64url.
struct CompactJws {
    std::string_view header_b64;
    std::string_view payload_b64;
    std::string_view signature_b64;
    std::string_view signing_input;  ///< header_b64 '.' payload_b64: what the signature covers
};

/// `token` split into its segments. Throws InvalidToken unless it has exactly three, none empty.
CompactJws split_compact(std::string_view token);

/// What a protected header says, once checked: the algorithm it names and its key id.
struct JoseHeader {
    std::string alg;
    std::string kid;
    bool has_kid = false;
    bool at_jwt = false;  ///< typ says at+jwt (RFC 9068)
};

/// Checks a decoded protected header: `alg` present and never "none", no `crit`, `typ` JWT or
/// at+jwt if present, `kid` a string if present. When `pinned` is given, `alg` must be exactly it.
/// Throws InvalidToken.
JoseHeader read_header(std::string_view json, std::string_view pinned);

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
