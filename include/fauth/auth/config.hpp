/// @file
/// fauth/auth/config.hpp — everything an AuthProvider is configured with: its token settings (the
/// core's TokenConfig) plus passwords, workers, stores, throttling and sessions; and its validation.
/// How requests carry credentials is the http layer's configuration (fauth/http/config.hpp).
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "fauth/auth/passkeys.hpp"
#include "fauth/auth/second_factor.hpp"
#include "fauth/core/config.hpp"

namespace fauth {

class RevocationStore;  // fauth/auth/revocation.hpp
class Throttle;         // fauth/auth/throttle.hpp

/// Login attempts allowed per client address, per client address and login name, and per login
/// name. A client that spends its budget for a name is refused for that name alone: the same
/// name from other addresses still gets through, until guesses from many addresses spend the
/// name's own, much larger budget.
struct LoginLimits {
    /// Per client address (the socket peer, or X-Forwarded-For from a trusted proxy; IPv6
    /// addresses grouped by http::HttpConfig::ipv6_client_prefix).
    RateLimit per_client{60, 1.0};
    /// Per client address and login name: one address guessing one name. Its burst must be
    /// smaller than per_identifier's and its rate at most per_identifier's, so that one address
    /// alone, however long it keeps guessing, can never spend the name's own budget.
    RateLimit per_client_identifier{10, 10.0 / 3600};
    /// Per login name, from every address together (counted only for attempts the two limits
    /// above let through): slows guessing spread over many addresses.
    RateLimit per_identifier{100, 100.0 / 3600};
    /// Per device: a client that shows the device cookie a successful login as this name gave it
    /// (OWASP's "device cookies", http::HttpConfig::device_cookie) is counted on a budget of its
    /// own, instead of the two per-name ones above, so that guesses from other addresses, however many, cannot lock the name's
    /// owner out on a device they used before. A stolen device cookie buys no more than this.
    RateLimit per_device{10, 10.0 / 3600};
};

/// Refresh attempts allowed per client address and per session.
struct RefreshLimits {
    /// Per client address (grouped as for login), counted before the body is read.
    RateLimit per_client{60, 1.0};
    /// Per session family, counted once the refresh token's signature has been verified, so that
    /// only a holder of one of the session's tokens can spend its budget.
    RateLimit per_family{10, 1.0 / 30};
};

/// How `*` in granted scopes and permissions is read (fauth::grants in fauth/auth/access.hpp).
/// Matching is per `:`-separated segment, never by prefix: `notes:*` never grants `notesadmin:read`.
struct Wildcards {
    /// A `*` segment after the first grants exactly one segment in its place: `notes:*` grants
    /// `notes:read` and `notes:write`, but neither `notes` nor `notes:drafts:read`.
    bool segments = true;
    /// A lone `*` grants everything, and a `*` first segment any first segment (`*:read` grants
    /// `billing:read`). Off by default: a grant that wide should be chosen.
    bool everything = false;
};

/// API keys for machine clients (fauth/core/api_key.hpp, AuthProvider::set_api_key_loader): their
/// format. Where requests carry them is http::HttpConfig::api_keys.
struct ApiKeySettings {
    /// What every key starts with (`<prefix>_...`): 1 to 16 lower-case letters and digits.
    std::string prefix = "fauth";
};

/// Configuration of an AuthProvider: its token settings and its own; call validate() (the
/// provider does) before use.
struct AuthConfig {
    /// What tokens are signed and verified with (secret or keys, issuers, lifetimes, clock, log).
    TokenConfig tokens;
    /// bcrypt cost (log2 rounds) for new hashes; stored hashes below it need a rehash. 4 to 31.
    int bcrypt_cost = 12;
    /// Threads that run bcrypt, so that no caller (a Pistache reactor) is ever blocked by it.
    std::size_t worker_threads = 2;
    /// Password checks admitted at once, at most (queued, running, or waiting for a callback
    /// thread), whatever max_password_wait allows; beyond this, authenticate answers Unavailable.
    std::size_t worker_queue_capacity = 1024;
    /// Threads (`fauth-callback`) on which your code continues after fauth's own threads: after a
    /// password check (authenticate's promise, the rehash hook) and after a key fetch (your
    /// loader and handler). Your code never runs on a password worker or a fetching thread.
    std::size_t callback_threads = 2;
    /// Requests that may wait at once for a key ring to fetch a key their token names (JWKS);
    /// beyond this they are answered Unavailable (503) at once.
    std::size_t max_key_fetch_waits = 1024;
    /// The longest a password check may expect to wait for a worker (the checks ahead of it times
    /// the measured time of one, shared among worker_threads); beyond it authenticate answers
    /// Unavailable at once (the login endpoint's 503, with that wait as Retry-After), so that a
    /// login flood cannot make a real login wait for minutes.
    std::chrono::milliseconds max_password_wait{3000};
    /// Password checks one client address may have waiting or running at once at the login
    /// endpoint (503 beyond), so that a few clients cannot take every place in the queue.
    std::size_t max_password_checks_per_client = 2;
    /// Added to the nice value of those threads (Linux: per thread), so that a login flood
    /// yields the CPU to request handling instead of starving guarded routes. 0 to 19. At 15,
    /// two busy password threads sharing a core with a busy reactor thread get 7% of it.
    int worker_nice = 15;
    /// Where revocations and used refresh tokens are kept; an in-process MemoryRevocationStore
    /// when empty. Share one RedisRevocationStore between processes that serve the same users.
    std::shared_ptr<RevocationStore> revocation_store;
    /// How many login attempts are allowed (429 with Retry-After beyond them).
    LoginLimits login_limits;
    /// How long a session lasts at most, from its login, however often it is refreshed: beyond
    /// it refresh answers 401 "Session expired" and the user logs in again. At most 100 years.
    std::chrono::seconds session_lifetime = std::chrono::hours(24 * 30);
    /// How many refresh attempts are allowed (429 with Retry-After beyond them).
    RefreshLimits refresh_limits;
    /// A refresh token presented again this soon after its first use gets the same new pair as
    /// that use instead of counting as theft: two tabs refreshing at once, a request sent again
    /// after its answer was lost, a Redis command re-sent after a dropped connection. Whoever
    /// holds the token within this time gets the pair its first use got, and a later use of
    /// either copy's refresh token makes the other reuse. 0: every repeat is reuse. At most 60 s.
    std::chrono::seconds refresh_repeat_grace{10};
    /// Where login and refresh attempts are counted; a MemoryThrottle when empty. Use a
    /// RedisThrottle to count across processes.
    std::shared_ptr<Throttle> throttle;

    /// A second factor after the password (TOTP and recovery codes): off without a store.
    SecondFactorSettings second_factor;
    /// Passkeys (WebAuthn): a sign-in without a password, which counts as two factors. Off without a store.
    PasskeySettings passkeys;

    /// How `*` is read in scopes and permissions that rules check.
    Wildcards wildcards;
    /// API keys: their prefix.
    ApiKeySettings api_keys;

    /// Throws ConfigError naming the field to fix when the configuration is unusable (the token
    /// settings included).
    void validate() const;
    /// The current time from tokens.clock, or the system clock.
    std::chrono::system_clock::time_point now() const { return tokens.now(); }
    /// Sends `message` to tokens.log, or to standard error when no log is set.
    void write_log(std::string_view message) const { tokens.write_log(message); }
    /// Sends `event` to tokens.security_events, or as a JSON line to the log when that is not set.
    void report(const SecurityEvent& event) const { tokens.report(event); }
};

}  // namespace fauth
