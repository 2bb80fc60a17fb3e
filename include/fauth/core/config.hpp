// fauth/core/config.hpp — everything an AuthProvider is configured with, and its validation.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fauth/core/security_event.hpp"

#include "fauth/core/clock.hpp"

namespace fauth {

class KeyRing;

class RevocationStore;
class Throttle;  // fauth/auth/revocation.hpp

/// Receives operational messages fauth must not show clients (a loader's failure, say).
using LogSink = std::function<void(std::string_view message)>;

/// Sends `message` to `log`, or to standard error when `log` is empty.
void write_log(const LogSink& log, std::string_view message);

/// A token bucket: up to `burst` attempts at once, refilled at `per_second`.
struct RateLimit {
    /// Bucket size: attempts allowed in a row.
    double burst;
    /// Attempts regained per second.
    double per_second;
};

/// Login attempts allowed per client address and per login name.
struct LoginLimits {
    /// Per client address (the socket peer, or X-Forwarded-For from a trusted proxy).
    RateLimit per_client{60, 1.0};
    /// Per login name, whoever tries it: slows password guessing spread over many addresses.
    RateLimit per_identifier{10, 10.0 / 60};
};

/// Configuration of an AuthProvider; call validate() (the provider does) before use.
struct AuthConfig {
    /// HMAC key. At least as long as the digest: 32 bytes for HS256, 48 for HS384, 64 for HS512.
    std::string secret_key;
    /// Signing algorithm, pinned: tokens naming any other `alg` are refused. HS256, HS384 or HS512.
    std::string algorithm = "HS256";
    /// Asymmetric (or several) keys instead of secret_key/algorithm: tokens are signed with the
    /// ring's signing key and carry its `kid`; a token is verified with the key its `kid` names,
    /// whose algorithm it must use. Without a signing key the provider only verifies. secret_key
    /// may then be left empty (it is still used, when set, to bind password-reset tokens).
    std::shared_ptr<KeyRing> keys;
    /// Lifetime of access tokens.
    std::chrono::seconds access_token_ttl = std::chrono::minutes(15);
    /// Lifetime of refresh tokens.
    std::chrono::seconds refresh_token_ttl = std::chrono::hours(24 * 7);
    /// Lifetime of password-reset tokens.
    std::chrono::seconds password_reset_ttl = std::chrono::minutes(15);
    /// Lifetime of email-verification tokens.
    std::chrono::seconds email_verification_ttl = std::chrono::hours(24);
    /// `iss` written into every token and required on every token verified, when set.
    std::optional<std::string> issuer;
    /// `aud` written into every token and required on every token verified, when set.
    std::optional<std::string> audience;
    /// Clock skew tolerated on `exp`, `nbf` and `iat` alike.
    std::chrono::seconds leeway{0};
    /// Path of the login endpoint, advertised as the OAuth2 password flow's tokenUrl.
    std::string token_url = "/login";
    /// Largest token accepted, in bytes; anything longer is refused before any decoding.
    std::size_t max_token_bytes = 8 * 1024;
    /// bcrypt cost (log2 rounds) for new hashes; stored hashes below it need a rehash. 4 to 31.
    int bcrypt_cost = 12;
    /// Threads that run bcrypt, so that no caller (a Pistache reactor) is ever blocked by it; a
    /// token verified again after a key fetch (JWKS) continues on them too.
    std::size_t worker_threads = 2;
    /// Password checks that may wait for a worker; beyond this, authenticate answers Unavailable.
    std::size_t worker_queue_capacity = 1024;
    /// Added to the nice value of those threads (Linux: per thread), so that a login flood
    /// yields the CPU to request handling instead of starving guarded routes. 0 to 19.
    int worker_nice = 10;
    /// Time source; the system clock when empty.
    Clock clock;
    /// Where operational errors and security events go; standard error when empty.
    LogSink log;
    /// Receives security events (logins, refused tokens, 403s, reuse, revocations, throttling);
    /// when empty they go to `log` as JSON lines.
    SecurityEventSink security_events;
    /// How many login attempts are allowed (429 with Retry-After beyond them).
    LoginLimits login_limits;
    /// Where login attempts are counted; a MemoryThrottle when empty. Use a RedisThrottle to
    /// count across processes.
    std::shared_ptr<Throttle> login_throttle;
    /// Peers (exact addresses) trusted to say who the client is in X-Forwarded-For; none by
    /// default, so the client address is always the socket peer.
    std::vector<std::string> trusted_proxies;
    /// Largest login or refresh body accepted, in bytes; larger ones get 413.
    std::size_t max_login_body_bytes = 4096;
    /// Where revocations and used refresh tokens are kept; an in-process MemoryRevocationStore
    /// when empty. Share one RedisRevocationStore between processes that serve the same users.
    std::shared_ptr<RevocationStore> revocation_store;

    /// Throws ConfigError naming the field to fix when the configuration is unusable.
    void validate() const;
    /// The current time from `clock`, or the system clock.
    std::chrono::system_clock::time_point now() const;
    /// Sends `message` to `log`, or to standard error when no log is set.
    void write_log(std::string_view message) const;
    /// Sends `event` to `security_events`, or as a JSON line to the log when that is not set.
    void report(const SecurityEvent& event) const;

private:
    void validate_secret() const;
    void validate_rest() const;
};

}  // namespace fauth
