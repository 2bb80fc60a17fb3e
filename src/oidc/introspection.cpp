#include "fauth/oidc/introspection.hpp"

#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <pthread.h>

#include <algorithm>
#include <cstring>
#include <future>

#include <nlohmann/json.hpp>

#include "fauth/core/errors.hpp"
#include "fauth/core/internal/ascii.hpp"
#include "fauth/core/jws.hpp"
#include "fauth/core/keys.hpp"
#include "form.hpp"
#include "well_known.hpp"

namespace fauth::oidc {
namespace {

using SteadyClock = std::chrono::steady_clock;

void check_introspection_options(const IntrospectionOptions& o) {
    if (o.endpoint.empty() && o.issuer.empty())
        throw ConfigError("IntrospectionOptions: set endpoint, or issuer (to find it by discovery)");
    for (const auto& [field, url] :
         {std::pair{"IntrospectionOptions.endpoint", &o.endpoint}, std::pair{"IntrospectionOptions.issuer", &o.issuer}}) {
        try {
            if (!url->empty()) check_fetch_url(*url, o.fetch);
        } catch (const ConfigError& e) {
            throw ConfigError(std::string(field) + ": " + e.what());
        }
    }
    if (o.client_id.empty() || o.client_secret.empty())
        throw ConfigError(
            "IntrospectionOptions: client_id and client_secret are required (RFC 7662 section 2.1: the "
            "endpoint authenticates who asks)");
    if (o.max_ttl.count() <= 0 || o.negative_ttl.count() < 0 || o.retry_after.count() <= 0)
        throw ConfigError("IntrospectionOptions: max_ttl and retry_after must be positive, negative_ttl not negative");
    if (o.max_entries == 0 || o.max_waiting == 0 || o.threads == 0 || o.threads > 64)
        throw ConfigError("IntrospectionOptions: max_entries, max_waiting and threads (at most 64) must be positive");
    check_fetch_options(o.fetch);
}

// True when `content_type` names `media` (parameters and case aside).
bool is_media(std::string_view content_type, std::string_view media) {
    const auto semicolon = content_type.find(';');
    return ascii_iequals(trim_ows(content_type.substr(0, semicolon)), media);
}

// True when `answer` says the token is active (RFC 7662 section 2.2's boolean).
bool says_active(const nlohmann::json& answer) {
    const auto active = answer.find("active");
    return active != answer.end() && active->is_boolean() && active->get<bool>();
}

}  // namespace

std::size_t Introspection::DigestHash::operator()(const Digest& d) const noexcept {
    std::size_t h = 0;
    std::memcpy(&h, d.data(), sizeof h);  // a SHA-256: its bytes are already uniform
    return h;
}

Introspection::Digest Introspection::digest_of(std::string_view token) {
    Digest d{};
    SHA256(reinterpret_cast<const unsigned char*>(token.data()), token.size(), d.data());
    return d;
}

Introspection::Introspection(IntrospectionOptions options)
    : options_((check_introspection_options(options), std::move(options))) {
    endpoint_ = options_.endpoint;
    threads_.reserve(options_.threads);
    try {
        for (std::size_t i = 0; i < options_.threads; ++i)
            threads_.emplace_back([this] {
                ::pthread_setname_np(::pthread_self(), "fauth-introspect");
                run();
            });
    } catch (...) {
        {
            std::lock_guard lock(mutex_);
            stopping_ = true;
        }
        wake_.notify_all();
        for (auto& t : threads_) t.join();
        throw;
    }
}

Introspection::~Introspection() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    cancel_ = true;
    wake_.notify_all();
    for (auto& t : threads_) t.join();
}

void Introspection::log(const std::string& message) const noexcept {
    try {
        write_log(options_.log,
                  "introspection " + (options_.endpoint.empty() ? options_.issuer : options_.endpoint) + ": " + message);
    } catch (...) {
        // A log sink that throws must not end an introspection thread; there is nowhere else to say it.
    }
}

std::size_t Introspection::cache_size() const {
    std::lock_guard lock(mutex_);
    return cache_.size();
}

std::string Introspection::endpoint() const {
    std::lock_guard lock(mutex_);
    return endpoint_;
}

Introspection::Answer Introspection::lookup(const Digest& key) {
    const auto found = cache_.find(key);
    if (found == cache_.end()) return nullptr;
    const auto it = found->second;
    auto& lru = lru_[it->active];
    if (SteadyClock::now() >= it->expires) {
        cache_.erase(found);
        lru.erase(it);
        return nullptr;
    }
    if (it != lru.begin()) lru.splice(lru.begin(), lru, it);  // O(1): the most recently used first
    return it->answer;
}

Result<TokenPayload> Introspection::read(const IssuerPolicy& issuer, const Result<Answer>& answer) {
    if (!answer) return answer.failure();
    try {
        // Every caller's own policy reads the answer: the cache holds no issuer's verdict.
        return read_introspection(issuer, **answer);
    } catch (const Error& e) {
        return e.failure();
    } catch (...) {
        // Not the token's fault (out of memory, an issuer policy's own trouble): never accepted.
        return Unavailable("introspection answer could not be read").failure();
    }
}

