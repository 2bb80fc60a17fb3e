#include "fauth/core/instruments.hpp"

#include <array>
#include <string>
#include <vector>

namespace fauth::instruments {

namespace {

std::string error_kind_name(ErrorKind kind) {
    switch (kind) {  // every kind (-Wswitch): the names are ErrorKind's enumerators
        case ErrorKind::invalid_token: return "invalid_token";
        case ErrorKind::token_expired: return "token_expired";
        case ErrorKind::session_expired: return "session_expired";
        case ErrorKind::invalid_api_key: return "invalid_api_key";
        case ErrorKind::invalid_dpop_proof: return "invalid_dpop_proof";
        case ErrorKind::dpop_nonce_required: return "dpop_nonce_required";
        case ErrorKind::invalid_credentials: return "invalid_credentials";
        case ErrorKind::user_not_found: return "user_not_found";
        case ErrorKind::stale_token: return "stale_token";
        case ErrorKind::inactive_user: return "inactive_user";
        case ErrorKind::forbidden: return "forbidden";
        case ErrorKind::bad_request: return "bad_request";
        case ErrorKind::throttled: return "throttled";
        case ErrorKind::unavailable: return "unavailable";
        case ErrorKind::internal: return "internal";
    }
    return "internal";
}

static_assert(static_cast<int>(ErrorKind::internal) + 2 == static_cast<int>(ErrorType::not_authenticated),
              "error.type: none, ErrorKind's values, not_authenticated");

AttributeSpec result() { return {"fauth.result", {"success", "failure"}}; }
AttributeSpec scheme() { return {"fauth.scheme", {"bearer", "cookie", "api_key", "dpop", "none"}}; }
AttributeSpec error() {
    AttributeSpec spec{"error.type", {""}};
    for (int k = 0; k <= static_cast<int>(ErrorKind::internal); ++k)
        spec.values.push_back(error_kind_name(static_cast<ErrorKind>(k)));
    spec.values.push_back("not_authenticated");
    return spec;
}

// Seconds, from 5 µs (a token verified at once) to 2.5 s (a store or a key fetch that waits).
std::vector<double> fast_buckets() {
    return {5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 1e-2, 2.5e-2, 5e-2, 0.1, 0.25, 0.5, 1, 2.5};
}

std::vector<InstrumentSpec> make_specs() {
    using K = InstrumentKind;
    std::vector<InstrumentSpec> specs;
    specs.push_back({"fauth.authentication.attempts",
                     K::counter,
                     "{attempt}",
                     "Requests to guarded routes by the scheme that carried their credentials, the result and why it failed.",
                     {scheme(), result(), error()},
                     {}});
    specs.push_back({"fauth.authentication.duration",
                     K::histogram,
                     "s",
                     "Time from reading a request's credentials to its user loaded or its refusal.",
                     {scheme(), result()},
                     fast_buckets()});
    specs.push_back(
        {"fauth.authorization.refusals",
         K::counter,
         "{refusal}",
         "Authenticated callers a route's rule refused (403), or its need of a fresh token (401), by what they lacked.",
         {{"fauth.rule.kind", {"role", "permission", "scope", "predicate", "fresh_token", "authentication"}}},
         {}});
    specs.push_back(
        {"fauth.sign_ins", K::counter, "{sign_in}", "Password logins by result and why they failed.", {result(), error()}, {}});
    specs.push_back({"fauth.sign_outs", K::counter, "{sign_out}", "Sessions ended by logout.", {}, {}});
    specs.push_back({"fauth.refresh.attempts",
                     K::counter,
                     "{attempt}",
                     "Refresh requests by result and why they failed.",
                     {result(), error()},
                     {}});
    specs.push_back({"fauth.refresh.rotations",
                     K::counter,
                     "{rotation}",
                     "New token pairs handed out for a refresh token: its first use, or a repeat within the grace period.",
                     {{"fauth.rotation.kind", {"first_use", "repeat"}}},
                     {}});
    specs.push_back({"fauth.refresh.reuse_detected",
                     K::counter,
                     "{reuse}",
                     "Used refresh tokens presented again: each revoked its session family.",
                     {},
                     {}});
    specs.push_back({"fauth.revocations",
                     K::counter,
                     "{revocation}",
                     "Revocations written, by what caused them.",
                     {{"fauth.revocation.kind", {"logout", "revoke_all", "reuse"}}},
                     {}});
    specs.push_back({"fauth.throttle.refusals",
                     K::counter,
                     "{refusal}",
                     "Attempts a throttle refused (429), by bucket.",
                     {{"fauth.throttle.bucket",
                       {"login_client", "login_client_identifier", "login_identifier", "login_device", "refresh_client",
                        "refresh_family", "second_factor_client", "second_factor_user_client", "second_factor_user", "other"}}},
                     {}});
    specs.push_back(
        {"fauth.password.queue.depth", K::gauge, "{check}", "Password checks and hashes admitted and not finished.", {}, {}});
    specs.push_back({"fauth.password.queue.wait",
                     K::histogram,
                     "s",
                     "Time a password check or hash waited for a password worker.",
                     {},
                     {1e-3, 5e-3, 1e-2, 2.5e-2, 5e-2, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}});
    specs.push_back({"fauth.password.refusals",
                     K::counter,
                     "{refusal}",
                     "Password checks refused for overload (503): the expected wait or the client's share exceeded.",
                     {},
                     {}});
    const AttributeSpec store{"fauth.store", {"memory", "redis", "other"}};
    const AttributeSpec operation{"fauth.store.operation",
                                  {"is_revoked", "revoke_token", "revoke_family", "revoke_subject", "use_refresh",
                                   "throttle_hit"}};
    specs.push_back({"fauth.store.duration",
                     K::histogram,
                     "s",
                     "Duration of revocation store and throttle operations, by store and operation.",
                     {store, operation},
                     fast_buckets()});
    specs.push_back({"fauth.store.failures",
                     K::counter,
                     "{failure}",
                     "Revocation store and throttle operations that failed (fauth then refuses: it fails closed).",
                     {store, operation},
                     {}});
    specs.push_back({"fauth.keys.fetches",
                     K::counter,
                     "{fetch}",
                     "Fetches of trusted issuers' JWK Sets and OpenID discovery documents, by kind and result.",
                     {{"fauth.fetch.kind", {"jwks", "discovery"}}, result()},
                     {}});
    specs.push_back({"fauth.keys.age",
                     K::gauge,
                     "s",
                     "Time since each key ring's keys were last fetched.",
                     {{"fauth.keys.url", {}}},
                     {},
                     GaugeMerge::max});
    return specs;
}

const std::vector<InstrumentSpec>& specs() {
    static const std::vector<InstrumentSpec> list = make_specs();  // constant once made
    return list;
}

}  // namespace

const InstrumentSpec& spec(Id id) noexcept { return specs()[static_cast<std::size_t>(id)]; }

std::span<const InstrumentSpec> all() noexcept { return specs(); }

StoreKind store_kind(std::string_view name) noexcept {
    if (name == "memory") return StoreKind::memory;
    if (name == "redis") return StoreKind::redis;
    return StoreKind::other;
}

namespace {

// Each bucket's key prefix, in ThrottleBucket's order (other has none). None is a prefix of another.
constexpr std::string_view kThrottlePrefixes[] = {"client:",
                                                  "client-identifier:",
                                                  "identifier:",
                                                  "device:",
                                                  "refresh-client:",
                                                  "family:",
                                                  "second-factor-client:",
                                                  "second-factor-user-client:",
                                                  "second-factor:",
                                                  ""};
static_assert(std::size(kThrottlePrefixes) == static_cast<std::size_t>(ThrottleBucket::other) + 1);

}  // namespace

std::string throttle_key(ThrottleBucket bucket, std::string_view suffix) {
    return std::string(kThrottlePrefixes[static_cast<std::size_t>(bucket)]).append(suffix);
}

ThrottleBucket throttle_bucket(std::string_view key) noexcept {
    for (std::size_t b = 0; b < static_cast<std::size_t>(ThrottleBucket::other); ++b)
        if (key.starts_with(kThrottlePrefixes[b])) return static_cast<ThrottleBucket>(b);
    return ThrottleBucket::other;
}

}  // namespace fauth::instruments
