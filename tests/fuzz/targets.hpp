// The fuzz targets: each takes any bytes and must neither crash nor throw anything but the
// documented errors. libFuzzer drives them (scripts/fuzz); fuzz_regression_test replays the seed
// corpora and every input that once failed (tests/fuzz/regressions/) in the normal test run.
#pragma once

#include <cstddef>
#include <cstdint>

namespace fauth::fuzz {

/// TokenCodec::verify (HS256) on `data` as a token.
int token_verify(const std::uint8_t* data, std::size_t size);
/// The flat JSON object reader on `data`, checked against nlohmann's parser: both accept or both
/// refuse, and an accepted object has the same members with the same values.
int json_object(const std::uint8_t* data, std::size_t size);
/// read_own_claims on `data` as a decoded payload, checked against read_claims_generally: a payload
/// the fast reader accepts, the general one accepts too, with an equal TokenPayload (every field,
/// `extra` included); one the general reader refuses, the fast one declines.
int own_claims_reader(const std::uint8_t* data, std::size_t size);
/// parse_bearer on `data` as an Authorization header value.
int bearer(const std::uint8_t* data, std::size_t size);
/// parse_login_request and parse_refresh_request on `data` as a form and as a JSON body.
int token_request(const std::uint8_t* data, std::size_t size);
/// verify_password with `data` as the stored hash, and as the password.
int password_verify(const std::uint8_t* data, std::size_t size);

}  // namespace fauth::fuzz
