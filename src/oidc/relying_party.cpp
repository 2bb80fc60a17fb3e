#include "fauth/oidc/relying_party.hpp"

#include <pthread.h>

#include <algorithm>
#include <future>

#include "fauth/core/base64url.hpp"
#include "fauth/core/errors.hpp"
#include "fauth/core/internal/random.hpp"
#include "fauth/oidc/jwks.hpp"
#include "form.hpp"
#include "well_known.hpp"

namespace fauth::oidc {

namespace {

constexpr auto kRetryAfter = std::chrono::seconds(5);

Failure unavailable(std::string why) {
    return Failure{.kind = ErrorKind::unavailable,
                   .detail = "Sign-in provider unavailable",
                   .log = std::move(why),
                   .retry_after = kRetryAfter};
}

Failure not_completed(std::string why) {
    return Failure{.kind = ErrorKind::bad_request, .detail = "The sign-in could not be completed", .log = std::move(why)};
}

// A string member of `object`, or empty.
std::string string_member(const nlohmann::json& object, const char* name) {
    const auto found = object.find(name);
    return found != object.end() && found->is_string() ? found->get<std::string>() : std::string();
}

bool lists(const nlohmann::json& object, const char* name, std::string_view value) {
    const auto found = object.find(name);
    if (found == object.end() || !found->is_array()) return false;
    return std::any_of(found->begin(), found->end(), [&](const nlohmann::json& v) { return v.is_string() && v == value; });
}

void check_options(const RelyingPartyOptions& o) {
    try {
        (void)new_login_state(o.name, "/", 0, o.login_lifetime);
    } catch (const ConfigError& e) {
        throw ConfigError(std::string("RelyingPartyOptions: ") + e.what());
    }
    if (o.issuer.empty() || o.client_id.empty() || o.redirect_uri.empty())
        throw ConfigError("RelyingPartyOptions '" + o.name + "': issuer, client_id and redirect_uri are required");
    check_fetch_options(o.fetch);
    for (const auto& [field, url] : {std::pair{"issuer", &o.issuer}, std::pair{"redirect_uri", &o.redirect_uri},
                                     std::pair{"post_logout_redirect_uri", &o.post_logout_redirect_uri}}) {
        try {
            if (!url->empty()) check_fetch_url(*url, o.fetch);
        } catch (const ConfigError& e) {
            throw ConfigError("RelyingPartyOptions '" + o.name + "'." + field + ": " + e.what());
        }
    }
    const bool secret =
        o.authentication == TokenEndpointAuth::client_secret_basic || o.authentication == TokenEndpointAuth::client_secret_post;
    if (secret == o.client_secret.empty())
        throw ConfigError("RelyingPartyOptions '" + o.name + "': " +
                          (secret ? "client_secret is required" : "client_secret is never sent with this authentication"));
    if (o.authentication == TokenEndpointAuth::private_key_jwt) {
        if (!o.signing_key || !o.signing_key->can_sign() || o.signing_key->is_symmetric())
            throw ConfigError("RelyingPartyOptions '" + o.name +
                              "': private_key_jwt needs a private signing_key (RSA, EC or Ed25519)");
    } else if (o.signing_key) {
        throw ConfigError("RelyingPartyOptions '" + o.name + "': signing_key is used only with private_key_jwt");
    }
    if (o.id_token_algorithms.empty()) throw ConfigError("RelyingPartyOptions '" + o.name + "': id_token_algorithms is empty");
    for (const auto& alg : o.id_token_algorithms)
        if (is_hmac_algorithm(alg) || alg.empty() || alg == "none")
            throw ConfigError("RelyingPartyOptions '" + o.name + "': " + alg + " is not accepted for ID tokens");
    if (o.max_age && o.max_age->count() < 0) throw ConfigError("RelyingPartyOptions '" + o.name + "': max_age is negative");
    if (o.leeway.count() < 0 || o.logout_token_max_age.count() <= 0 || o.max_waiting == 0)
        throw ConfigError("RelyingPartyOptions '" + o.name + "': leeway, logout_token_max_age and max_waiting must be positive");
    for (const auto& [name, value] : o.authorization_parameters)
        if (name == "max_age")
            throw ConfigError("RelyingPartyOptions '" + o.name +
                              "': set max_age, not an authorization parameter: the ID token's auth_time is then checked");
    // The request it makes refuses reserved parameters: check them now, not at the first sign-in.
    (void)authorization_url("https://op.invalid/authorize", o.client_id, o.redirect_uri, o.scopes,
                            new_login_state(o.name, "/", 0, o.login_lifetime), o.authorization_parameters);
}

}  // namespace

ExternalIdentity SignedIn::identity() const {
    ExternalIdentity identity{.provider = provider,
                              .issuer = id_token.issuer,
                              .subject = id_token.subject,
                              .claims = id_token.claims};
    if (const auto email = id_token.claims.find("email"); email != id_token.claims.end() && email->is_string())
        identity.email = email->get<std::string>();
    if (const auto verified = id_token.claims.find("email_verified"); verified != id_token.claims.end())
        identity.email_verified = verified->is_boolean() ? verified->get<bool>() : (*verified == "true");
    identity.name = string_member(id_token.claims, "name");
    return identity;
}

RelyingParty::RelyingParty(RelyingPartyOptions options) : options_((check_options(options), std::move(options))) {
    JwksOptions jwks;
    jwks.issuer = options_.issuer;
    jwks.fetch = options_.fetch;
    jwks.log = options_.log;
    keys_ = std::make_shared<JwksKeyRing>(std::move(jwks));
    thread_ = std::thread([this] { run(); });
}

RelyingParty::~RelyingParty() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    cancel_ = true;
    wake_.notify_all();
    thread_.join();
    // Whatever was never started is answered now: every request gets its one answer.
    for (auto& job : queue_) job.cancel();
}

