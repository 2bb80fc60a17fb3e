/// @file
/// fauth/oidc/jwks.hpp — a key ring that verifies with an identity provider's published keys: its
/// JWK Set (RFC 7517), found directly or through OpenID Connect Discovery / RFC 8414 metadata,
/// fetched over HTTPS with libcurl on a thread the ring owns, cached, and refreshed in the
/// background and when a token names a key the ring has not seen.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "fauth/core/config.hpp"
#include "fauth/core/keys.hpp"
#include "fauth/core/metrics.hpp"
#include "fauth/oidc/fetch.hpp"

/// What comes from identity providers over the network (link fauth::oidc): their keys (JWK Sets,
/// discovery), token introspection, and the HTTPS fetch under both.
namespace fauth::oidc {

/// Where a JwksKeyRing finds keys and how often it looks.
struct JwksOptions {
    /// The JWK Set's URL, e.g., "https://login.example.com/.well-known/jwks.json". Leave it empty
    /// and set `issuer` to find it by discovery.
    std::string url;
    /// The issuer, e.g., "https://keycloak.example.com/realms/main". With no `url`, the ring reads
    /// {issuer}/.well-known/openid-configuration (OpenID Connect Discovery 1.0; RFC 8414's
    /// oauth-authorization-server document when that is missing), requires its "issuer" to equal
    /// this exactly, and uses its "jwks_uri".
    std::string issuer;
    /// The algorithms an RSA key published without "alg" verifies (Microsoft Entra ID publishes
    /// its keys that way): RS256, RS384, RS512, PS256, PS384 or PS512.
    std::vector<std::string> rsa_algorithms{"RS256"};
    /// At most one fetch per this interval for tokens that name an unknown kid, however many come.
    std::chrono::seconds min_refresh_interval = std::chrono::seconds(30);
    /// The keys are fetched again in the background after the answer's Cache-Control max-age,
    /// held between these bounds; `default_max_age` when the answer has none.
    std::chrono::seconds min_max_age = std::chrono::minutes(1);
    /// The upper bound of that interval (see min_max_age).
    std::chrono::seconds max_max_age = std::chrono::hours(24);
    /// The interval when the answer has no max-age (see min_max_age).
    std::chrono::seconds default_max_age = std::chrono::hours(1);
    /// After a failed fetch, the next background attempt comes this much later.
    std::chrono::seconds retry_after = std::chrono::seconds(30);
    /// Until a first key set is loaded, failed attempts are retried sooner: after this, then
    /// twice as long each time, up to retry_after (a service that starts before its provider
    /// gets its keys soon after the provider is up).
    std::chrono::milliseconds first_retry = std::chrono::seconds(1);
    /// How fetches are made: trusted CAs, plain-http hosts, timeouts, size limit (1 MiB).
    FetchOptions fetch;
    /// Where skipped keys and failed fetches are reported (standard error when empty).
    LogSink log;
    /// Where its fetches (fauth.keys.fetches) and its keys' age (fauth.keys.age) are recorded;
    /// nothing when empty. Usually the provider's TokenConfig::metrics.
    std::shared_ptr<MetricsSink> metrics;
};

/// A verify-only key ring holding an identity provider's published keys. Give it to
/// TokenConfig::keys (or an issuer's keys). One thread of its own fetches; it is started by the
/// constructor and joined by the destructor, which cancels a fetch under way. The cached keys stay
/// in use while the provider cannot be reached. Thread-safe.
///
/// To serve at once while the provider may be down, make the AuthProvider (which checks the
/// configuration) and call fetch_in_background() instead of fetch_now(): until the keys arrive, a
/// trusted issuer's tokens are answered 503 with Retry-After (keys_pending), not 401.
class JwksKeyRing final : public KeyRing {
public:
    /// Checks the options (ConfigError names what is wrong: no url or issuer, a URL that is not
    /// https:// nor loopback, bad bounds, an unreadable CA file) and starts the fetching thread.
    /// Nothing is fetched yet: call fetch_now, or let the first token's unknown kid fetch.
    explicit JwksKeyRing(JwksOptions options);
    ~JwksKeyRing() override;

    /// Fetches now, whatever the rate limit (joining a fetch under way), and waits at most
    /// `wait` for it: true when a key set was loaded, false when the provider could not be
    /// reached, answered something unusable, or took longer (the cached set stays).
    bool fetch_now(std::chrono::milliseconds wait = std::chrono::seconds(10));
    /// Starts a fetch now, whatever the rate limit, and returns at once; until a key set is
    /// loaded, failed attempts are retried in the background (first_retry, doubling up to
    /// retry_after).
    void fetch_in_background();
    /// While no key set has been loaded yet: how long until the next attempt, at least one
    /// second (for a Retry-After). Nullopt once keys were loaded: they stay, whatever comes after.
    std::optional<std::chrono::seconds> keys_pending() const;
    /// The options it was made with.
    const JwksOptions& options() const noexcept { return options_; }
    /// Asks for a fetch unless one was started less than min_refresh_interval ago (a fetch under
    /// way or asked for answers every caller); `done` runs once, on the ring's thread when it
    /// fetched (at once when rate-limited), with true when a key set was loaded. `done` must not
    /// own the ring.
    void refresh_for(std::string kid, std::function<void(bool changed)> done) override;
    /// Fetches of the key set that succeeded so far.
    std::size_t fetches() const;
    /// The JWK Set URL in use: the configured one, or the one discovery found (empty until then).
    std::string jwks_url() const;

private:
    void run();
    bool fetch_once();
    std::optional<std::string> discover();
    void log(const std::string& message) const noexcept;

    const JwksOptions options_;
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    std::vector<std::function<void(bool)>> waiting_;  // answered after the next fetch
    bool forced_ = false;
    bool stopping_ = false;
    bool fetching_ = false;
    std::optional<std::chrono::steady_clock::time_point> last_attempt_;
    std::chrono::steady_clock::time_point next_background_;
    std::size_t fetches_ = 0;
    std::chrono::milliseconds next_retry_;  // the wait after the next failure, before the first key set
    std::string jwks_url_;
    std::optional<std::chrono::steady_clock::time_point> loaded_at_;  // of the keys in use
    Instrument fetch_count_;                                          // fauth.keys.fetches
    GaugeRegistration age_;                                           // fauth.keys.age; released first
    std::atomic<bool> cancel_{false};
    std::thread thread_;  // last: started once everything above exists
};

}  // namespace fauth::oidc
