// fauth/http/jwks.hpp — publishing a key ring's public keys (RFC 7517 JWK Set, plus an
// OpenID-style discovery document), and a key ring that verifies with an issuer's published keys.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>

#include "fauth/http/endpoint.hpp"
#include "fauth/core/keys.hpp"

namespace Pistache::Http::Experimental {
class Client;
}

namespace fauth::http {

/// GET handler for the JWK Set of `ring`'s current public keys (HMAC keys are never included).
/// Cache-Control allows caches to keep it for `max_age`.
Endpoint jwks_endpoint(std::shared_ptr<const KeyRing> ring, std::chrono::seconds max_age = std::chrono::minutes(5));

/// GET handler for a minimal OpenID Provider Metadata document naming `issuer`, `jwks_uri`,
/// `token_endpoint` and the algorithms of `ring`'s keys.
Endpoint discovery_endpoint(std::shared_ptr<const KeyRing> ring, std::string issuer, std::string jwks_uri,
                            std::string token_endpoint);

/// How a JwksKeyRing fetches.
struct JwksOptions {
    /// The issuer's JWK Set, e.g. "http://127.0.0.1:8001/.well-known/jwks.json".
    std::string url;
    /// At most one fetch per this interval, however many unknown kids arrive.
    std::chrono::seconds min_refresh_interval = std::chrono::seconds(30);
    /// How long one fetch may take.
    std::chrono::milliseconds timeout = std::chrono::seconds(5);
    /// Largest JWK Set accepted, in bytes.
    std::size_t max_bytes = 256 * 1024;
};

/// A verify-only key ring holding an issuer's published keys: fetched with Pistache's HTTP
/// client, kept when the issuer is unreachable, refreshed when a token names an unknown kid (at
/// most once per min_refresh_interval). Give it to AuthConfig::keys of a provider without a
/// secret and without an identity loader.
class JwksKeyRing final : public KeyRing {
public:
    /// Starts the HTTP client; fetches nothing yet (see fetch). Throws ConfigError for a URL
    /// that is not http://host[:port]/path.
    explicit JwksKeyRing(JwksOptions options);
    ~JwksKeyRing() override;

    /// Fetches the key set now, whatever the rate limit; resolves true when it was replaced,
    /// false when the issuer could not be reached or answered something unusable (the cached
    /// set stays). Never rejects.
    Pistache::Async::Promise<bool> fetch();
    /// fetch, unless one ran less than min_refresh_interval ago (then resolves false at once).
    void refresh_for(std::string kid, std::function<void(bool changed)> done) override;
    /// Fetches that succeeded so far.
    std::size_t fetches() const noexcept;

private:
    struct State;  // what the client's callbacks share; never the client itself
    std::shared_ptr<State> state_;
    std::mutex fetch_mutex_;  // serialises fetches around client_
    // Owned here, not by the callbacks' state, so that it is always destroyed (and its thread
    // joined) on the owner's thread, never on its own.
    std::unique_ptr<Pistache::Http::Experimental::Client> client_;
};

}  // namespace fauth::http