std::int64_t RelyingParty::now() const { return fauth::unix_seconds(options_.clock); }

void RelyingParty::log(const std::string& message) const noexcept {
    write_log(options_.log, "fauth oidc '" + options_.name + "': " + message);
}

bool RelyingParty::enqueue(Job job) {
    {
        std::lock_guard lock(mutex_);
        if (stopping_ || queue_.size() >= options_.max_waiting) return false;
        queue_.push_back(std::move(job));
    }
    wake_.notify_one();
    return true;
}

void RelyingParty::run() {
    ::pthread_setname_np(::pthread_self(), "fauth-oidc-rp");
    for (;;) {
        Job job;
        bool discover_first = false;
        {
            std::unique_lock lock(mutex_);
            wake_.wait(lock, [&] { return stopping_ || !queue_.empty() || (discovery_wanted_ && !metadata_); });
            if (stopping_) return;
            discover_first = discovery_wanted_ && !metadata_;
            discovery_wanted_ = false;
            if (!discover_first) {
                job = std::move(queue_.front());
                queue_.pop_front();
            }
        }
        if (discover_first) {
            bool found = false;
            try {
                found = discover();
            } catch (const std::exception& e) {
                log(std::string("discovery failed: ") + e.what());
            }
            if (found) {
                keys_->fetch_in_background();
            } else {
                std::lock_guard lock(mutex_);
                retry_discovery_at_ = std::chrono::steady_clock::now() + kRetryAfter;
                discovery_wanted_ = false;  // asked for during this attempt: answered by it
            }
            continue;
        }
        try {
            job.run();  // each job answers its request, whatever it meets (see redeem, verify_logout)
        } catch (...) {
            log("a job failed with an exception it did not answer");
        }
    }
}

