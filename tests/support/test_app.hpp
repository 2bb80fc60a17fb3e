// Test helper: a real fauth application on a real Pistache server on a free loopback port, with
// loaders whose behaviour each test can switch (immediate, slow and asynchronous, failing).
// Its routes are compiled once, in test_app.cpp (library fauth_test_app), not in every test.
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <fauth/http.hpp>
#include <fauth/testing.hpp>

#include "support/user.hpp"

namespace fauth::test {

using AppUser = User;

/// How the test app's loaders answer.
enum class LoaderMode { immediate, slow_async, throws, rejects };

/// Reads the user the SecurityContext holds, from "deep inside" the application.
std::string whoami_from_service();

class TestApp {
public:
    static constexpr int kCost = 4;

    /// Starts the app on a free loopback port with `threads` reactor threads, its routes mounted
    /// with `http`.
    explicit TestApp(int threads = 2, AuthConfig config = default_config(), http::HttpConfig http = {});

    ~TestApp();

    static AuthConfig default_config() {
        AuthConfig c;
        c.tokens.secret_key = "integration-test-secret-32-bytes!";
        c.bcrypt_cost = kCost;
        return c;
    }

    std::uint16_t port() const { return port_; }
    /// An anonymous client of the app.
    fauth::testing::Client client() const { return server_->client(); }
    AuthProvider<AppUser>& auth() { return *auth_; }
    http::Api& api() { return api_; }
    void set_mode(LoaderMode m) { mode_ = m; }
    /// A user of the app: user-123 alice (admin), user-456 bob (member), user-789 carol (inactive).
    const AppUser& user(const std::string& id) const { return users_.at(id); }
    std::vector<std::string> logs() {
        std::lock_guard lock(log_mutex_);
        return logs_;
    }
    std::string token_for(const std::string& id);
    std::vector<SecurityEvent> events() {
        std::lock_guard lock(log_mutex_);
        return events_;
    }
    /// The events of `type` so far.
    std::vector<SecurityEvent> events(SecurityEventType type) {
        std::vector<SecurityEvent> out;
        for (auto& e : events())
            if (e.type == type) out.push_back(e);
        return out;
    }

private:
    LoadResult<AppUser> answer(std::optional<AppUser> user);
    std::optional<AppUser> find(const std::function<bool(const AppUser&)>& pred);
    std::unique_ptr<AuthProvider<AppUser>> make_provider(AuthConfig config);

    std::map<std::string, AppUser> users_;
    std::atomic<LoaderMode> mode_{LoaderMode::immediate};
    std::mutex threads_mutex_, log_mutex_;
    std::vector<std::thread> loader_threads_;
    std::vector<std::string> logs_;
    std::vector<SecurityEvent> events_;
    std::unique_ptr<AuthProvider<AppUser>> auth_;
    Pistache::Rest::Router router_;
    http::Api api_;
    std::unique_ptr<fauth::testing::TestServer> server_;
    std::uint16_t port_ = 0;
};

}  // namespace fauth::test
