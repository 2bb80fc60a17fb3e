// Test helper: the test application's routes and loaders (see test_app.hpp).
#include "support/test_app.hpp"

namespace fauth::test {

/// Reads the user the SecurityContext holds, from "deep inside" the application.
std::string whoami_from_service() {
    const auto* user = http::SecurityContext<AppUser>::user();
    const auto* token = http::SecurityContext<AppUser>::token();
    if (user == nullptr || token == nullptr) return "nobody";
    return user->username + "/" + token->sub + "/" + (http::SecurityContext<AppUser>::has_role("admin") ? "admin" : "-");
}

TestApp::TestApp(int threads, AuthConfig config, http::HttpConfig http)
    : auth_(make_provider(std::move(config))), api_(router_, std::move(http)) {
    using Pistache::Http::Code;
    using Pistache::Http::ResponseWriter;
    using Pistache::Rest::Request;
    api_.get("/health", [](const Request&, ResponseWriter w) { http::send_json(w, Code::Ok, {{"status", "ok"}}); });
    api_.post("/login", http::login_endpoint(*auth_));
    // With cookies, where browsers send the refresh cookie (/auth/refresh and /auth/logout by default).
    const auto& cookies = api_.config().cookies;
    const std::string session_path = cookies.accepts_cookie() ? cookies.refresh_path : "";
    api_.post(session_path + "/refresh", http::refresh_endpoint(*auth_));
    api_.post(session_path + "/logout", http::logout_endpoint(*auth_));
    api_.get("/me", auth_->require_user([](const Request&, ResponseWriter w, const AppUser& u) {
        http::send_json(w, Code::Ok, {{"message", "Hello " + u.username}});
    }));
    // Declared noexcept: the guard keeps no copy of the writer for a 500 (guard.hpp, call).
    api_.get("/me-noexcept", auth_->require_user([](const Request&, ResponseWriter w, const AppUser& u) noexcept {
        http::send_json(w, Code::Ok, {{"message", "Hello " + u.username}});
    }));
    api_.get("/maybe-noexcept", auth_->optional_user([](const Request&, ResponseWriter w, const AppUser* u) noexcept {
        http::send_json(w, Code::Ok, {{"user", u ? nlohmann::json(u->username) : nlohmann::json()}});
    }));
    if (cookies.accepts_cookie()) api_.post("/session/login", http::login_endpoint(*auth_, http::TokenDelivery::cookies));
    api_.post("/notes", auth_->require_user([](const Request&, ResponseWriter w, const AppUser& u) {
        http::send_json(w, Code::Created, {{"owner", u.id}});
    }));
    api_.post("/maybe", auth_->optional_user([](const Request&, ResponseWriter w, const AppUser* u) {
        http::send_json(w, Code::Ok, {{"user", u ? nlohmann::json(u->username) : nlohmann::json()}});
    }));
    api_.post("/account/delete", auth_->require_fresh_user([](const Request&, ResponseWriter w, const AppUser& u) {
        http::send_json(w, Code::Ok, {{"deleted", u.id}});
    }));
    api_.get("/active", auth_->require_user([](const Request&, ResponseWriter w, const AppUser& u) {
        http::send_json(w, Code::Ok, {{"id", u.id}});
    }));
    api_.get("/admin", auth_->require_roles({"admin"}, [](const Request&, ResponseWriter w, const AppUser&) {
        http::send_json(w, Code::Ok, {{"secret_data", "Top secret admin info"}});
    }));
    api_.get("/staff", auth_->require_roles(
                           {"admin", "member"},
                           [](const Request&, ResponseWriter w, const AppUser&) {
                               http::send_json(w, Code::Ok, {{"staff", true}});
                           },
                           Match::any));
    api_.get("/write", auth_->require_permissions({"write"}, [](const Request&, ResponseWriter w, const AppUser&) {
        http::send_json(w, Code::Ok, {{"write", true}});
    }));
    api_.get("/maybe", auth_->optional_user([](const Request&, ResponseWriter w, const AppUser* u) {
        http::send_json(w, Code::Ok,
                        {{"user", u ? nlohmann::json(u->username) : nlohmann::json()}, {"context", whoami_from_service()}});
    }));
    api_.get("/context", auth_->require_user([](const Request&, ResponseWriter w, const AppUser&) {
        http::send_json(w, Code::Ok, {{"context", whoami_from_service()}});
    }));
    api_.get("/items/:id", auth_->require_user([](const Request& r, ResponseWriter w, const AppUser& u) {
        http::send_json(w, Code::Ok, {{"id", r.param(":id").as<std::string>()}, {"owner", u.id}});
    }));
    api_.get("/boom", auth_->require_user([](const Request&, ResponseWriter, const AppUser&) {
        throw std::runtime_error("database password is hunter2");
    }));
    api_.get("/public-boom", [](const Request&, ResponseWriter) -> Pistache::Rest::Route::Result {
        throw std::runtime_error("stack trace with secrets");
    });
    http::SecureRouter<AppUser> internal{api_, *auth_, {.prefix = "/internal", .tags = {"Protected"}}};
    internal.get("/dashboard", [](const Request&, ResponseWriter w, const AppUser&) {
        http::send_json(w, Code::Ok, {{"data", "Secure dashboard"}});
    });
    internal.get("/reports",
                 [](const Request&, ResponseWriter w, const AppUser&) {
                     http::send_json(w, Code::Ok, {{"reports", nlohmann::json::array()}});
                 },
                 {.rule = {.permissions = {"write"}}});
    internal.get("/status", http::allow_anonymous([](const Request&, ResponseWriter w) {
                     http::send_json(w, Code::Ok, {{"status", "public"}});
                 }));
    http::SecureRouter<AppUser> admin{api_, *auth_, {.prefix = "/ops", .tags = {"Ops"}, .rule = {.roles = {"admin"}}}};
    admin.get("/panel", [](const Request&, ResponseWriter w, const AppUser&) {
        http::send_json(w, Code::Ok, {{"panel", true}});
    });
    admin.post("/panel", [](const Request&, ResponseWriter w, const AppUser&) {
        http::send_json(w, Code::Ok, {{"posted", true}});
    });
    if (auth_->engine().second_factors() != nullptr) {  // AuthConfig::second_factor.store set: second_factor_test
        api_.post("/login/second-factor", http::second_factor_login_endpoint(*auth_));
        http::add_second_factor_routes<AppUser>(api_, *auth_, {.account_name = [](const AppUser& u) { return u.username; }});
        api_.get("/step-up", auth_->require(Rule::second_factor(), [](const Request&, ResponseWriter w, const AppUser& u) {
            http::send_json(w, Code::Ok, {{"hello", u.username}});
        }));
        api_.get("/recent", auth_->require(Rule::authenticated_within(std::chrono::seconds(60)),
                                           [](const Request&, ResponseWriter w, const AppUser& u) {
                                               http::send_json(w, Code::Ok, {{"hello", u.username}});
                                           }));
    }
    if (auth_->engine().passkeys() != nullptr)  // AuthConfig::passkeys.store set: passkeys_test
        http::add_passkey_routes<AppUser>(api_, *auth_, {.user_name = [](const AppUser& u) { return u.username; }});
    api_.serve_openapi("/openapi.json", {.title = "test app", .version = "9.9.9"});
    server_ = std::make_unique<fauth::testing::TestServer>(api_, threads);
    port_ = server_->port();
}

TestApp::~TestApp() {
    server_.reset();
    std::lock_guard lock(threads_mutex_);
    for (auto& t : loader_threads_) t.join();
}

std::string TestApp::token_for(const std::string& id) { return auth_->login(id).access_token; }

LoadResult<AppUser> TestApp::answer(std::optional<AppUser> user) {
    switch (mode_.load()) {
        case LoaderMode::immediate: return LoadResult<AppUser>::resolved(std::move(user));
        case LoaderMode::throws: throw std::runtime_error("loader exploded: secret-dsn");
        case LoaderMode::rejects: return LoadResult<AppUser>::rejected(std::runtime_error("loader rejected: secret-dsn"));
        case LoaderMode::slow_async: break;
    }
    return LoadResult<AppUser>([&, user](Pistache::Async::Resolver& resolve, Pistache::Async::Rejection&) {
        auto r = std::make_shared<Pistache::Async::Resolver>(std::move(resolve));
        std::lock_guard lock(threads_mutex_);
        loader_threads_.emplace_back([r, user]() mutable {
            std::this_thread::sleep_for(std::chrono::milliseconds(150));
            (*r)(std::move(user));
        });
    });
}

std::optional<AppUser> TestApp::find(const std::function<bool(const AppUser&)>& pred) {
    for (const auto& [id, u] : users_)
        if (pred(u)) return u;
    return std::nullopt;
}

std::unique_ptr<AuthProvider<AppUser>> TestApp::make_provider(AuthConfig config) {
    users_ = {{"user-123", {"user-123", "alice", hash_password("s3cret", kCost), true, {"admin"}, {"read", "write"}}},
              {"user-456", {"user-456", "bob", hash_password("hunter2", kCost), true, {"member"}, {"read"}}},
              {"user-789", {"user-789", "carol", hash_password("letmein", kCost), false, {}, {}}}};
    config.tokens.log = [this](std::string_view m) {
        std::lock_guard lock(log_mutex_);
        logs_.emplace_back(m);
    };
    config.tokens.security_events = [this](const SecurityEvent& e) {
        std::lock_guard lock(log_mutex_);
        events_.push_back(e);
    };
    return std::make_unique<AuthProvider<AppUser>>(
        std::move(config),
        [this](const TokenPayload& p) { return answer(find([&](const AppUser& u) { return u.id == p.sub; })); },
        [this](const std::string& name) { return answer(find([&](const AppUser& u) { return u.username == name; })); });
}

}  // namespace fauth::test