bool RelyingParty::discover() {
    const auto result = fetch(well_known(options_.issuer, "openid-configuration", false), options_.fetch, &cancel_);
    if (!result.ok()) {
        log("discovery: " + result.describe());
        return false;
    }
    const auto document = nlohmann::json::parse(result.body, nullptr, false);
    if (!document.is_object() || string_member(document, "issuer") != options_.issuer) {
        log("discovery: the document does not name the issuer " + options_.issuer + "; refused");
        return false;
    }
    ProviderMetadata found{.issuer = options_.issuer,
                           .authorization_endpoint = string_member(document, "authorization_endpoint"),
                           .token_endpoint = string_member(document, "token_endpoint"),
                           .end_session_endpoint = string_member(document, "end_session_endpoint")};
    const auto iss = document.find("authorization_response_iss_parameter_supported");
    found.sends_issuer_parameter = iss != document.end() && iss->is_boolean() && iss->get<bool>();
    // PKCE with S256 is never optional (RFC 9700 section 2.1.1): a provider that does not say it
    // supports it may ignore the challenge, and a stolen code would then be redeemable.
    if (!lists(document, "code_challenge_methods_supported", "S256")) {
        log("discovery: code_challenge_methods_supported does not list S256; refused");
        return false;
    }
    if (!lists(document, "response_types_supported", "code")) {
        log("discovery: response_types_supported does not list code; refused");
        return false;
    }
    const bool https = options_.issuer.starts_with("https://");
    for (const auto& [field, url] :
         {std::pair{"authorization_endpoint", &found.authorization_endpoint}, std::pair{"token_endpoint", &found.token_endpoint},
          std::pair{"end_session_endpoint", &found.end_session_endpoint}}) {
        if (url->empty() && std::string_view(field) == "end_session_endpoint") continue;
        try {
            if (url->empty()) throw ConfigError("missing");
            check_fetch_url(*url, options_.fetch);
            if (https && !url->starts_with("https://")) throw ConfigError("an https issuer's endpoints are https");
        } catch (const ConfigError& e) {
            log(std::string("discovery: ") + field + " refused: " + e.what());
            return false;
        }
    }
    {
        std::lock_guard lock(mutex_);
        metadata_ = std::move(found);
    }
    return true;
}

bool RelyingParty::discover_now(std::chrono::milliseconds wait) {
    const auto deadline = std::chrono::steady_clock::now() + wait;
    if (!metadata() && !discover()) return false;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    return keys_->fetch_now(std::max(left, std::chrono::milliseconds(1)));
}

void RelyingParty::discover_in_background() {
    {
        std::lock_guard lock(mutex_);
        discovery_wanted_ = true;
    }
    wake_.notify_one();
}

std::optional<ProviderMetadata> RelyingParty::metadata() const {
    std::lock_guard lock(mutex_);
    return metadata_;
}

Result<std::pair<LoginState, std::string>> RelyingParty::start(std::string return_to) const {
    const auto found = metadata();
    if (!found) {
        {
            // Not more often than every kRetryAfter while the provider cannot be reached,
            // however many browsers try.
            std::lock_guard lock(mutex_);
            if (std::chrono::steady_clock::now() >= retry_discovery_at_) discovery_wanted_ = true;
        }
        wake_.notify_one();
        return unavailable("discovery has not succeeded yet");
    }
    auto login = new_login_state(options_.name, std::move(return_to), now(), options_.login_lifetime);
    auto extra = options_.authorization_parameters;
    if (options_.max_age) extra.emplace_back("max_age", std::to_string(options_.max_age->count()));
    auto url = authorization_url(found->authorization_endpoint, options_.client_id, options_.redirect_uri, options_.scopes, login,
                                 extra);
    return std::pair{std::move(login), std::move(url)};
}

Result<void> RelyingParty::check_issuer_parameter(const std::optional<std::string>& iss) const {
    const auto found = metadata();
    if (iss) {
        if (*iss != options_.issuer)
            return Failure{.kind = ErrorKind::bad_request,
                           .detail = "The sign-in could not be completed",
                           .log = "the authorization response names issuer " +
                                  nlohmann::json(*iss).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + ", not " +
                                  options_.issuer + " (RFC 9207: a mix-up)"};
    } else if (found && found->sends_issuer_parameter) {
        return not_completed("the authorization response has no iss, which the provider says it sends (RFC 9207)");
    }
    return {};
}

template <class T, class Verify>
Result<T> RelyingParty::with_keys(const Verify& verify) {
    auto verified = verify(*keys_->current());
    // Only a key the ring does not know may be new at the provider: any other refusal is final,
    // and costs no fetch.
    if (verified || verified.failure().log.find("kid") == std::string::npos) return verified;
    // Perhaps signed by a key the ring has not seen yet: fetch once (rate-limited), then again.
    auto fetched = std::make_shared<std::promise<void>>();
    auto ready = fetched->get_future();
    keys_->refresh_for({}, [fetched](bool) { fetched->set_value(); });
    if (ready.wait_for(options_.fetch.timeout + std::chrono::seconds(1)) != std::future_status::ready) return verified;
    return verify(*keys_->current());
}

