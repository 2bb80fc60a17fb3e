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

// Logins with a wrong password as each of `others` take as long as one as `reference`, on a
// provider at bcrypt `cost` (one worker) whose users are `users`, once `reference` has been
// tried `warm_up` times. The names are timed back to back in each round and compared within it,
// so that a burst of load from elsewhere on the machine falls on the samples it is compared
// with, each round starting at the next name, so that no name is always the one timed first
// after a pause; the median of the per-round ratios is then immune to the few rounds load
// spoils. (CTest runs these cases alone: tests/CMakeLists.txt, SERIAL.)
void expect_indistinguishable(int cost, const std::map<std::string, User>& users, const char* reference,
                              const std::vector<const char*>& others, int warm_up, int rounds) {
    fauth::AuthConfig c;
    c.tokens.secret_key = std::string(32, 's');
    c.bcrypt_cost = cost;
    c.worker_threads = 1;
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
    std::map<std::string, std::vector<double>> ratios;
    std::vector<double> base;
    for (int i = 0; i < warm_up; ++i) time_one(reference);
    std::vector<const char*> names{reference};
    names.insert(names.end(), others.begin(), others.end());
    for (int i = 0; i < rounds; ++i) {
        std::map<std::string, double> took;
        for (std::size_t k = 0; k < names.size(); ++k) {
            const char* name = names[(static_cast<std::size_t>(i) + k) % names.size()];
            took[name] = time_one(name);
        }
        base.push_back(took[reference]);
        for (const char* other : others) ratios[other].push_back(took[other] / took[reference]);
    }
    for (const char* other : others) {
        const double ratio = median(ratios[other]);
        EXPECT_GT(ratio, 0.6) << other << ": median per-round ratio to " << reference << "'s " << median(base) << " ms";
        EXPECT_LT(ratio, 1.6) << other << ": median per-round ratio to " << reference << "'s " << median(base) << " ms";
    }
}

}  // namespace

TEST(LoginTiming, UnknownAndKnownUsersAreIndistinguishable) {
    constexpr int kCost = 6;  // a few milliseconds per check
    expect_indistinguishable(kCost,
                             {{"alice", {"u1", "alice", fauth::hash_password("s3cret", kCost), true, {}, {}}},
                              {"nohash", {"u2", "nohash", "", true, {}, {}}}},
                             "alice", {"nobody", "nohash"}, 3, 25);
}

TEST(LoginTiming, AHashDearerThanTheConfiguredCostDoesNotStandOut) {
    // The configured cost is 5; one stored hash was made at 9 (sixteen times the work: say by a
    // tool with another default). Unknown names, users at cost 5 and a stored hash that is not
    // well-formed must cost as much as it once it has been seen, or its user stands out.
    constexpr int kCost = 5, kDearer = 9;
    std::string truncated = fauth::hash_password("s3cret", kCost);
    truncated.pop_back();  // 59 characters: no bcrypt hash
    expect_indistinguishable(kCost,
                             {{"root", {"u0", "root", fauth::hash_password("s3cret", kDearer), true, {}, {}}},
                              {"alice", {"u1", "alice", fauth::hash_password("s3cret", kCost), true, {}, {}}},
                              {"broken", {"u2", "broken", truncated, true, {}, {}}}},
                             "root", {"nobody", "alice", "broken"}, 2, 11);
}
