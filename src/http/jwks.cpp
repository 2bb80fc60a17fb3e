#include "fauth/http/jwks.hpp"

#include <pistache/client.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <mutex>
#include <thread>

#include "fauth/auth/detail/promise.hpp"
#include "fauth/core/errors.hpp"
#include "fauth/http/response.hpp"

namespace fauth::http {
namespace {

// A started HTTP client for fetching JWK Sets.
std::unique_ptr<Pistache::Http::Experimental::Client> make_client(const JwksOptions& options) {
    auto client = std::make_unique<Pistache::Http::Experimental::Client>();
    client->init(Pistache::Http::Experimental::Client::options()
                     .threads(1)
                     // A fresh connection per fetch: fetches are rare, and 0.0.5's pool never
                     // recovers a kept-alive connection the issuer closed.
                     .keepAlive(false)
                     .maxConnectionsPerHost(2)
                     .maxResponseSize(options.max_bytes));
    return client;
}

std::int64_t steady_seconds() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace

Endpoint jwks_endpoint(std::shared_ptr<const KeyRing> ring, std::chrono::seconds max_age) {
    Endpoint endpoint([ring, max_age](const Pistache::Rest::Request&, Pistache::Http::ResponseWriter writer) {
        writer.headers().add<Pistache::Http::Header::CacheControl>(std::vector<Pistache::Http::CacheDirective>{
            Pistache::Http::CacheDirective(Pistache::Http::CacheDirective::Public),
            Pistache::Http::CacheDirective(Pistache::Http::CacheDirective::MaxAge, max_age)});
        send_json(writer, Pistache::Http::Code::Ok, ring->current()->jwks());
    });
    endpoint.doc.summary = "The public keys that verify this service's tokens (JWK Set, RFC 7517)";
    endpoint.doc.tags = {"Keys"};
    return endpoint;
}

Endpoint discovery_endpoint(std::shared_ptr<const KeyRing> ring, std::string issuer, std::string jwks_uri,
                            std::string token_endpoint) {
    Endpoint endpoint([=](const Pistache::Rest::Request&, Pistache::Http::ResponseWriter writer) {
        auto algorithms = nlohmann::json::array();
        for (const auto& key : ring->current()->keys())
            if (!key.is_symmetric() && std::find(algorithms.begin(), algorithms.end(), key.algorithm()) == algorithms.end())
                algorithms.push_back(key.algorithm());
        send_json(writer, Pistache::Http::Code::Ok,
                  {{"issuer", issuer},
                   {"jwks_uri", jwks_uri},
                   {"token_endpoint", token_endpoint},
                   {"id_token_signing_alg_values_supported", algorithms},
                   {"token_endpoint_auth_methods_supported", {"none"}},
                   {"grant_types_supported", {"password", "refresh_token"}}});
    });
    endpoint.doc.summary = "OpenID-style provider metadata: where the keys and the token endpoint are";
    endpoint.doc.tags = {"Keys"};
    return endpoint;
}

struct JwksKeyRing::State {
    JwksOptions options;
    std::atomic<std::thread::id> client_thread{};  // where the client's callbacks run
    std::atomic<bool> client_failed{false};
    std::mutex mutex;
    JwksKeyRing* ring = nullptr;  // null once the ring is gone
    std::atomic<std::int64_t> last_attempt{-1'000'000};
    std::atomic<std::size_t> fetches{0};
};

JwksKeyRing::JwksKeyRing(JwksOptions options) : state_(std::make_shared<State>()) {
    if (!options.url.starts_with("http://") || options.url.size() <= 7)
        throw ConfigError("JwksOptions.url must be an http:// URL of the issuer's JWK Set");
    if (options.min_refresh_interval.count() < 0 || options.timeout.count() <= 0 || options.max_bytes == 0)
        throw ConfigError("JwksOptions: intervals, timeout and size must be positive");
    state_->options = std::move(options);
    state_->ring = this;
    client_ = make_client(state_->options);
}

JwksKeyRing::~JwksKeyRing() {
    {
        std::lock_guard lock(state_->mutex);
        state_->ring = nullptr;
    }
    std::lock_guard lock(fetch_mutex_);
    if (std::this_thread::get_id() == state_->client_thread.load()) {
        // The last owner let go inside one of the client's own callbacks: its thread cannot join
        // itself, so a short-lived thread stops the client once this callback has returned.
        std::thread([client = std::move(client_)]() mutable {
            client->shutdown();
            client.reset();
        }).detach();
        return;
    }
    client_->shutdown();
    client_.reset();  // joins the client's thread here, on the owner's thread
}

std::size_t JwksKeyRing::fetches() const noexcept { return state_->fetches.load(); }

Pistache::Async::Promise<bool> JwksKeyRing::fetch() {
    state_->last_attempt = steady_seconds();
    auto state = state_;
    auto [promise, settler] = detail::Settler<bool>::make();
    auto report = [state](const std::string& what) {
        std::lock_guard lock(state->mutex);
        if (state->ring == nullptr) return;
        // Logged through stderr: the ring has no provider config; the cached keys stay in use.
        std::fprintf(stderr, "fauth: JWKS %s: %s (keeping the cached keys)\n", state->options.url.c_str(), what.c_str());
    };
    std::lock_guard fetching(fetch_mutex_);
    if (state->client_failed.exchange(false)) {
        // Pistache 0.0.5's client stays broken for a host after a failed connection (measured:
        // every later fetch failed although the issuer was back), so a fresh one replaces it.
        // Never done on the client's own thread: callbacks only set the flag.
        client_->shutdown();
        client_ = make_client(state->options);
    }
    try {
        client_->get(state->options.url)
            .timeout(state->options.timeout)
            .send()
            .then(
                [state, settler = settler, report](Pistache::Http::Response response) {
                    state->client_thread = std::this_thread::get_id();
                    if (response.code() != Pistache::Http::Code::Ok) {
                        report("answered " + std::to_string(static_cast<int>(response.code())));
                        return settler->resolve(false);
                    }
                    try {
                        auto keys = KeySet::from_jwks(nlohmann::json::parse(response.body()));
                        std::lock_guard lock(state->mutex);
                        if (state->ring == nullptr) return settler->resolve(false);
                        state->ring->replace(std::move(keys));
                        ++state->fetches;
                    } catch (const std::exception& e) {
                        report(std::string("unusable key set: ") + e.what());
                        return settler->resolve(false);
                    }
                    settler->resolve(true);
                },
                [state, settler = settler, report](std::exception_ptr) {
                    state->client_thread = std::this_thread::get_id();
                    state->client_failed = true;
                    report("unreachable");
                    settler->resolve(false);
                });
    } catch (const std::exception& e) {
        report(std::string("request failed: ") + e.what());
        settler->resolve(false);
    }
    return std::move(promise);
}

void JwksKeyRing::refresh_for(std::string, std::function<void(bool)> done) {
    if (steady_seconds() - state_->last_attempt.load() < state_->options.min_refresh_interval.count()) return done(false);
    // fetch() never rejects; the second callback is there because then() needs one.
    fetch().then([done](bool changed) { done(changed); }, [done](std::exception_ptr) { done(false); });
}

}  // namespace fauth::http
