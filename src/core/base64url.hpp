// base64url.hpp — unpadded base64url (RFC 4648 section 5) as JWS uses it; strict, canonical decoding.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace fauth::detail {

/// Appends the unpadded base64url encoding of `bytes` to `out`.
void base64url_encode(std::string_view bytes, std::string& out);

/// The unpadded base64url encoding of `bytes`.
std::string base64url_encode(std::string_view bytes);

/// Decodes `text` into `out` (replacing its contents). False, with `out` unspecified, unless `text`
/// is canonical: only A-Z a-z 0-9 - _, no padding, a possible length, zero unused trailing bits.
bool base64url_decode(std::string_view text, std::string& out);

}  // namespace fauth::detail
