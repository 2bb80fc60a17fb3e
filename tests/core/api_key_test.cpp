#include "fauth/core/api_key.hpp"

#include <gtest/gtest.h>

#include <set>

#include "fauth/core/errors.hpp"

TEST(ApiKey, AKeyHasItsPrefixALookupPartAnd256RandomBits) {
    const auto made = fauth::generate_api_key("notes");
    ASSERT_EQ(made.key.size(), std::string("notes_").size() + 16 + 1 + 43);
    EXPECT_EQ(made.key.rfind("notes_", 0), 0u);
    EXPECT_EQ(made.id.size(), 16u);
    EXPECT_EQ(made.key.substr(6, 16), made.id);
    EXPECT_EQ(fauth::api_key_id(made.key, "notes"), std::optional<std::string_view>(made.id));
    EXPECT_EQ(made.hash, fauth::api_key_hash(made.key));
    EXPECT_EQ(made.hash.size(), 64u);
    EXPECT_EQ(made.key.find(made.hash), std::string::npos);
    std::set<std::string> keys, ids;
    for (int i = 0; i < 200; ++i) {
        const auto k = fauth::generate_api_key("notes");
        keys.insert(k.key);
        ids.insert(k.id);
    }
    EXPECT_EQ(keys.size(), 200u);
    EXPECT_EQ(ids.size(), 200u);
}

TEST(ApiKey, TheHashIsSha256OfTheWholeKey) {
    // SHA-256("abc"), FIPS 180-2 appendix B.1.
    EXPECT_EQ(fauth::api_key_hash("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const auto made = fauth::generate_api_key("fauth");
    EXPECT_TRUE(fauth::api_key_matches(made.key, made.hash));
    auto other = made.key;
    other.back() = other.back() == 'A' ? 'B' : 'A';
    EXPECT_FALSE(fauth::api_key_matches(other, made.hash));
    EXPECT_FALSE(fauth::api_key_matches(made.key, ""));
    EXPECT_FALSE(fauth::api_key_matches(made.key, made.hash.substr(1)));
}

TEST(ApiKey, OnlyTheExactFormHasALookupPart) {
    const auto key = fauth::generate_api_key("fauth").key;
    EXPECT_TRUE(fauth::api_key_id(key, "fauth"));
    EXPECT_FALSE(fauth::api_key_id(key, "notes")) << "another prefix";
    EXPECT_FALSE(fauth::api_key_id(key.substr(1), "fauth"));
    EXPECT_FALSE(fauth::api_key_id(key + "A", "fauth")) << "too long";
    EXPECT_FALSE(fauth::api_key_id(key.substr(0, key.size() - 1), "fauth")) << "too short";
    auto upper = key;
    upper[6] = 'G';
    EXPECT_FALSE(fauth::api_key_id(upper, "fauth")) << "the lookup part is lower-case hex";
    auto separator = key;
    separator[22] = '-';
    EXPECT_FALSE(fauth::api_key_id(separator, "fauth"));
    auto secret = key;
    secret[30] = '.';
    EXPECT_FALSE(fauth::api_key_id(secret, "fauth")) << "the secret is base64url";
    EXPECT_FALSE(fauth::api_key_id("", "fauth"));
}

TEST(ApiKey, APrefixIsShortLowerCaseLettersAndDigits) {
    EXPECT_NO_THROW(fauth::validate_api_key_prefix("ntk2"));
    for (const char* bad : {"", "Notes", "no_tes", "a-b", "seventeen-chars-x", "notes "})
        EXPECT_THROW(fauth::validate_api_key_prefix(bad), fauth::ConfigError) << bad;
    EXPECT_THROW(fauth::generate_api_key("Bad"), fauth::ConfigError);
}
