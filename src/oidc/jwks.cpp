#include "fauth/oidc/jwks.hpp"

#include <pthread.h>

#include <algorithm>
#include <future>

#include <nlohmann/json.hpp>

#include "fauth/core/errors.hpp"
#include "fauth/core/instruments.hpp"
#include "well_known.hpp"

namespace fauth::oidc {
namespace {

using Clock = std::chrono::steady_clock;

void check_options(const JwksOptions& options) {
    if (options.url.empty() && options.issuer.empty())
        throw ConfigError("JwksOptions: set url (the JWK Set) or issuer (to find it by discovery)");
    // Each URL's error names its field.
    for (const auto& [field, url] :
         {std::pair{"JwksOptions.url", &options.url}, std::pair{"JwksOptions.issuer", &options.issuer}}) {
        try {
            if (!url->empty()) check_fetch_url(*url, options.fetch);
        } catch (const ConfigError& e) {
            throw ConfigError(std::string(field) + ": " + e.what());
        }
    }
    for (const auto& name : options.rsa_algorithms)
        if (name.size() != 5 || (!name.starts_with("RS") && !name.starts_with("PS")) ||
            (name.substr(2) != "256" && name.substr(2) != "384" && name.substr(2) != "512"))
            throw ConfigError("JwksOptions.rsa_algorithms: " + name + " is not an RS or PS algorithm");
    if (options.min_refresh_interval.count() < 0 || options.retry_after.count() <= 0 || options.min_max_age.count() <= 0 ||
        options.max_max_age < options.min_max_age || options.default_max_age.count() <= 0 || options.first_retry.count() <= 0)
        throw ConfigError("JwksOptions: intervals must be positive, and min_max_age at most max_max_age");
    check_fetch_options(options.fetch);
}

constexpr std::size_t kMaxWaiting = 1024;

// `url` without what may be secret in it: user information, query and fragment.
std::string public_url(std::string_view url) {
    url = url.substr(0, url.find_first_of("?#"));
    const auto scheme = url.find("://");
    const auto host = scheme == std::string_view::npos ? 0 : scheme + 3;
    const auto at = url.find('@', host);
    if (at == std::string_view::npos || at > url.find('/', host)) return std::string(url);
    return std::string(url.substr(0, host)) + std::string(url.substr(at + 1));
}

}  // namespace

JwksKeyRing::JwksKeyRing(JwksOptions options) : options_((check_options(options), std::move(options))) {
    jwks_url_ = options_.url;
    next_retry_ = options_.first_retry;
    fetch_count_ = instruments::make(options_.metrics, instruments::Id::key_fetches);
    // The ring's name in fauth.keys.age: its URL as configured, without credentials, query or fragment.
    age_ =
        observe_gauge(options_.metrics, instruments::spec(instruments::Id::key_age),
                      [this, where = public_url(options_.url.empty() ? options_.issuer : options_.url)](const GaugeEmit& emit) {
                          double age = 0;
                          {
                              std::lock_guard lock(mutex_);
                              if (!loaded_at_) return;
                              age = std::chrono::duration<double>(Clock::now() - *loaded_at_).count();
                          }
                          const std::string_view attributes[] = {where};
                          emit(age, attributes);
                      });
    next_background_ = Clock::now();  // nothing cached yet: the first request or fetch_now decides
    thread_ = std::thread([this] {
        ::pthread_setname_np(::pthread_self(), "fauth-jwks");
        run();
    });
}

JwksKeyRing::~JwksKeyRing() {
    age_.reset();  // its observer reads this ring
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    cancel_ = true;
    wake_.notify_all();
    thread_.join();
}

void JwksKeyRing::log(const std::string& message) const noexcept {
    try {
        write_log(options_.log, "JWKS " + (jwks_url_.empty() ? options_.issuer : jwks_url_) + ": " + message);
    } catch (...) {
        // A log sink that throws must not end the fetching thread; there is nowhere else to say it.
    }
}

std::size_t JwksKeyRing::fetches() const {
    std::lock_guard lock(mutex_);
    return fetches_;
}

std::string JwksKeyRing::jwks_url() const {
    std::lock_guard lock(mutex_);
    return jwks_url_;
}

bool JwksKeyRing::fetch_now(std::chrono::milliseconds wait) {
    if (std::this_thread::get_id() == thread_.get_id()) return false;  // from a callback: it would wait for itself
    auto result = std::make_shared<std::promise<bool>>();
    auto answer = result->get_future();
    {
        std::lock_guard lock(mutex_);
        if (stopping_ || waiting_.size() >= kMaxWaiting) return false;
        waiting_.push_back([result](bool loaded) { result->set_value(loaded); });
        forced_ = true;
    }
    wake_.notify_all();
    return answer.wait_for(wait) == std::future_status::ready && answer.get();
}

void JwksKeyRing::fetch_in_background() {
    {
        std::lock_guard lock(mutex_);
        if (stopping_) return;
        forced_ = true;
    }
    wake_.notify_all();
}

std::optional<std::chrono::seconds> JwksKeyRing::keys_pending() const {
    std::lock_guard lock(mutex_);
    if (fetches_ > 0) return std::nullopt;
    const auto wait = std::chrono::ceil<std::chrono::seconds>(next_background_ - Clock::now());
    return std::max(wait, std::chrono::seconds(1));
}

void JwksKeyRing::refresh_for(std::string, std::function<void(bool)> done) {
    {
        std::unique_lock lock(mutex_);
        // One fetch answers everyone who asked before it ended; after it, the rate limit holds.
        const bool pending = fetching_ || forced_ || !waiting_.empty();
        const bool limited = last_attempt_ && Clock::now() - *last_attempt_ < options_.min_refresh_interval;
        // Bounded: a flood of unknown kids while the provider is slow parks no more than this.
        if (!stopping_ && (pending || !limited) && waiting_.size() < kMaxWaiting) {
            waiting_.push_back(std::move(done));
            lock.unlock();
            wake_.notify_all();
            return;
        }
    }
    done(false);
}

void JwksKeyRing::run() {
    std::unique_lock lock(mutex_);
    const auto wanted = [&] { return forced_ || !waiting_.empty(); };
    // Background fetches start once the first fetch was tried (whatever came of it).
    const auto due = [&] { return last_attempt_.has_value() && Clock::now() >= next_background_; };
    const auto answer = [&](bool loaded) {
        auto answered = std::move(waiting_);
        waiting_.clear();
        forced_ = false;  // a fetch_now that joined the fetch under way has its answer
        lock.unlock();
        for (auto& done : answered) {  // outside the lock: they may call back in
            try {
                done(loaded);
            } catch (...) {
                log("a key refresh callback threw; ignored");
            }
        }
        answered.clear();  // what they captured is released outside the lock too
        lock.lock();
    };
    while (true) {
        if (last_attempt_)
            wake_.wait_until(lock, next_background_, [&] { return stopping_ || wanted() || due(); });
        else
            wake_.wait(lock, [&] { return stopping_ || wanted(); });
        if (stopping_) break;
        if (!wanted() && !due()) continue;
        forced_ = false;
        fetching_ = true;
        last_attempt_ = Clock::now();
        lock.unlock();
        bool loaded = false;
        try {
            loaded = fetch_once();
        } catch (const std::exception& e) {
            log(std::string("fetch failed: ") + e.what());
        } catch (...) {
            log("fetch failed");
        }
        lock.lock();
        fetching_ = false;
        if (!loaded && fetches_ == 0) {
            // Nothing loaded yet: try again soon, then less often, up to the usual interval.
            next_background_ = Clock::now() + std::min<std::chrono::milliseconds>(next_retry_, options_.retry_after);
            next_retry_ = std::min<std::chrono::milliseconds>(next_retry_ * 2, options_.retry_after);
        } else if (!loaded) {
            next_background_ = Clock::now() + options_.retry_after;
        }
        answer(loaded);
    }
    answer(false);
}

std::optional<std::string> JwksKeyRing::discover() {
    // OpenID Connect Discovery first, then RFC 8414's document for plain OAuth servers.
    std::string last_error;
    for (const bool rfc8414 : {false, true}) {
        const char* document = rfc8414 ? "oauth-authorization-server" : "openid-configuration";
        const auto result = fetch(well_known(options_.issuer, document, rfc8414), options_.fetch, &cancel_);
        fetch_count_.add(instruments::FetchKind::discovery,
                         result.ok() ? instruments::Result::success : instruments::Result::failure);
        if (!result.ok()) {
            last_error = std::string(document) + " " + result.describe();
            continue;
        }
        const auto metadata = nlohmann::json::parse(result.body, nullptr, false);
        if (!metadata.is_object() || !metadata.contains("issuer") || !metadata["issuer"].is_string()) {
            log(std::string("discovery: ") + document + " is not provider metadata");
            return std::nullopt;
        }
        if (metadata["issuer"].get<std::string>() != options_.issuer) {
            log("discovery: the document names issuer " + metadata["issuer"].dump() + ", not the configured " + options_.issuer +
                "; refused");
            return std::nullopt;
        }
        if (!metadata.contains("jwks_uri") || !metadata["jwks_uri"].is_string()) {
            log("discovery: the document has no jwks_uri");
            return std::nullopt;
        }
        auto url = metadata["jwks_uri"].get<std::string>();
        try {
            check_fetch_url(url, options_.fetch);
            // The keys are fetched at least as safely as the document that named them.
            if (options_.issuer.starts_with("https://") && !url.starts_with("https://"))
                throw ConfigError("an https issuer's keys must be fetched over https: " + nlohmann::json(url).dump());
        } catch (const ConfigError& e) {
            log(std::string("discovery: jwks_uri refused: ") + e.what());
            return std::nullopt;
        }
        return url;
    }
    log("discovery failed: " + last_error + " (keeping the cached keys)");
    return std::nullopt;
}

bool JwksKeyRing::fetch_once() {
    std::string url;
    {
        std::lock_guard lock(mutex_);
        url = jwks_url_;
    }
    if (url.empty()) {
        auto found = discover();
        if (!found) return false;
        url = std::move(*found);
        std::lock_guard lock(mutex_);
        jwks_url_ = url;
    }
    const auto result = fetch(url, options_.fetch, &cancel_);
    // A fetch that brought no usable key set counts as failed, whatever its HTTP status.
    const auto failed = [this] {
        fetch_count_.add(instruments::FetchKind::jwks, instruments::Result::failure);
        return false;
    };
    if (!result.ok()) {
        log(result.describe() + " (keeping the cached keys)");
        if (options_.url.empty()) {
            // The provider may have moved its keys: discover again next time.
            std::lock_guard lock(mutex_);
            jwks_url_.clear();
        }
        return failed();
    }
    const auto document = nlohmann::json::parse(result.body, nullptr, false);
    std::vector<std::string> skipped;
    KeySet keys;
    try {
        keys = KeySet::from_jwks(document, options_.rsa_algorithms, &skipped);
    } catch (const ConfigError& e) {
        log(std::string("unusable key set: ") + e.what() + " (keeping the cached keys)");
        return failed();
    }
    for (const auto& why : skipped) log(why);
    if (keys.keys().empty()) {
        // Nothing usable (or nothing at all): a broken publication must not wipe working keys.
        log("no usable key in the set (keeping the cached keys)");
        return failed();
    }
    replace(std::move(keys));
    const auto max_age =
        std::clamp(result.max_age.value_or(options_.default_max_age), options_.min_max_age, options_.max_max_age);
    fetch_count_.add(instruments::FetchKind::jwks, instruments::Result::success);
    std::lock_guard lock(mutex_);
    ++fetches_;
    loaded_at_ = Clock::now();
    next_background_ = Clock::now() + max_age;
    return true;
}

}  // namespace fauth::oidc
