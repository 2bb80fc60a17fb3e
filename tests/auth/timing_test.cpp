// Login timing does not tell which login names exist: an unknown name, a known name with a wrong
// password and a user without a password all cost one bcrypt check. Statistical, with generous
// bounds: it fails only if one path skips bcrypt, which would be a 100x difference at this cost.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "fauth/auth/provider.hpp"
#include "support/await.hpp"
#include "support/user.hpp"

using fauth::test::User;

namespace {

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

}  // namespace

TEST(LoginTiming, UnknownAndKnownUsersAreIndistinguishable) {
    constexpr int kCost = 6;  // a few milliseconds per check
    fauth::AuthConfig c;
    c.secret_key = std::string(32, 's');
    c.bcrypt_cost = kCost;
    c.worker_threads = 1;
    const std::map<std::string, User> users{{"alice", {"u1", "alice", fauth::hash_password("s3cret", kCost), true, {}, {}}},
                                            {"nohash", {"u2", "nohash", "", true, {}, {}}}};
    fauth::AuthProvider<User> auth{c, [](const fauth::TokenPayload&) { return std::optional<User>(); },
                                   [&](std::string_view name) -> std::optional<User> {
                                       auto it = users.find(std::string(name));
                                       return it == users.end() ? std::nullopt : std::optional<User>(it->second);
                                   }};
    auto time_one = [&](const char* name) {
        const auto start = std::chrono::steady_clock::now();
        auto p = auth.authenticate(name, "wrong password");
        const auto outcome = fauth::test::settle(p);
        EXPECT_TRUE(outcome.error);
        return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    };
    // The three are timed back to back in each round and compared within it, so that a burst of
    // load from elsewhere on the machine falls on the samples it is compared with; the median of
    // the per-round ratios is then immune to the few rounds it spoils.
    std::map<std::string, std::vector<double>> ratios;
    std::vector<double> known;
    for (int i = 0; i < 3; ++i) time_one("alice");  // warm up
    for (int i = 0; i < 25; ++i) {
        const double alice = time_one("alice");
        known.push_back(alice);
        for (const char* other : {"nobody", "nohash"}) ratios[other].push_back(time_one(other) / alice);
    }
    for (const char* other : {"nobody", "nohash"}) {
        const double ratio = median(ratios[other]);
        EXPECT_GT(ratio, 0.6) << other << ": median per-round ratio to alice's " << median(known) << " ms";
        EXPECT_LT(ratio, 1.6) << other << ": median per-round ratio to alice's " << median(known) << " ms";
    }
}

TEST(LoginTiming, AHashDearerThanTheConfiguredCostDoesNotStandOut) {
    // The configured cost is 5; one stored hash was made at 9 (sixteen times the work: say by a
    // tool with another default). Unknown names, users at cost 5 and a stored hash that is not
    // well-formed must cost as much as it once it has been seen, or its user stands out.
    constexpr int kCost = 5, kDearer = 9;
    fauth::AuthConfig c;
    c.secret_key = std::string(32, 's');
    c.bcrypt_cost = kCost;
    c.worker_threads = 1;
    std::string truncated = fauth::hash_password("s3cret", kCost);
    truncated.pop_back();  // 59 characters: no bcrypt hash
    const std::map<std::string, User> users{{"root", {"u0", "root", fauth::hash_password("s3cret", kDearer), true, {}, {}}},
                                            {"alice", {"u1", "alice", fauth::hash_password("s3cret", kCost), true, {}, {}}},
                                            {"broken", {"u2", "broken", truncated, true, {}, {}}}};
    fauth::AuthProvider<User> auth{c, [](const fauth::TokenPayload&) { return std::optional<User>(); },
                                   [&](std::string_view name) -> std::optional<User> {
                                       auto it = users.find(std::string(name));
                                       return it == users.end() ? std::nullopt : std::optional<User>(it->second);
                                   }};
    auto time_one = [&](const char* name) {
        const auto start = std::chrono::steady_clock::now();
        auto p = auth.authenticate(name, "wrong password");
        const auto outcome = fauth::test::settle(p);
        EXPECT_TRUE(outcome.error);
        return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    };
    for (int i = 0; i < 2; ++i) time_one("root");  // seen once: the dearest cost in use
    std::map<std::string, std::vector<double>> ratios;
    std::vector<double> dear;
    for (int i = 0; i < 11; ++i) {
        const double root = time_one("root");
        dear.push_back(root);
        for (const char* other : {"nobody", "alice", "broken"}) ratios[other].push_back(time_one(other) / root);
    }
    for (const char* other : {"nobody", "alice", "broken"}) {
        const double ratio = median(ratios[other]);
        EXPECT_GT(ratio, 0.6) << other << ": median per-round ratio to root's " << median(dear) << " ms";
        EXPECT_LT(ratio, 1.6) << other << ": median per-round ratio to root's " << median(dear) << " ms";
    }
}