std::string RelyingParty::client_assertion(const std::string& audience) const {
    const auto& key = *options_.signing_key;
    const auto issued = now();
    nlohmann::json header{{"alg", key.algorithm()}, {"typ", "JWT"}};
    if (!key.kid().empty()) header["kid"] = key.kid();
    const nlohmann::json claims{{"iss", options_.client_id},
                                {"sub", options_.client_id},
                                {"aud", audience},
                                {"jti", base64url_encode(random_bytes(16))},
                                {"iat", issued},
                                {"exp", issued + 60}};
    auto input = base64url_encode(header.dump()) + "." + base64url_encode(claims.dump());
    const auto signature = key.sign(input);
    return input + "." + base64url_encode(signature);
}

Result<SignedIn> RelyingParty::redeem_now(const std::string& code, const LoginState& login) {
    const auto found = metadata();
    if (!found) return unavailable("discovery has not succeeded yet");
    std::string form = "grant_type=authorization_code&code=" + form_encoded(code) +
                       "&redirect_uri=" + form_encoded(options_.redirect_uri) +
                       "&code_verifier=" + form_encoded(login.code_verifier);
    std::vector<std::string> headers;
    switch (options_.authentication) {
        case TokenEndpointAuth::client_secret_basic:
            headers.push_back(basic_authorization(options_.client_id, options_.client_secret));
            break;
        case TokenEndpointAuth::client_secret_post:
            form += "&client_id=" + form_encoded(options_.client_id) + "&client_secret=" + form_encoded(options_.client_secret);
            break;
        case TokenEndpointAuth::private_key_jwt:
            // RFC 7523 section 3: the audience is the authorization server; OpenID Connect Core
            // section 9 names the token endpoint, which every provider accepts.
            form += "&client_id=" + form_encoded(options_.client_id) +
                    "&client_assertion_type=" + form_encoded("urn:ietf:params:oauth:client-assertion-type:jwt-bearer") +
                    "&client_assertion=" + client_assertion(found->token_endpoint);
            break;
        case TokenEndpointAuth::none: form += "&client_id=" + form_encoded(options_.client_id); break;
    }
    const auto result = post_form(found->token_endpoint, form, headers, options_.fetch, &cancel_);
    if (!result.error.empty()) return unavailable("token endpoint: " + result.describe());
    const auto body = nlohmann::json::parse(result.body, nullptr, false);
    if (result.status == 400 || result.status == 401) {
        // RFC 6749 section 5.2: invalid_grant for a code used twice, expired, or not this client's.
        const auto error = body.is_object() ? string_member(body, "error") : std::string();
        const auto description = body.is_object() ? string_member(body, "error_description") : std::string();
        const auto why = "the token endpoint refused the code: " +
                         nlohmann::json(error.empty() ? std::string("(no error)") : error)
                             .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) +
                         (description.empty()
                              ? std::string()
                              : " " + nlohmann::json(description).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
        // The code's fault (the sign-in's): 400. Anything else (invalid_client: this service's
        // credentials) is this service's to fix, and no retry by the user helps: 500, logged.
        if (error == "invalid_grant") return not_completed(why);
        return Failure{.kind = ErrorKind::internal,
                       .detail = "Internal Server Error",
                       .log = "fauth oidc '" + options_.name + "': " + why};
    }
    if (result.status != 200) return unavailable("token endpoint answered " + std::to_string(result.status));
    if (!body.is_object()) return unavailable("token endpoint answered something that is not a JSON object");
    SignedIn signed_in;
    signed_in.raw_id_token = string_member(body, "id_token");
    signed_in.access_token = string_member(body, "access_token");
    if (signed_in.raw_id_token.empty()) return not_completed("the token endpoint gave no id_token");
    if (signed_in.access_token.empty()) return not_completed("the token endpoint gave no access_token");
    if (options_.keep_refresh_token) signed_in.refresh_token = string_member(body, "refresh_token");
    const IdTokenCheck check{.issuer = options_.issuer,
                             .client_id = options_.client_id,
                             .nonce = login.nonce,
                             .access_token = signed_in.access_token,
                             .max_age = options_.max_age,
                             .algorithms = options_.id_token_algorithms,
                             .now = now(),
                             .leeway = options_.leeway};
    auto id_token = with_keys<IdToken>([&](const KeySet& keys) { return verify_id_token(signed_in.raw_id_token, keys, check); });
    if (!id_token) {
        // Until the provider's keys are loaded, nothing verifies: unavailable (503), not refused.
        if (keys_->keys_pending()) return unavailable("the provider's keys are not loaded yet: " + id_token.failure().log);
        // A sign-in that cannot be completed (400), not a token a client presented (401).
        auto failure = std::move(id_token).failure();
        if (failure.kind == ErrorKind::invalid_token) failure.kind = ErrorKind::bad_request;
        return failure;
    }
    signed_in.id_token = std::move(*id_token);
    signed_in.return_to = login.return_to;
    signed_in.provider = options_.name;
    return signed_in;
}

