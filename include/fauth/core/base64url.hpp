/// @file
/// fauth/core/base64url.hpp — unpadded base64url (RFC 4648 section 5) as JWS uses it; strict, canonical decoding.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace fauth {

/// Appends the unpadded base64url encoding of `bytes` to `out`.
void base64url_encode(std::string_view bytes, std::string& out);

/// The unpadded base64url encoding of `bytes`.
std::string base64url_encode(std::string_view bytes);

/// How many bytes `encoded_length` base64url characters decode to (at most; exact when canonical).
constexpr std::size_t base64url_decoded_size(std::size_t encoded_length) noexcept {
    return encoded_length / 4 * 3 + (encoded_length % 4 == 0 ? 0 : encoded_length % 4 - 1);
}

/// Decodes `text` into `out` (at most `capacity` bytes) and returns the byte count; nothing
/// unless `text` is canonical (as below) and fits, with `out` then unspecified.
std::optional<std::size_t> base64url_decode(std::string_view text, char* out, std::size_t capacity) noexcept;

/// Decodes `text` into `out` (replacing its contents). False, with `out` unspecified, unless `text`
/// is canonical: only A-Z a-z 0-9 - _, no padding, a possible length, zero unused trailing bits.
bool base64url_decode(std::string_view text, std::string& out);

}  // namespace fauth
