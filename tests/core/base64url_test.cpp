#include "fauth/core/base64url.hpp"

#include <gtest/gtest.h>

using fauth::base64url_decode;
using fauth::base64url_encode;

TEST(Base64Url, EncodesRfc4648VectorsWithoutPadding) {
    EXPECT_EQ(base64url_encode(""), "");
    EXPECT_EQ(base64url_encode("f"), "Zg");
    EXPECT_EQ(base64url_encode("fo"), "Zm8");
    EXPECT_EQ(base64url_encode("foo"), "Zm9v");
    EXPECT_EQ(base64url_encode("foob"), "Zm9vYg");
    EXPECT_EQ(base64url_encode("fooba"), "Zm9vYmE");
    EXPECT_EQ(base64url_encode("foobar"), "Zm9vYmFy");
}

TEST(Base64Url, UsesTheUrlAlphabet) {
    EXPECT_EQ(base64url_encode(std::string("\xfb\xff\xbf", 3)), "-_-_");
    std::string out;
    ASSERT_TRUE(base64url_decode("-_-_", out));
    EXPECT_EQ(out, std::string("\xfb\xff\xbf", 3));
}

TEST(Base64Url, RoundTripsEveryByteValueAndLength) {
    std::string bytes;
    for (int i = 0; i < 256; ++i) bytes.push_back(static_cast<char>(i));
    for (std::size_t len = 0; len <= bytes.size(); ++len) {
        const auto input = bytes.substr(0, len);
        std::string out;
        ASSERT_TRUE(base64url_decode(base64url_encode(input), out)) << len;
        ASSERT_EQ(out, input) << len;
    }
}

TEST(Base64Url, RefusesNonCanonicalInput) {
    std::string out;
    EXPECT_FALSE(base64url_decode("Zg==", out)) << "padding";
    EXPECT_FALSE(base64url_decode("Zm9v+g", out)) << "standard alphabet +";
    EXPECT_FALSE(base64url_decode("Zm9v/g", out)) << "standard alphabet /";
    EXPECT_FALSE(base64url_decode("Zm9 v", out)) << "space";
    EXPECT_FALSE(base64url_decode("Zm9v\n", out)) << "newline";
    EXPECT_FALSE(base64url_decode(std::string("Zm\0v", 4), out)) << "NUL";
    EXPECT_FALSE(base64url_decode("Z", out)) << "impossible length";
    EXPECT_FALSE(base64url_decode("Zm9vY", out)) << "impossible length";
    EXPECT_FALSE(base64url_decode("Zh", out)) << "non-zero trailing bits (Zg is canonical)";
    EXPECT_FALSE(base64url_decode("Zm9", out)) << "non-zero trailing bits (Zm8 is canonical)";
    EXPECT_FALSE(base64url_decode("\xc3\xa9", out)) << "non-ASCII";
    EXPECT_TRUE(base64url_decode("Zg", out));
    EXPECT_TRUE(base64url_decode("Zm8", out));
}