void RelyingParty::redeem(std::string code, LoginState login, std::function<void(Result<SignedIn>)> done) {
    if (!metadata()) return done(unavailable("discovery has not succeeded yet"));
    auto shared = std::make_shared<std::function<void(Result<SignedIn>)>>(std::move(done));
    const bool queued = enqueue({[this, shared, code = std::move(code), login = std::move(login)] {
                                     Result<SignedIn> result = unavailable("not redeemed");
                                     try {
                                         result = redeem_now(code, login);
                                     } catch (const std::exception& e) {
                                         result = unavailable(std::string("redeeming failed: ") + e.what());
                                     }
                                     (*shared)(std::move(result));
                                 },
                                 [shared] { (*shared)(unavailable("the relying party stopped")); }});
    if (!queued) (*shared)(unavailable("too many sign-ins wait for the provider"));
}

void RelyingParty::verify_logout(std::string token, std::function<void(Result<LogoutToken>)> done) {
    auto shared = std::make_shared<std::function<void(Result<LogoutToken>)>>(std::move(done));
    const bool queued = enqueue({[this, shared, token = std::move(token)] {
                                     const LogoutTokenCheck check{.issuer = options_.issuer,
                                                                  .client_id = options_.client_id,
                                                                  .algorithms = options_.id_token_algorithms,
                                                                  .now = now(),
                                                                  .leeway = options_.leeway,
                                                                  .max_age = options_.logout_token_max_age};
                                     Result<LogoutToken> result = unavailable("not verified");
                                     try {
                                         result = with_keys<LogoutToken>(
                                             [&](const KeySet& keys) { return verify_logout_token(token, keys, check); });
                                     } catch (const std::exception& e) {
                                         result = unavailable(std::string("verifying a logout token failed: ") + e.what());
                                     }
                                     (*shared)(std::move(result));
                                 },
                                 [shared] { (*shared)(unavailable("the relying party stopped")); }});
    if (!queued) (*shared)(unavailable("too many logout tokens wait for the provider's keys"));
}

std::optional<std::string> RelyingParty::end_session_url(std::string_view id_token_hint) const {
    const auto found = metadata();
    if (!found || found->end_session_endpoint.empty()) return std::nullopt;
    std::string url = found->end_session_endpoint;
    if (const auto fragment = url.find('#'); fragment != std::string::npos) url.resize(fragment);
    char joiner = url.find('?') == std::string::npos ? '?' : '&';
    auto add = [&](std::string_view name, std::string_view value) {
        url += joiner;
        joiner = '&';
        url += form_encoded(name);
        url += '=';
        url += form_encoded(value);
    };
    if (!id_token_hint.empty()) add("id_token_hint", id_token_hint);
    add("client_id", options_.client_id);
    if (!options_.post_logout_redirect_uri.empty()) add("post_logout_redirect_uri", options_.post_logout_redirect_uri);
    return url;
}

}  // namespace fauth::oidc
