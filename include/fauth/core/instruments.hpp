/// @file
/// fauth/core/instruments.hpp — every instrument fauth records, in one list: their names (in the
/// OpenTelemetry style, each beginning "fauth."), units, meanings and attributes, and the enumerations
/// that name each attribute's values. docs/guides/metrics.md lists the same (a test compares).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "fauth/core/errors.hpp"
#include "fauth/core/metrics.hpp"

namespace fauth::instruments {

/// fauth's instruments.
enum class Id : std::uint8_t {
    authentication_attempts,  ///< fauth.authentication.attempts: guarded requests, by scheme, result and error type
    authentication_duration,  ///< fauth.authentication.duration: from credentials read to user loaded (or refusal)
    authorization_refusals,   ///< fauth.authorization.refusals: authenticated callers refused by a route, by rule kind
    sign_ins,                 ///< fauth.sign_ins: password logins, by result and error type
    sign_outs,                ///< fauth.sign_outs: sessions ended by logout
    refresh_attempts,         ///< fauth.refresh.attempts: refresh requests, by result and error type
    refresh_rotations,        ///< fauth.refresh.rotations: new pairs handed out, first use or a repeat within grace
    refresh_reuse,            ///< fauth.refresh.reuse_detected: used refresh tokens that came back (families revoked)
    revocations,              ///< fauth.revocations: revocations written, by kind
    throttle_refusals,        ///< fauth.throttle.refusals: attempts refused by a throttle, by bucket
    password_queue_depth,     ///< fauth.password.queue.depth: password checks admitted and not finished (gauge)
    password_queue_wait,      ///< fauth.password.queue.wait: from admission to a worker starting the check
    password_refusals,        ///< fauth.password.refusals: password checks refused for overload (503)
    store_duration,           ///< fauth.store.duration: revocation store and throttle operations, by store and operation
    store_failures,           ///< fauth.store.failures: those that failed
    key_fetches,              ///< fauth.keys.fetches: JWKS and discovery fetches, by kind and result
    key_age,                  ///< fauth.keys.age: since each trusted issuer's keys were last fetched (gauge)
};

/// fauth.result: whether it succeeded.
enum class Result : std::uint8_t { success, failure };

/// fauth.scheme: fauth::Scheme's values in its order, then none (no credentials).
enum class SchemeValue : std::uint8_t { bearer, cookie, api_key, dpop, none };

/// error.type: none (""), then fauth::ErrorKind's values in its order, then not_authenticated (no credentials).
enum class ErrorType : std::uint8_t { none = 0, not_authenticated = 16 };
/// The error.type of `kind`.
constexpr ErrorType error_type(ErrorKind kind) noexcept { return static_cast<ErrorType>(static_cast<int>(kind) + 1); }

/// fauth.rule.kind: what an authenticated caller lacked.
enum class RuleKind : std::uint8_t { role, permission, scope, predicate, fresh_token, authentication };

/// fauth.rotation.kind: a first use, or a repeat within AuthConfig::refresh_repeat_grace.
enum class RotationKind : std::uint8_t { first_use, repeat };

/// fauth.revocation.kind: what was revoked, and why.
enum class RevocationKind : std::uint8_t { logout, revoke_all, reuse };

/// fauth.throttle.bucket: AuthConfig::login_limits' and refresh_limits' buckets.
enum class ThrottleBucket : std::uint8_t {
    login_client,
    login_client_identifier,
    login_identifier,
    login_device,
    refresh_client,
    refresh_family,
    second_factor_client,
    second_factor_user_client,
    second_factor_user,
    other,
};

/// fauth.store: which kind of store (RevocationStore::kind, Throttle::kind).
enum class StoreKind : std::uint8_t { memory, redis, other };

/// fauth.store.operation: the store's operations.
enum class StoreOperation : std::uint8_t {
    is_revoked,
    revoke_token,
    revoke_family,
    revoke_subject,
    use_refresh,
    throttle_hit,
};

/// fauth.fetch.kind: what was fetched from an identity provider.
enum class FetchKind : std::uint8_t { jwks, discovery };

/// The spec of instrument `id`.
const InstrumentSpec& spec(Id id) noexcept;
/// Every instrument's spec, in Id's order.
std::span<const InstrumentSpec> all() noexcept;
/// `spec(id)` in `sink` (off when `sink` is null).
inline Instrument make(const std::shared_ptr<MetricsSink>& sink, Id id) { return Instrument(sink, spec(id)); }

/// The index of `name` among `kind`'s values ("memory", "redis"; anything else is other).
StoreKind store_kind(std::string_view name) noexcept;
/// The throttle key of `bucket` for `suffix` (a client address, a digest, a family id): its
/// bucket's prefix ("client:", "device:", ...) and `suffix`. fauth makes every key of its own
/// here, so that throttle_bucket can tell a key's bucket.
std::string throttle_key(ThrottleBucket bucket, std::string_view suffix);
/// The bucket of a key throttle_key made (other for any other key).
ThrottleBucket throttle_bucket(std::string_view key) noexcept;

}  // namespace fauth::instruments
