// A small tour of fauth's core: hash a password, authenticate, log in, resolve the token's user.
// The Pistache quickstart server replaces this demo as the README's first command.
#include <cstdlib>
#include <iostream>
#include <map>

#include "fauth/fauth.hpp"

struct User {
    std::string id, username, hashed_password;
    bool is_active = true;
    std::vector<std::string> roles, permissions;
};

template <class T>
T wait_for(Pistache::Async::Promise<T> promise) {
    std::optional<T> value;
    std::exception_ptr error;
    std::mutex m;
    std::condition_variable cv;
    bool done = false;
    promise.then(
        [&](const T& v) {
            std::lock_guard lock(m);
            value = v;
            done = true;
            cv.notify_one();
        },
        [&](std::exception_ptr e) {
            std::lock_guard lock(m);
            error = e;
            done = true;
            cv.notify_one();
        });
    std::unique_lock lock(m);
    cv.wait(lock, [&] { return done; });
    if (error) std::rethrow_exception(error);
    return *value;
}

int main() {
    fauth::AuthConfig config;
    const char* secret = std::getenv("FAUTH_SECRET_KEY");
    config.secret_key = secret ? secret : "demo-only-secret-key-of-32-bytes!!";
    config.bcrypt_cost = 10;

    std::map<std::string, User> db{
        {"user-123", {"user-123", "alice", fauth::hash_password("s3cret", config.bcrypt_cost), true, {"admin"}, {"read", "write"}}}};

    fauth::AuthProvider<User> auth{
        config,
        [&](const fauth::TokenPayload& p) -> std::optional<User> {
            auto it = db.find(p.sub);
            return it == db.end() ? std::nullopt : std::optional(it->second);
        },
        [&](std::string_view name) -> std::optional<User> {
            for (auto& [id, u] : db)
                if (u.username == name) return u;
            return std::nullopt;
        }};

    try {
        const User user = wait_for(auth.authenticate("alice", "s3cret"));
        const auto tokens = auth.login(user.id, {"read"});
        std::cout << "login:   " << nlohmann::json(tokens).dump(2) << "\n";
        const User me = wait_for(auth.resolve_user(tokens.access_token));
        std::cout << "me:      Hello " << me.username << "\n";
        fauth::require_roles(me, {"admin"});
        std::cout << "admin:   allowed\n";
        wait_for(auth.authenticate("alice", "wrong"));
    } catch (const fauth::Error& e) {
        std::cout << "refused: " << e.detail() << "\n";
    }
    return 0;
}
