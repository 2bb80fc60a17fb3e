#include "fauth/core/internal/hmac.hpp"

#include <gtest/gtest.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <atomic>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "support/allocation_counter.hpp"

namespace {

using fauth::detail::HmacKey;
using fauth::detail::kMaxMacSize;

std::string hex(const unsigned char* p, std::size_t n) {
    static const char* d = "0123456789abcdef";
    std::string s;
    for (std::size_t i = 0; i < n; ++i) {
        s += d[p[i] >> 4];
        s += d[p[i] & 15];
    }
    return s;
}

std::string mac_hex(const HmacKey& key, std::string_view data) {
    unsigned char out[kMaxMacSize];
    key.compute(data, out);
    return hex(out, key.size());
}

// OpenSSL's own HMAC (EVP_MAC), the reference fauth's is compared with.
std::string evp_mac_hex(const char* digest, std::string_view key, std::string_view data) {
    static const unsigned char none = 0;  // EVP_Q_mac needs a key pointer even for an empty key
    unsigned char out[EVP_MAX_MD_SIZE];
    std::size_t written = 0;
    const auto* k = key.empty() ? &none : reinterpret_cast<const unsigned char*>(key.data());
    if (EVP_Q_mac(nullptr, "HMAC", nullptr, digest, nullptr, k, key.size(), reinterpret_cast<const unsigned char*>(data.data()),
                  data.size(), out, sizeof out, &written) == nullptr)
        throw std::runtime_error("EVP_Q_mac failed");
    return hex(out, written);
}

struct Rfc4231Case {
    int number;
    std::string key, data;
    const char *sha256, *sha384, *sha512;  // case 5: the first 128 bits only
};

// RFC 4231 section 4, test cases 1-7 (HMAC-SHA-224 left out: fauth has no HS224).
std::vector<Rfc4231Case> rfc4231_cases() {
    std::string key4;
    for (char c = 0x01; c <= 0x19; ++c) key4 += c;
    return {
        {1, std::string(20, '\x0b'), "Hi There", "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
         "afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59cfaea9ea9076ede7f4af152e8b2fa9cb6",
         "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cdedaa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f170"
         "2e696c203a126854"},
        {2, "Jefe", "what do ya want for nothing?", "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
         "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e8e2240ca5e69e2c78b3239ecfab21649",
         "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b63"
         "6e070a38bce737"},
        {3, std::string(20, '\xaa'), std::string(50, '\xdd'), "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe",
         "88062608d3e6ad8a0aa2ace014c8a86f0aa635d947ac9febe83ef4e55966144b2a5ab39dc13814b94e3ab6e101a34f27",
         "fa73b0089d56a284efb0f0756c890be9b1b5dbdd8ee81a3655f83e33b2279d39bf3e848279a722c806b485a47e67c807b946a337bee89426"
         "74278859e13292fb"},
        {4, key4, std::string(50, '\xcd'), "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b",
         "3e8a69b7783c25851933ab6290af6ca77a9981480850009cc5577c6e1f573b4e6801dd23c4a7d679ccf8a386c674cffb",
         "b0ba465637458c6990e5a8c5f61d4af7e576d97ff94b872de76f8050361ee3dba91ca5c11aa25eb4d679275cc5788063a5f19741120c4f2d"
         "e2adebeb10a298dd"},
        {5, std::string(20, '\x0c'), "Test With Truncation", "a3b6167473100ee06e0c796c2955552b",
         "3abf34c3503b2a23a46efc619baef897", "415fad6271580a531d4179bc891d87a6"},
        // 6 and 7: a 131-byte key, longer than either block (64, 128): hashed first.
        {6, std::string(131, '\xaa'), "Test Using Larger Than Block-Size Key - Hash Key First",
         "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
         "4ece084485813e9088d2c63a041bc5b44f9ef1012a2b588f3cd11f05033ac4c60c2ef6ab4030fe8296248df163f44952",
         "80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f3526b56d037e05f2598bd0fd2215d6a1e5295e64f73f63f0aec"
         "8b915a985d786598"},
        {7, std::string(131, '\xaa'),
         "This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed "
         "before being used by the HMAC algorithm.",
         "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
         "6617178e941f020d351e2f254e8fd32c602420feb0b8fb9adccebb82461e99c5a678cc31e799176d3860e6110c46523e",
         "e37b6a775dc87dbaa4dfa9f96e5e3ffddebd71f8867289865df5a32d20cdc944b6022cac3c4982b10d5eeb55c3e4de15134676fb6de04460"
         "65c97440fa8c6a58"},
    };
}

constexpr const char* kDigests[] = {"SHA256", "SHA384", "SHA512"};

}  // namespace

TEST(HmacKey, MatchesRfc4231Vectors) {
    for (const auto& c : rfc4231_cases()) {
        const char* expected[] = {c.sha256, c.sha384, c.sha512};
        for (std::size_t d = 0; d < 3; ++d) {
            const HmacKey key(kDigests[d], c.key);
            EXPECT_EQ(key.size(), std::size_t{32} + 16 * d) << kDigests[d];
            const auto mac = mac_hex(key, c.data);
            if (c.number == 5)  // truncated to 128 bits in the RFC
                EXPECT_EQ(mac.substr(0, 32), expected[d]) << "test case 5, " << kDigests[d];
            else
                EXPECT_EQ(mac, expected[d]) << "test case " << c.number << ", " << kDigests[d];
        }
    }
}