std::optional<Result<TokenPayload>> Introspection::cached(std::string_view token, const IssuerPolicy& issuer) {
    const auto key = digest_of(token);
    Answer hit;
    {
        std::lock_guard lock(mutex_);
        hit = lookup(key);
    }
    if (!hit) return std::nullopt;
    return read(issuer, hit);
}

void Introspection::ask(std::string token, const IssuerPolicy& issuer, std::function<void(Result<TokenPayload>)> done) {
    const auto key = digest_of(token);
    std::optional<Result<Answer>> now;
    {
        std::lock_guard lock(mutex_);
        if (stopping_) {
            now = Unavailable("introspection is shutting down", options_.retry_after).failure();
        } else if (auto hit = lookup(key)) {
            now = std::move(hit);  // answered since the caller looked
        } else if (waiting_ >= options_.max_waiting) {
            now = Unavailable("too many requests wait for token introspection", options_.retry_after).failure();
        } else {
            ++waiting_;
            auto [flight, first] = in_flight_.try_emplace(key);
            flight->second.push_back(Waiter{&issuer, std::move(done)});
            // One request per token: later requests for it wait for the answer of the first.
            if (first) queue_.push_back(Job{key, std::move(token), &issuer});
        }
    }
    if (now) return done(read(issuer, *now));
    wake_.notify_one();
}

void Introspection::store(const Digest& key, const Answer& answer) {
    // An active answer is kept until the token's exp (within max_ttl); any other (inactive, or
    // one no issuer can read: no exp) for negative_ttl. Both say what the endpoint said about
    // the token, whoever asks: each caller's issuer reads it (read).
    const bool active = says_active(*answer);
    std::chrono::seconds ttl = options_.negative_ttl;
    if (const auto exp = answer->find("exp"); active && exp != answer->end() && exp->is_number_integer())
        ttl = std::min(std::chrono::seconds(exp->get<std::int64_t>() - unix_seconds(options_.clock)), options_.max_ttl);
    if (ttl.count() <= 0) return;
    const auto expires = SteadyClock::now() + ttl;
    if (const auto found = cache_.find(key); found != cache_.end()) {
        lru_[found->second->active].erase(found->second);
        cache_.erase(found);
    }
    // Active and inactive answers in LRUs of their own, each bounded: tokens the endpoint
    // refuses (garbage, say) never push an active token's answer out. The least recently used
    // goes: O(1).
    auto& lru = lru_[active];
    if (lru.size() >= options_.max_entries) {
        cache_.erase(lru.back().key);
        lru.pop_back();
    }
    lru.push_front(Entry{key, answer, expires, active});
    cache_.emplace(key, lru.begin());
}

void Introspection::run() {
    std::unique_lock lock(mutex_);
    while (true) {
        wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
        if (stopping_) break;
        Job job = std::move(queue_.front());
        queue_.pop_front();
        lock.unlock();
        Result<Answer> result = Failure{};
        try {
            result = answer(job);
        } catch (const Error& e) {
            result = e.failure();
        } catch (const std::exception& e) {
            log(std::string("failed: ") + e.what());
            result = Unavailable(std::string("token introspection failed: ") + e.what(), options_.retry_after).failure();
        } catch (...) {
            result = Unavailable("token introspection failed", options_.retry_after).failure();
        }
        lock.lock();
        if (result) store(job.key, *result);  // a failure to ask is never kept
        auto waiters = std::move(in_flight_[job.key]);
        in_flight_.erase(job.key);
        waiting_ -= waiters.size();
        lock.unlock();
        // Outside the lock: each waiter's issuer reads the answer, then it hands over and returns.
        for (auto& waiter : waiters) waiter.done(read(*waiter.issuer, result));
        waiters.clear();
        lock.lock();
    }
    // Shutting down: whoever still waits is answered, never left hanging.
    auto flights = std::move(in_flight_);
    in_flight_.clear();
    queue_.clear();
    waiting_ = 0;
    lock.unlock();
    for (auto& [key, waiters] : flights)
        for (auto& waiter : waiters) waiter.done(Unavailable("introspection is shutting down", options_.retry_after).failure());
}

std::optional<std::string> Introspection::discover(std::string& why) {
    for (const bool rfc8414 : {false, true}) {
        const char* document = rfc8414 ? "oauth-authorization-server" : "openid-configuration";
        const auto result = fetch(well_known(options_.issuer, document, rfc8414), options_.fetch, &cancel_);
        if (!result.ok()) {
            why = std::string("discovery: ") + document + " " + result.describe();
            continue;
        }
        const auto metadata = nlohmann::json::parse(result.body, nullptr, false);
        if (!metadata.is_object() || !metadata.contains("issuer") || metadata["issuer"] != options_.issuer) {
            why = std::string("discovery: ") + document + " does not name the issuer " + options_.issuer;
            return std::nullopt;
        }
        const auto endpoint = metadata.find("introspection_endpoint");
        if (endpoint == metadata.end() || !endpoint->is_string()) {
            why = "discovery: the issuer's metadata has no introspection_endpoint";
            return std::nullopt;
        }
        auto url = endpoint->get<std::string>();
        try {
            check_fetch_url(url, options_.fetch);
            if (options_.issuer.starts_with("https://") && !url.starts_with("https://"))
                throw ConfigError("an https issuer's endpoint must be asked over https: " + nlohmann::json(url).dump());
        } catch (const ConfigError& e) {
            why = std::string("discovery: introspection_endpoint refused: ") + e.what();
            return std::nullopt;
        }
        return url;
    }
    return std::nullopt;
}

