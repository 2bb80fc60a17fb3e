#include "fauth/core/internal/hmac.hpp"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

namespace {

std::string hex(const unsigned char* p, std::size_t n) {
    static const char* d = "0123456789abcdef";
    std::string s;
    for (std::size_t i = 0; i < n; ++i) {
        s += d[p[i] >> 4];
        s += d[p[i] & 15];
    }
    return s;
}

std::string mac_hex(const fauth::detail::HmacKey& key, std::string_view data) {
    unsigned char out[fauth::detail::kMaxMacSize];
    key.compute(data, out);
    return hex(out, key.size());
}

}  // namespace

// RFC 4231 test case 2.
TEST(HmacKey, MatchesRfc4231Vectors) {
    fauth::detail::HmacKey sha256("SHA256", "Jefe");
    EXPECT_EQ(mac_hex(sha256, "what do ya want for nothing?"),
              "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    fauth::detail::HmacKey sha384("SHA384", "Jefe");
    EXPECT_EQ(mac_hex(sha384, "what do ya want for nothing?"),
              "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e8e2240ca5e69e2c78b3239ecfab21649");
    fauth::detail::HmacKey sha512("SHA512", "Jefe");
    EXPECT_EQ(mac_hex(sha512, "what do ya want for nothing?"),
              "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b63"
              "6e070a38bce737");
}

TEST(HmacKey, VerifyComparesWholeMacs) {
    fauth::detail::HmacKey key("SHA256", "k");
    unsigned char mac[fauth::detail::kMaxMacSize];
    key.compute("data", mac);
    const std::string good(reinterpret_cast<char*>(mac), key.size());
    EXPECT_TRUE(key.verify("data", good));
    EXPECT_FALSE(key.verify("datA", good));
    EXPECT_FALSE(key.verify("data", good.substr(0, 31))) << "truncated MAC";
    EXPECT_FALSE(key.verify("data", good + "x")) << "extended MAC";
    EXPECT_FALSE(key.verify("data", "")) << "empty MAC";
    std::string flipped = good;
    flipped[31] = static_cast<char>(flipped[31] ^ 1);
    EXPECT_FALSE(key.verify("data", flipped)) << "last bit differs";
}

TEST(HmacKey, IsSafeToShareBetweenThreads) {
    fauth::detail::HmacKey key("SHA256", "Jefe");
    const auto expected = mac_hex(key, "what do ya want for nothing?");
    std::vector<std::thread> threads;
    std::atomic<int> mismatches{0};
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&] {
            for (int i = 0; i < 2000; ++i)
                if (mac_hex(key, "what do ya want for nothing?") != expected) ++mismatches;
        });
    for (auto& t : threads) t.join();
    EXPECT_EQ(mismatches.load(), 0);
}
