#include "fauth/http/oidc_login.hpp"

#include <nlohmann/json.hpp>

#include "fauth/core/base64url.hpp"
#include "fauth/core/internal/digest.hpp"
#include "fauth/http/token_request.hpp"

namespace fauth::http {

namespace {

constexpr std::size_t kMaxParameter = 4096;
constexpr std::size_t kMaxLogoutRequest = 16 * 1024;
constexpr const char* kNotCompleted = "The sign-in could not be completed";

std::string log_quoted(std::string_view text) {
    return nlohmann::json(std::string(text)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

std::string session_tag(std::string_view kind, std::string_view issuer, std::string_view value) {
    std::string input(issuer);
    input += '\n';
    input += value;
    const auto digest = sha256(input);
    return "oidc-" + std::string(kind) + ":" +
           base64url_encode(std::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()));
}

Result<std::string> read_logout_token(const Pistache::Http::Request& request) {
    const auto refused = [](std::string why) { return BadRequest("Invalid logout token", std::move(why)).failure(); };
    const auto type = request.headers().tryGet<Pistache::Http::Header::ContentType>();
    if (!type || type->mime() != MIME(Application, FormUrlEncoded))
        return refused("a back-channel logout is application/x-www-form-urlencoded");
    const auto& body = request.body();
    if (body.size() > kMaxLogoutRequest) return refused("the request is larger than 16 KiB");
    std::optional<std::string> token;
    for (std::string_view rest = body; !rest.empty();) {
        const auto end = rest.find('&');
        const auto pair = rest.substr(0, end);
        rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
        const auto eq = pair.find('=');
        std::string name, value;
        if (!form_decode(pair.substr(0, eq), name) ||
            !form_decode(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1), value))
            return refused("the form is malformed");
        if (name != "logout_token") continue;
        if (token) return refused("logout_token is sent twice");
        token = std::move(value);
    }
    if (!token || token->empty()) return refused("no logout_token");
    return std::move(*token);
}

void answer_backchannel_logout(Pistache::Http::ResponseWriter& writer, const AuthConfig& config, std::string_view provider,
                               const Result<std::size_t>& ended) noexcept {
    try {
        writer.headers().add<Pistache::Http::Header::CacheControl>(Pistache::Http::CacheDirective::NoStore);
        if (!ended) {
            write_log(config.tokens.log,
                      "fauth oidc '" + std::string(provider) + "': back-channel logout refused: " + ended.failure().log);
            return send_failure(writer, ended.failure(), Challenge{}, config.tokens.log);
        }
        write_log(config.tokens.log, "fauth oidc '" + std::string(provider) + "': back-channel logout ended " +
                                         std::to_string(*ended) + " session(s)");
        writer.send(Pistache::Http::Code::Ok);
    } catch (...) {
        // The connection is gone or memory ran out: nothing more can be sent.
    }
}

std::vector<std::string> logout_tags(const oidc::LogoutToken& token) {
    if (!token.sid) return {session_tag("sub", token.issuer, token.subject.value_or(""))};
    std::vector<std::string> tags{session_tag("sid", token.issuer, *token.sid)};
    if (token.subject) tags.push_back(session_tag("nosid", token.issuer, *token.subject));
    return tags;
}

std::vector<std::string> sign_in_tags(const oidc::IdToken& id_token) {
    std::vector<std::string> tags{session_tag("sub", id_token.issuer, id_token.subject)};
    tags.push_back(id_token.sid ? session_tag("sid", id_token.issuer, *id_token.sid)
                                : session_tag("nosid", id_token.issuer, id_token.subject));
    return tags;
}

namespace {

// Ends the sessions of `tags` from `at` on, one after the other; `done` gets how many were ended
// in all, or the first failure.
void end_tags(const Engine& engine, std::shared_ptr<const std::vector<std::string>> tags, std::size_t at, std::size_t ended,
              std::function<void(Result<std::size_t>)> done) {
    if (at == tags->size()) return done(ended);
    engine.after(engine.end_tagged((*tags)[at]), [&engine, tags, at, ended, done = std::move(done)](Result<std::size_t> now) {
        if (!now) return done(std::move(now).failure());
        end_tags(engine, tags, at + 1, ended + *now, done);
    });
}

}  // namespace

Pistache::Rest::Route::Handler backchannel_logout_handler(const Engine& engine, std::shared_ptr<oidc::RelyingParty> relying_party,
                                                          std::shared_ptr<ReplayCache> replay) {
    return Endpoint::guard_exceptions(
        [&engine, rp = std::move(relying_party), replay = std::move(replay)](const Pistache::Rest::Request& request,
                                                                             Pistache::Http::ResponseWriter writer) {
            const AuthConfig& config = engine.config();
            auto token = read_logout_token(request);
            if (!token) return answer_backchannel_logout(writer, config, rp->options().name, token.failure());
            auto shared = std::make_shared<Pistache::Http::ResponseWriter>(std::move(writer));
            engine
                .off_thread<oidc::LogoutToken>([rp, token = std::move(*token)](auto settle) mutable {
                    rp->verify_logout(std::move(token), std::move(settle));
                })
                .then([&engine, &config, rp, replay, shared](Result<oidc::LogoutToken> verified) {
                    const auto& name = rp->options().name;
                    if (!verified) {
                        auto refused = std::move(verified).failure();
                        if (refused.kind == ErrorKind::invalid_token) refused.kind = ErrorKind::bad_request;
                        return answer_backchannel_logout(*shared, config, name, refused);
                    }
                    auto logout_token = std::make_shared<const oidc::LogoutToken>(std::move(*verified));
                    // The sessions first: ending them again is harmless, and a store that cannot end
                    // them now answers 503 before the jti is used up, so that the provider may retry.
                    end_tags(engine, std::make_shared<const std::vector<std::string>>(logout_tags(*logout_token)), 0, 0,
                             [&engine, &config, name, replay, shared, logout_token](Result<std::size_t> ended) {
                                 if (!ended) return answer_backchannel_logout(*shared, config, name, ended);
                                 const auto now = fauth::unix_seconds(config.tokens.clock);
                                 const auto lifetime =
                                     std::chrono::seconds(std::max<std::int64_t>(logout_token->expires_at - now, 1));
                                 engine.after(replay->first_use("oidc-" + name + ":" + logout_token->jti, lifetime),
                                              [&config, name, shared, count = *ended](Result<void> first) {
                                                  if (!first && first.failure().kind != ErrorKind::unavailable)
                                                      return answer_backchannel_logout(
                                                          *shared, config, name,
                                                          BadRequest("Invalid logout token",
                                                                     "logout token replayed (its jti was seen)")
                                                              .failure());
                                                  answer_backchannel_logout(*shared, config, name, count);
                                              });
                             });
                });
        },
        engine.config().tokens.log);
}

bool wants_page(const Pistache::Http::Request& request) {
    const auto accept = request.headers().tryGetRaw("Accept");
    return accept && accept->value().find("text/html") != std::string::npos;
}

Result<CallbackGrant> read_callback(const Pistache::Http::Request& request, const oidc::RelyingParty& relying_party,
                                    const oidc::LoginStateSeal& seal, const CookieSettings& cookies, std::int64_t now) {
    // Pistache leaves the query percent-encoded.
    const auto& query = request.query();
    std::optional<std::string> code, state, iss, error, description;
    for (auto [name, out] : {std::pair{"code", &code}, std::pair{"state", &state}, std::pair{"iss", &iss},
                             std::pair{"error", &error}, std::pair{"error_description", &description}}) {
        const auto raw = query.get(name);
        if (!raw) continue;
        std::string value;
        if (raw->size() > 3 * kMaxParameter || !form_decode(*raw, value) || value.size() > kMaxParameter)
            return BadRequest(kNotCompleted, std::string("the response's ") + name + " is malformed or too long").failure();
        *out = std::move(value);
    }
    const auto cookie_name = sign_in_cookie_name(cookies, relying_party.options().name);
    if (!request.cookies().has(cookie_name)) {
        auto failure =
            BadRequest(kNotCompleted, "no sign-in state cookie (another browser, or a sign-in already finished)").failure();
        failure.detail = "Invalid sign-in state";
        return failure;
    }
    if (!state) {
        auto failure = BadRequest(kNotCompleted, "no state in the response").failure();
        failure.detail = "Invalid sign-in state";
        return failure;
    }
    auto login = seal.open(request.cookies().get(cookie_name).value, relying_party.options().name, *state, now);
    if (!login) return std::move(login).failure();
    if (auto issuer = relying_party.check_issuer_parameter(iss); !issuer) return std::move(issuer).failure();
    if (error) {
        auto failure = BadRequest(kNotCompleted, "the provider answered error " + log_quoted(*error) +
                                                     (description ? " " + log_quoted(*description) : std::string()))
                           .failure();
        failure.detail = "The sign-in was cancelled or refused at the provider";
        return failure;
    }
    if (!code || code->empty()) return BadRequest(kNotCompleted, "no code in the response").failure();
    return CallbackGrant{std::move(*code), std::move(*login)};
}

void refuse_sign_in(Pistache::Http::ResponseWriter& writer, const AuthConfig& config, const CookieSettings& cookies,
                    std::string_view provider, const Failure& failure, SecurityEvent event, bool page) noexcept {
    try {
        event.reason = "oidc " + std::string(provider) + ": " + failure.log;
        if (failure.kind == ErrorKind::bad_request || failure.kind == ErrorKind::forbidden ||
            failure.kind == ErrorKind::inactive_user) {
            event.type = SecurityEventType::login_failure;
            config.report(event);
        }
        clear_sign_in_cookie(writer, cookies, provider);
    } catch (...) {
        // Reporting failed (a sink that throws): the answer still goes.
    }
    if (page) return send_failure_page(writer, failure, config.tokens.log);
    send_failure(writer, failure, Challenge{}, config.tokens.log);
}

void finish_sign_in(Pistache::Http::ResponseWriter& writer, const AuthConfig& config, const CookieSettings& cookies,
                    const TokenCodec& codec, std::string_view provider, const TokenResponse& tokens, const std::string& location,
                    const std::string& routes, std::string sealed_hint, SecurityEvent event, std::string subject) noexcept {
    try {
        set_session_cookies(writer, tokens, cookies, codec);
        clear_sign_in_cookie(writer, cookies, provider);
        set_hint_cookie(writer, cookies, provider, routes, std::move(sealed_hint), codec.config().refresh_token_ttl);
        writer.headers().add<Pistache::Http::Header::CacheControl>(Pistache::Http::CacheDirective::NoStore);
        writer.headers().add<Pistache::Http::Header::Location>(location);
        event.type = SecurityEventType::login_success;
        event.subject = std::move(subject);
        event.reason = "oidc " + std::string(provider);
        try {
            config.report(event);
        } catch (...) {}
        writer.send(Pistache::Http::Code::See_Other);
    } catch (...) {
        // The connection is gone or memory ran out: nothing more can be sent.
    }
}

Pistache::Rest::Route::Handler sign_in_start_handler(std::shared_ptr<oidc::RelyingParty> relying_party,
                                                     std::shared_ptr<const oidc::LoginStateSeal> seal,
                                                     std::shared_ptr<const HttpConfig> http, LogSink log) {
    return Endpoint::guard_exceptions(
        [relying_party = std::move(relying_party), seal = std::move(seal), http = std::move(http),
         log](const Pistache::Rest::Request& request, Pistache::Http::ResponseWriter writer) {
            std::string return_to = "/";
            if (const auto raw = request.query().get("return_to")) {
                std::string decoded;
                if (raw->size() <= 3 * kMaxParameter && form_decode(*raw, decoded)) return_to = std::move(decoded);
            }
            auto started = relying_party->start(std::move(return_to));
            if (!started) {
                if (wants_page(request)) return send_failure_page(writer, started.failure(), log);
                return send_failure(writer, started.failure(), Challenge{}, log);
            }
            const auto& [login, url] = *started;
            set_sign_in_cookie(writer, http->cookies, relying_party->options().name, seal->seal(login),
                               relying_party->options().login_lifetime);
            writer.headers().add<Pistache::Http::Header::CacheControl>(Pistache::Http::CacheDirective::NoStore);
            writer.headers().add<Pistache::Http::Header::Location>(url);
            writer.send(Pistache::Http::Code::Found);
        },
        log);
}

Pistache::Rest::Route::Handler end_session_handler(std::shared_ptr<oidc::RelyingParty> relying_party,
                                                   std::shared_ptr<const oidc::LoginStateSeal> seal,
                                                   std::shared_ptr<const HttpConfig> http, std::string routes, LogSink log) {
    return Endpoint::guard_exceptions(
        [relying_party = std::move(relying_party), seal = std::move(seal), http = std::move(http),
         routes = std::move(routes)](const Pistache::Rest::Request& request, Pistache::Http::ResponseWriter writer) {
            const auto& name = relying_party->options().name;
            const auto cookie = hint_cookie_name(http->cookies, name);
            std::optional<std::string> hint;
            if (request.cookies().has(cookie)) hint = seal->open_hint(request.cookies().get(cookie).value, name);
            set_hint_cookie(writer, http->cookies, name, routes, "", std::chrono::seconds(0));
            const auto url = relying_party->end_session_url(hint ? *hint : std::string());
            writer.headers().add<Pistache::Http::Header::CacheControl>(Pistache::Http::CacheDirective::NoStore);
            writer.headers().add<Pistache::Http::Header::Location>(url ? *url : std::string("/"));
            writer.send(Pistache::Http::Code::See_Other);
        },
        std::move(log));
}

RouteDoc end_session_doc(std::string_view display_name) {
    const auto name = std::string(display_name);
    return RouteDoc{.summary = "Sign out at " + name,
                    .description =
                        "RP-initiated logout: once this service's session is ended (the logout endpoint), the "
                        "browser goes to " +
                        name +
                        "'s logout page with the sign-in's ID token as id_token_hint "
                        "(kept sealed in an HttpOnly cookie), then back.",
                    .tags = {"Sign-in"},
                    .responses = {{"303", {{"description", "To " + name + "'s logout page (or / when it has none)"}}}}};
}

RouteDoc sign_in_start_doc(std::string_view display_name) {
    const auto name = std::string(display_name);
    return RouteDoc{.summary = "Sign in with " + name,
                    .description =
                        "Starts a sign-in at " + name +
                        " (OpenID Connect authorization code flow with PKCE): the browser is sent there, with its state "
                        "sealed in a short-lived HttpOnly cookie, and comes back to the callback signed in.",
                    .tags = {"Sign-in"},
                    .parameters =
                        nlohmann::json::array({{{"name", "return_to"},
                                                {"in", "query"},
                                                {"required", false},
                                                {"description", "A path of this service to go to once signed in (default /)."},
                                                {"schema", {{"type", "string"}}}}}),
                    .responses = {{"302", {{"description", "To " + name + "'s sign-in page"}}},
                                  {"503", {{"description", name + " cannot be reached yet"}}}}};
}

RouteDoc sign_in_callback_doc(std::string_view display_name) {
    const auto name = std::string(display_name);
    nlohmann::json parameters = nlohmann::json::array();
    for (const char* p : {"code", "state", "iss", "error", "error_description"})
        parameters.push_back({{"name", p}, {"in", "query"}, {"required", false}, {"schema", {{"type", "string"}}}});
    return RouteDoc{.summary = "Where " + name + " sends the browser back",
                    .description =
                        "Redeems the code, verifies the ID token, maps the identity to an account and starts the cookie "
                        "session; the provider's tokens never reach the browser. Answers a page to browsers and "
                        "{\"detail\": ...} otherwise.",
                    .tags = {"Sign-in"},
                    .parameters = std::move(parameters),
                    .responses =
                        {{"303", {{"description", "Signed in: to the path the sign-in started for, with the session cookies"}}},
                         {"400",
                          {{"description", "Invalid sign-in state, an error from the provider, or a code or ID token refused"}}},
                         {"403", {{"description", "No active account for this identity"}}},
                         {"503", {{"description", name + " cannot be reached"}}}}};
}

RouteDoc backchannel_logout_doc(std::string_view display_name) {
    const auto name = std::string(display_name);
    return RouteDoc{.summary = "Back-channel logout from " + name,
                    .description =
                        "Called by " + name +
                        " (OpenID Connect Back-Channel Logout 1.0) when a user signs out there: the logout token's "
                        "signature, issuer, audience, age and events are checked, its jti is taken once, and the sessions "
                        "begun with that provider session (its sid), or with that account (its sub), are ended.",
                    .tags = {"Sign-in"},
                    .request_body = {{"required", true},
                                     {"content",
                                      {{"application/x-www-form-urlencoded",
                                        {{"schema",
                                          {{"type", "object"},
                                           {"required", {"logout_token"}},
                                           {"properties", {{"logout_token", {{"type", "string"}}}}}}}}}}}},
                    .responses = {{"200", {{"description", "The sessions are ended"}}},
                                  {"400",
                                   {{"description", "Invalid logout token (signature, issuer, audience, age, events, replay)"}}},
                                  {"503", {{"description", "The sessions cannot be ended now"}}}}};
}

}  // namespace fauth::http