// Every key length from empty to well past SHA-512's 128-byte block (so both sides of each
// block size, and keys hashed first), and every message length from 0 to 1000 bytes (so
// messages ending at, before and after block boundaries), against OpenSSL's EVP_MAC.
TEST(HmacKey, MatchesOpenSslForKeysAndMessagesOfEveryLength) {
    std::mt19937 random(20260433);
    const auto bytes = [&](std::size_t n) {
        std::string s(n, '\0');
        for (auto& ch : s) ch = static_cast<char>(random() & 0xff);
        return s;
    };
    for (const char* digest : kDigests) {
        int compared = 0;
        const auto check = [&](std::size_t key_bytes, std::size_t data_bytes) {
            const auto key = bytes(key_bytes), data = bytes(data_bytes);
            const HmacKey mine(digest, key);
            EXPECT_EQ(mac_hex(mine, data), evp_mac_hex(digest, key, data))
                << digest << ", key of " << key_bytes << " bytes, message of " << data_bytes;
            ++compared;
        };
        for (std::size_t k = 0; k <= 300; ++k) check(k, random() % 1001);
        for (std::size_t m = 0; m <= 1000; ++m) check(random() % 301, m);
        EXPECT_EQ(compared, 301 + 1001);
    }
}

TEST(HmacKey, RefusesOtherDigests) {
    for (const char* digest : {"SHA1", "MD5", "SHA224", "SHA3-256", "sha256", ""})
        EXPECT_THROW(HmacKey(digest, "k"), std::runtime_error) << digest;
}

TEST(HmacKey, VerifyComparesWholeMacs) {
    HmacKey key("SHA256", "k");
    unsigned char mac[kMaxMacSize];
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
    EXPECT_FALSE(HmacKey("SHA256", "K").verify("data", good)) << "another key";
}

// One key per digest, shared by threads that each MAC their own messages: every MAC is the one
// computed beforehand on one thread. (Also run under ThreadSanitizer: the test is THREADS.)
TEST(HmacKey, IsSafeToShareBetweenThreads) {
    const std::string secret(100, 'k');  // longer than SHA-256's block, shorter than SHA-512's
    std::vector<std::unique_ptr<HmacKey>> keys;
    for (const char* digest : kDigests) keys.push_back(std::make_unique<HmacKey>(digest, secret));
    constexpr int kThreads = 4, kMessages = 64, kRounds = 20;
    std::vector<std::string> messages;
    for (int m = 0; m < kMessages; ++m)
        messages.push_back(std::string(static_cast<std::size_t>(m) * 13, 'a') + std::to_string(m));
    std::vector<std::vector<std::string>> expected(keys.size());
    for (std::size_t k = 0; k < keys.size(); ++k)
        for (const auto& m : messages) expected[k].push_back(evp_mac_hex(kDigests[k], secret, m));
    std::atomic<int> mismatches{0}, computed{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
        threads.emplace_back([&, t] {
            for (int r = 0; r < kRounds; ++r)
                for (int i = 0; i < kMessages; ++i) {
                    const auto m = static_cast<std::size_t>((i + t * 17) % kMessages);  // threads interleave differently
                    const auto k = static_cast<std::size_t>(i + r + t) % keys.size();
                    if (mac_hex(*keys[k], messages[m]) != expected[k][m]) ++mismatches;
                    ++computed;
                }
        });
    for (auto& t : threads) t.join();
    EXPECT_EQ(mismatches.load(), 0);
    EXPECT_EQ(computed.load(), kThreads * kRounds * kMessages);
}

// The counter below sees OpenSSL's allocations, not only operator new's: else the next test
// could not tell an EVP_MAC-based HMAC (which mallocs inside OpenSSL) from this one.
TEST(HmacKey, OpenSslAllocationsAreCounted) {
    if (!fauth::test::AllocationCounter::available()) GTEST_SKIP() << "allocations cannot be counted under ThreadSanitizer";
    std::size_t counted = 0;
    {
        fauth::test::AllocationCounter allocations;
        void* p = OPENSSL_malloc(16);
        ASSERT_NE(p, nullptr);
        p = OPENSSL_realloc(p, 4096);
        ASSERT_NE(p, nullptr);
        OPENSSL_free(p);
        counted = allocations.count();
    }
    EXPECT_EQ(counted, 2u) << "OPENSSL_malloc and OPENSSL_realloc";
}

TEST(HmacKey, ComputesAndVerifiesWithoutAllocating) {
    if (!fauth::test::AllocationCounter::available()) GTEST_SKIP() << "allocations cannot be counted under ThreadSanitizer";
    const std::string message(1000, 'm');
    for (const char* digest : kDigests) {
        const HmacKey key(digest, std::string(200, 'k'));
        unsigned char out[kMaxMacSize];
        std::size_t counted = 0;
        bool verified = false;
        {
            fauth::test::AllocationCounter allocations;  // no warm-up: the very first MAC allocates nothing
            key.compute(message, out);
            key.compute("", out);
            key.compute(message, out);
            verified = key.verify(message, std::string_view(reinterpret_cast<const char*>(out), key.size()));
            counted = allocations.count();
        }
        EXPECT_TRUE(verified) << digest;
        EXPECT_EQ(counted, 0u) << digest;
    }
}