Result<Introspection::Answer> Introspection::answer(const Job& job) {
    const auto unavailable = [&](const std::string& why) -> Result<Answer> {
        log(why);
        return Unavailable("token introspection: " + why, options_.retry_after).failure();
    };
    std::string url = endpoint();
    if (url.empty()) {
        std::string why;
        auto found = discover(why);
        if (!found) return unavailable(why);
        url = std::move(*found);
        std::lock_guard lock(mutex_);
        endpoint_ = url;
    }

    // RFC 7662 section 2.1: the token, and the hint that it is an access token.
    std::string form = "token=" + form_encoded(job.token) + "&token_type_hint=access_token";
    std::vector<std::string> headers;
    if (options_.authentication == ClientAuthentication::client_secret_basic)
        headers.push_back(basic_authorization(options_.client_id, options_.client_secret));
    else
        form += "&client_id=" + form_encoded(options_.client_id) + "&client_secret=" + form_encoded(options_.client_secret);
    headers.push_back(options_.jwt_response ? "Accept: application/token-introspection+jwt" : "Accept: application/json");

    ++requests_;
    const auto result = post_form(url, form, headers, options_.fetch, &cancel_);
    if (!result.error.empty()) return unavailable(result.describe());
    if (result.status != 200) {
        // The endpoint refused to answer (our credentials, its trouble): not the token's fault.
        if (options_.endpoint.empty() && result.status == 404) {
            std::lock_guard lock(mutex_);
            endpoint_.clear();  // the provider may have moved it: discover again next time
        }
        return unavailable("answered " + std::to_string(result.status));
    }

    nlohmann::json claims;
    if (options_.jwt_response) {
        if (!is_media(result.content_type, "application/token-introspection+jwt"))
            return unavailable("answered " +
                               (result.content_type.empty() ? std::string("no content type") : result.content_type) +
                               ", not application/token-introspection+jwt (RFC 9701)");
        const auto& ring = job.issuer->keys();
        const auto body = std::string_view(result.body);
        const auto verify = [&]() { return verify_jws(trim_ows(body), *ring->current()); };
        std::optional<JwsVerified> verified;
        try {
            verified = verify();
        } catch (const InvalidToken&) {
            // Perhaps signed by a key the ring has not seen yet: fetch once, then try once more.
            auto fetched = std::make_shared<std::promise<void>>();
            auto ready = fetched->get_future();
            ring->refresh_for({}, [fetched](bool) { fetched->set_value(); });
            ready.wait_for(options_.fetch.timeout);
            try {
                verified = verify();
            } catch (const InvalidToken& e) {
                return unavailable(std::string("a signed answer that does not verify: ") + e.what());
            }
        }
        const JwsVerified& signed_answer = *verified;
        const auto typ = signed_answer.header.find("typ");
        if (typ == signed_answer.header.end() || !typ->is_string() ||
            (!ascii_iequals(typ->get_ref<const std::string&>(), "token-introspection+jwt") &&
             !ascii_iequals(typ->get_ref<const std::string&>(), "application/token-introspection+jwt")))
            return unavailable("a signed answer whose typ is not token-introspection+jwt");
        const auto outer = nlohmann::json::parse(signed_answer.payload, nullptr, false);
        if (!outer.is_object() || outer.value("iss", nlohmann::json()) != job.issuer->issuer())
            return unavailable("a signed answer not from the issuer");
        // RFC 9701 section 5: the answer is for this resource server, named by its client id.
        const auto aud = outer.find("aud");
        const nlohmann::json client(options_.client_id);
        if (aud == outer.end() ||
            !(*aud == client || (aud->is_array() && std::find(aud->begin(), aud->end(), client) != aud->end())))
            return unavailable("a signed answer for another audience than " + options_.client_id);
        const auto inner = outer.find("token_introspection");
        if (inner == outer.end() || !inner->is_object()) return unavailable("a signed answer without token_introspection");
        claims = *inner;
    } else {
        claims = nlohmann::json::parse(result.body, nullptr, false);
        if (!claims.is_object()) return unavailable("answered something that is not a JSON object");
    }
    // What the endpoint said, as it said it: each caller's issuer reads it (read).
    return Answer(std::make_shared<const nlohmann::json>(std::move(claims)));
}

}  // namespace fauth::oidc
