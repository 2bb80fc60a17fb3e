// TOTP, base32, otpauth URIs, QR codes and recovery codes (src/auth/totp.cpp). The codes are checked
// against the RFCs' own vectors (RFC 6238 appendix B, RFC 4226 appendix D) and, for random secrets
// and times, against two implementations no one here wrote, run at test time: oathtool (OATH
// Toolkit) and pyotp (Debian python3-pyotp), which also parses uri() back. A missing tool fails
// the test: CI installs both (scripts/bootstrap).
#include "fauth/auth/totp.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <random>
#include <regex>
#include <set>
#include <stdexcept>
#include <string>
#include <sys/wait.h>
#include <vector>

#include "fauth/core/errors.hpp"

namespace {

using fauth::totp::Algorithm;
using fauth::totp::Parameters;
using std::chrono::seconds;

// What `command` prints on its standard output; fails the test unless it exits with 0.
std::string run(const std::string& command) {
    std::FILE* pipe = ::popen(command.c_str(), "r");
    if (pipe == nullptr) {
        ADD_FAILURE() << "popen failed: " << command;
        return {};
    }
    std::string out;
    char buffer[4096];
    for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;) out.append(buffer, n);
    const int status = ::pclose(pipe);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
        << command << " failed (status " << status << "; is the tool installed? CI installs oathtool and python3-pyotp)";
    return out;
}

// `text` without its trailing newlines.
std::string chomp(std::string text) {
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    return text;
}

std::string hex(std::string_view bytes) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    for (const char c : bytes) {
        out += kHex[static_cast<unsigned char>(c) >> 4];
        out += kHex[static_cast<unsigned char>(c) & 0x0f];
    }
    return out;
}

std::string_view name(Algorithm algorithm) {
    switch (algorithm) {
        case Algorithm::sha1: return "sha1";
        case Algorithm::sha256: return "sha256";
        case Algorithm::sha512: return "sha512";
    }
    return "?";
}

// The RFC 6238 appendix B seeds: "1234567890" repeated to the HMAC's output size.
const std::string kSeed20 = "12345678901234567890";
const std::string kSeed32 = "12345678901234567890123456789012";
const std::string kSeed64 = "1234567890123456789012345678901234567890123456789012345678901234";

// One random case for the independent implementations.
struct Case {
    std::string secret;
    std::int64_t time;
    Parameters parameters;
};

std::vector<Case> random_cases() {
    std::random_device device;
    std::mt19937_64 random(device());
    std::uniform_int_distribution<std::int64_t> times(0, 4'000'000'000);
    std::uniform_int_distribution<int> lengths(10, 64);
    std::vector<Case> cases;
    for (const Algorithm algorithm : {Algorithm::sha1, Algorithm::sha256})
        for (const int digits : {6, 8})
            for (int i = 0; i < 3; ++i) {
                // A new_secret() (20 bytes) first, then secrets of other lengths.
                std::string secret = fauth::totp::new_secret();
                if (i > 0) {
                    secret.resize(static_cast<std::size_t>(lengths(random)));
                    for (auto& c : secret) c = static_cast<char>(random() & 0xff);
                }
                cases.push_back({secret, times(random), Parameters{algorithm, digits, seconds(i == 2 ? 60 : 30)}});
            }
    return cases;
}

std::string describe(const Case& c) {
    return "secret " + hex(c.secret) + ", time " + std::to_string(c.time) + ", " + std::string(name(c.parameters.algorithm)) +
           ", " + std::to_string(c.parameters.digits) + " digits, period " + std::to_string(c.parameters.period.count());
}

TEST(Totp, Rfc6238AppendixB) {
    struct Row {
        std::int64_t time;
        const char* sha1;
        const char* sha256;
        const char* sha512;
    };
    const Row rows[] = {
        {59, "94287082", "46119246", "90693936"},         {1111111109, "07081804", "68084774", "25091201"},
        {1111111111, "14050471", "67062674", "99943326"}, {1234567890, "89005924", "91819424", "93441116"},
        {2000000000, "69279037", "90698825", "38618901"}, {20000000000, "65353130", "77737706", "47863826"},
    };
    for (const auto& row : rows) {
        SCOPED_TRACE(row.time);
        const Parameters sha1{Algorithm::sha1, 8, seconds(30)};
        const Parameters sha256{Algorithm::sha256, 8, seconds(30)};
        const Parameters sha512{Algorithm::sha512, 8, seconds(30)};
        const std::int64_t step = fauth::totp::step_at(row.time, sha1);
        EXPECT_EQ(step, row.time / 30);
        EXPECT_EQ(fauth::totp::code_at(kSeed20, step, sha1), row.sha1);
        EXPECT_EQ(fauth::totp::code_at(kSeed32, step, sha256), row.sha256);
        EXPECT_EQ(fauth::totp::code_at(kSeed64, step, sha512), row.sha512);
        EXPECT_EQ(fauth::totp::match(kSeed20, row.sha1, row.time, sha1, 0), step);
        EXPECT_EQ(fauth::totp::match(kSeed32, row.sha256, row.time, sha256, 0), step);
        EXPECT_EQ(fauth::totp::match(kSeed64, row.sha512, row.time, sha512, 0), step);
    }
}

TEST(Totp, Rfc4226AppendixD) {
    const char* expected[] = {"755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489"};
    for (int counter = 0; counter < 10; ++counter)
        EXPECT_EQ(fauth::totp::code_at(kSeed20, counter, Parameters{}), expected[counter]) << "counter " << counter;
    // Seven digits: the same truncated value modulo 10^7 (RFC 4226 appendix D's decimal column).
    EXPECT_EQ(fauth::totp::code_at(kSeed20, 0, Parameters{Algorithm::sha1, 7, seconds(30)}), "4755224");
}

TEST(Totp, StepAtFloorsAndValidates) {
    const Parameters p{Algorithm::sha1, 6, seconds(30)};
    EXPECT_EQ(fauth::totp::step_at(0, p), 0);
    EXPECT_EQ(fauth::totp::step_at(29, p), 0);
    EXPECT_EQ(fauth::totp::step_at(30, p), 1);
    EXPECT_EQ(fauth::totp::step_at(-1, p), -1);
    EXPECT_EQ(fauth::totp::step_at(-30, p), -1);
    EXPECT_EQ(fauth::totp::step_at(-31, p), -2);
    EXPECT_EQ(fauth::totp::step_at(1'000'000'000, Parameters{Algorithm::sha1, 6, seconds(60)}), 16'666'666);
}

TEST(Totp, ValidateRefusesDigitsAndPeriodsOutOfRange) {
    EXPECT_NO_THROW(fauth::totp::validate(Parameters{}));
    EXPECT_NO_THROW(fauth::totp::validate(Parameters{Algorithm::sha512, 8, seconds(15)}));
    EXPECT_NO_THROW(fauth::totp::validate(Parameters{Algorithm::sha256, 6, seconds(300)}));
    EXPECT_THROW(fauth::totp::validate(Parameters{Algorithm::sha1, 5, seconds(30)}), fauth::ConfigError);
    EXPECT_THROW(fauth::totp::validate(Parameters{Algorithm::sha1, 9, seconds(30)}), fauth::ConfigError);
    EXPECT_THROW(fauth::totp::validate(Parameters{Algorithm::sha1, 6, seconds(14)}), fauth::ConfigError);
    EXPECT_THROW(fauth::totp::validate(Parameters{Algorithm::sha1, 6, seconds(301)}), fauth::ConfigError);
    EXPECT_THROW(fauth::totp::validate(Parameters{Algorithm::sha1, 6, seconds(0)}), fauth::ConfigError);
    EXPECT_THROW(fauth::totp::validate(Parameters{static_cast<Algorithm>(7), 6, seconds(30)}), fauth::ConfigError);
    EXPECT_THROW(fauth::totp::step_at(100, Parameters{Algorithm::sha1, 6, seconds(0)}), fauth::ConfigError);
    EXPECT_THROW(fauth::totp::code_at(kSeed20, 0, Parameters{Algorithm::sha1, 10, seconds(30)}), fauth::ConfigError);
}

TEST(Totp, NewSecretIs20RandomBytes) {
    const std::string a = fauth::totp::new_secret();
    const std::string b = fauth::totp::new_secret();
    EXPECT_EQ(a.size(), 20u);
    EXPECT_EQ(b.size(), 20u);
    EXPECT_NE(a, b);
}

TEST(Totp, AgreesWithOathtool) {
    for (const auto& c : random_cases()) {
        SCOPED_TRACE(describe(c));
        const std::string command = "oathtool --totp=" + std::string(name(c.parameters.algorithm)) + " -b -d " +
                                    std::to_string(c.parameters.digits) + " -s " + std::to_string(c.parameters.period.count()) +
                                    "s -N @" + std::to_string(c.time) + " " + fauth::totp::to_base32(c.secret);
        const std::string expected = chomp(run(command));
        ASSERT_EQ(expected.size(), static_cast<std::size_t>(c.parameters.digits)) << command << " printed " << expected;
        EXPECT_EQ(fauth::totp::code_at(c.secret, fauth::totp::step_at(c.time, c.parameters), c.parameters), expected);
        EXPECT_EQ(fauth::totp::match(c.secret, expected, c.time, c.parameters), fauth::totp::step_at(c.time, c.parameters));
    }
}

TEST(Totp, AgreesWithOathtoolNow) {
    // oathtool's own clock: the code it prints is the one of now's step or (at a step's edge) of
    // the step before or after.
    const std::string secret = fauth::totp::new_secret();
    const std::string code = chomp(run("oathtool --totp -b -d 6 --now now " + fauth::totp::to_base32(secret)));
    const auto now = static_cast<std::int64_t>(std::time(nullptr));
    const auto step = fauth::totp::match(secret, code, now, Parameters{}, 1);
    ASSERT_TRUE(step.has_value()) << "oathtool printed " << code;
    EXPECT_LE(std::abs(*step - fauth::totp::step_at(now, Parameters{})), 1);
}

TEST(Totp, AgreesWithPyotp) {
    auto cases = random_cases();
    // And SHA-512, which oathtool also knows but the brief asks of pyotp.
    cases.push_back(
        {fauth::totp::new_secret() + fauth::totp::new_secret(), 1'700'000'000, Parameters{Algorithm::sha512, 8, seconds(30)}});
    std::string script = "import pyotp, hashlib\n";
    for (const auto& c : cases)
        script += "print(pyotp.TOTP('" + fauth::totp::to_base32(c.secret) + "', digits=" + std::to_string(c.parameters.digits) +
                  ", digest=hashlib." + std::string(name(c.parameters.algorithm)) +
                  ", interval=" + std::to_string(c.parameters.period.count()) + ").at(" + std::to_string(c.time) + "))\n";
    const std::string out = run("/usr/bin/python3 -c \"" + script + "\"");
    std::vector<std::string> codes;
    std::size_t start = 0;
    for (std::size_t end; (end = out.find('\n', start)) != std::string::npos; start = end + 1)
        codes.push_back(out.substr(start, end - start));
    ASSERT_EQ(codes.size(), cases.size()) << out;
    for (std::size_t i = 0; i < cases.size(); ++i) {
        const auto& c = cases[i];
        SCOPED_TRACE(describe(c));
        EXPECT_EQ(fauth::totp::code_at(c.secret, fauth::totp::step_at(c.time, c.parameters), c.parameters), codes[i]);
    }
}

TEST(Totp, PyotpParsesTheUri) {
    const std::string secret = fauth::totp::new_secret();
    const Parameters p{Algorithm::sha256, 8, seconds(60)};
    const std::string uri = fauth::totp::uri("Example Co", "alice@example.com", secret, p);
    const std::string out = run("/usr/bin/python3 -c \"import pyotp; t = pyotp.parse_uri('" + uri +
                                "'); print(t.secret); print(t.issuer); print(t.name); print(t.digits); print(t.interval); "
                                "print(t.digest().name); print(t.at(1700000000))\"");
    const std::string expected = fauth::totp::to_base32(secret) + "\nExample Co\nalice@example.com\n8\n60\nsha256\n" +
                                 fauth::totp::code_at(secret, fauth::totp::step_at(1'700'000'000, p), p) + "\n";
    EXPECT_EQ(out, expected) << uri;
}

TEST(Totp, UriText) {
    EXPECT_EQ(fauth::totp::uri("ACME", "alice@example.com", kSeed20, Parameters{}),
              "otpauth://totp/ACME:alice%40example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=ACME&algorithm=SHA1"
              "&digits=6&period=30");
    EXPECT_EQ(fauth::totp::uri("Big Co/\xC3\xA9", "a b+c&d=e?~._-", "f", Parameters{Algorithm::sha512, 7, seconds(45)}),
              "otpauth://totp/Big%20Co%2F%C3%A9:a%20b%2Bc%26d%3De%3F~._-?secret=MY&issuer=Big%20Co%2F%C3%A9&algorithm=SHA512"
              "&digits=7&period=45");
    // ':' separates issuer and account in the label: refused in the issuer (it is the issuer
    // parameter too); in the account it is percent-encoded (a user id "urn:..." can enrol).
    EXPECT_THROW(fauth::totp::uri("AC:ME", "alice", kSeed20, Parameters{}), fauth::ConfigError);
    EXPECT_EQ(fauth::totp::uri("ACME", "alice:smith", "f", Parameters{}),
              "otpauth://totp/ACME:alice%3Asmith?secret=MY&issuer=ACME&algorithm=SHA1&digits=6&period=30");
    EXPECT_THROW(fauth::totp::uri("", "alice", kSeed20, Parameters{}), fauth::ConfigError);
    EXPECT_THROW(fauth::totp::uri("ACME", "", kSeed20, Parameters{}), fauth::ConfigError);
    EXPECT_THROW(fauth::totp::uri("ACME", "alice", kSeed20, Parameters{Algorithm::sha1, 6, seconds(10)}), fauth::ConfigError);
}

TEST(Totp, MatchAcceptsOneStepOfDriftAndReturnsTheStep) {
    const Parameters p{};
    const std::string secret = kSeed20;
    const std::int64_t now = 1'000'000'010;  // 10 s into step 33'333'333
    const std::int64_t step = 33'333'333;
    ASSERT_EQ(fauth::totp::step_at(now, p), step);
    for (int drift = -1; drift <= 1; ++drift) {
        SCOPED_TRACE(drift);
        const std::string code = fauth::totp::code_at(secret, step + drift, p);
        EXPECT_EQ(fauth::totp::match(secret, code, now, p), step + drift);
        EXPECT_EQ(fauth::totp::match(secret, code, now, p, 1), step + drift);
    }
    for (const int drift : {-2, 2}) {
        SCOPED_TRACE(drift);
        const std::string code = fauth::totp::code_at(secret, step + drift, p);
        EXPECT_EQ(fauth::totp::match(secret, code, now, p, 1), std::nullopt);
        EXPECT_EQ(fauth::totp::match(secret, code, now, p, 2), step + drift);
    }
    // Window 0: now's step only.
    EXPECT_EQ(fauth::totp::match(secret, fauth::totp::code_at(secret, step, p), now, p, 0), step);
    EXPECT_EQ(fauth::totp::match(secret, fauth::totp::code_at(secret, step - 1, p), now, p, 0), std::nullopt);
    EXPECT_EQ(fauth::totp::match(secret, fauth::totp::code_at(secret, step + 1, p), now, p, 0), std::nullopt);
    // Window 10 is the most; 11 or a negative one matches nothing.
    EXPECT_EQ(fauth::totp::match(secret, fauth::totp::code_at(secret, step - 10, p), now, p, 10), step - 10);
    EXPECT_EQ(fauth::totp::match(secret, fauth::totp::code_at(secret, step, p), now, p, 11), std::nullopt);
    EXPECT_EQ(fauth::totp::match(secret, fauth::totp::code_at(secret, step, p), now, p, -1), std::nullopt);
    // Another secret's code.
    EXPECT_EQ(fauth::totp::match(kSeed32, fauth::totp::code_at(secret, step, p), now, p), std::nullopt);
}

TEST(Totp, MatchRefusesMalformedCodes) {
    const Parameters p{};
    const std::int64_t now = 59;
    const std::string code = fauth::totp::code_at(kSeed20, 1, p);
    ASSERT_EQ(code, "287082");
    ASSERT_EQ(fauth::totp::match(kSeed20, code, now, p), 1);
    EXPECT_EQ(fauth::totp::match(kSeed20, "", now, p), std::nullopt);
    EXPECT_EQ(fauth::totp::match(kSeed20, "28708", now, p), std::nullopt);
    EXPECT_EQ(fauth::totp::match(kSeed20, "2870820", now, p), std::nullopt);
    EXPECT_EQ(fauth::totp::match(kSeed20, "94287082", now, Parameters{Algorithm::sha1, 6, seconds(30)}), std::nullopt);
    EXPECT_EQ(fauth::totp::match(kSeed20, "28708a", now, p), std::nullopt);
    EXPECT_EQ(fauth::totp::match(kSeed20, " 287082", now, p), std::nullopt);
    EXPECT_EQ(fauth::totp::match(kSeed20, "287 82", now, p), std::nullopt);
    EXPECT_EQ(fauth::totp::match(kSeed20, "+87082", now, p), std::nullopt);
    EXPECT_EQ(fauth::totp::match(kSeed20, std::string("28708\0", 6), now, p), std::nullopt);
    // Eight digits when the parameters say 8.
    EXPECT_EQ(fauth::totp::match(kSeed20, "94287082", now, Parameters{Algorithm::sha1, 8, seconds(30)}), 1);
}

TEST(Totp, MatchPrefersNowThenEarlierThenLater) {
    // Codes that repeat (found by a search with Python's hmac): with the RFC 4226 seed, 6 digits,
    // counters 910737 and 910738 both give 911617, counters 153567 and 153569 both give 468457.
    const Parameters p{};
    const auto at = [](std::int64_t step) { return step * 30 + 7; };
    ASSERT_EQ(fauth::totp::code_at(kSeed20, 910737, p), "911617");
    ASSERT_EQ(fauth::totp::code_at(kSeed20, 910738, p), "911617");
    ASSERT_EQ(fauth::totp::code_at(kSeed20, 153567, p), "468457");
    ASSERT_EQ(fauth::totp::code_at(kSeed20, 153569, p), "468457");
    ASSERT_NE(fauth::totp::code_at(kSeed20, 153568, p), "468457");
    // Now's step before the earlier one.
    EXPECT_EQ(fauth::totp::match(kSeed20, "911617", at(910738), p, 1), 910738);
    // Now's step before the later one.
    EXPECT_EQ(fauth::totp::match(kSeed20, "911617", at(910737), p, 1), 910737);
    // The earlier step before the later one.
    EXPECT_EQ(fauth::totp::match(kSeed20, "468457", at(153568), p, 1), 153567);
    // The nearest earlier step, then the nearest later one.
    EXPECT_EQ(fauth::totp::match(kSeed20, "911617", at(910739), p, 2), 910738);
    EXPECT_EQ(fauth::totp::match(kSeed20, "911617", at(910736), p, 2), 910737);
}

TEST(TotpBase32, Rfc4648Vectors) {
    const std::pair<const char*, const char*> vectors[] = {
        {"", ""},
        {"f", "MY"},
        {"fo", "MZXQ"},
        {"foo", "MZXW6"},
        {"foob", "MZXW6YQ"},
        {"fooba", "MZXW6YTB"},
        {"foobar", "MZXW6YTBOI"},
    };
    for (const auto& [bytes, text] : vectors) {
        EXPECT_EQ(fauth::totp::to_base32(bytes), text);
        EXPECT_EQ(fauth::totp::from_base32(text), bytes);
    }
    EXPECT_EQ(fauth::totp::to_base32(kSeed20), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
}

TEST(TotpBase32, PaddingCaseAndSpaces) {
    EXPECT_EQ(fauth::totp::from_base32("MY======"), "f");
    EXPECT_EQ(fauth::totp::from_base32("MZXQ===="), "fo");
    EXPECT_EQ(fauth::totp::from_base32("MZXW6==="), "foo");
    EXPECT_EQ(fauth::totp::from_base32("MZXW6YQ="), "foob");
    EXPECT_EQ(fauth::totp::from_base32("MZXW6YTBOI======"), "foobar");
    EXPECT_EQ(fauth::totp::from_base32("mzxw6ytboi"), "foobar");
    EXPECT_EQ(fauth::totp::from_base32("mZxW6yTbOi"), "foobar");
    EXPECT_EQ(fauth::totp::from_base32("MZXW 6YTB OI"), "foobar");
    EXPECT_EQ(fauth::totp::from_base32(" mzxw 6ytb oi== ==== "), "foobar");
    EXPECT_EQ(fauth::totp::from_base32("gezd gnbv gy3t qojq gezd gnbv gy3t qojq"), kSeed20);
}

TEST(TotpBase32, RefusesBadText) {
    for (const char* bad : {"MY0",       "MY1", "MY8", "MY9", "M!", "MY-", "MY\t", "MY\n", "MY.", "\xC3\x89Y",
                            "MY=====",      // too little padding
                            "MY=======",    // too much
                            "MZXW6YTB=",    // padding after a full block
                            "========",     // padding alone
                            "MY=Y",         // data after padding
                            "M",            // a tail of 1 symbol encodes no byte
                            "MZX",          // nor 3
                            "MZXW6Y",       // nor 6
                            "MZ",           // unused bits set (canonical: MY)
                            "MZXR",         // likewise (canonical: MZXQ)
                            "MZXW7",        // likewise (canonical: MZXW6)
                            "MZXW6YR",      // likewise (canonical: MZXW6YQ)
                            "MZXW6YTBOJ"})  // likewise (canonical: MZXW6YTBOI)
        EXPECT_EQ(fauth::totp::from_base32(bad), std::nullopt) << bad;
}

TEST(TotpBase32, RoundTripsEveryLength) {
    std::mt19937 random(12345);
    for (std::size_t length = 0; length <= 70; ++length) {
        std::string bytes(length, '\0');
        for (auto& c : bytes) c = static_cast<char>(random() & 0xff);
        const std::string text = fauth::totp::to_base32(bytes);
        EXPECT_EQ(text.size(), (length * 8 + 4) / 5);
        EXPECT_EQ(text.find('='), std::string::npos);
        EXPECT_EQ(fauth::totp::from_base32(text), bytes) << length;
        std::string padded = text;
        while (padded.size() % 8 != 0) padded += '=';
        EXPECT_EQ(fauth::totp::from_base32(padded), bytes) << length;
    }
}

TEST(TotpRecoveryCodes, TenDistinctWellFormedCodes) {
    const auto codes = fauth::totp::new_recovery_codes();
    ASSERT_EQ(codes.size(), 10u);
    const std::regex format("[2-9a-hjkmnp-z]{4}-[2-9a-hjkmnp-z]{4}-[2-9a-hjkmnp-z]{4}-[2-9a-hjkmnp-z]{4}");
    std::set<std::string> distinct;
    std::set<std::string> digests;
    for (const auto& code : codes) {
        EXPECT_TRUE(std::regex_match(code, format)) << code;
        distinct.insert(code);
        digests.insert(fauth::totp::recovery_code_digest(code));
    }
    EXPECT_EQ(distinct.size(), 10u);
    EXPECT_EQ(digests.size(), 10u);
    EXPECT_EQ(fauth::totp::new_recovery_codes(3).size(), 3u);
    EXPECT_TRUE(fauth::totp::new_recovery_codes(0).empty());
}

TEST(TotpRecoveryCodes, UseTheWholeAlphabetAndNothingElse) {
    std::set<char> seen;
    for (const auto& code : fauth::totp::new_recovery_codes(100))
        for (const char c : code)
            if (c != '-') seen.insert(c);
    EXPECT_EQ(std::string(seen.begin(), seen.end()), "23456789abcdefghjkmnpqrstuvwxyz");
}

TEST(TotpRecoveryCodes, Normalise) {
    EXPECT_EQ(fauth::totp::normalise_recovery_code("abcd-efgh-jkmn-pqrs"), "abcdefghjkmnpqrs");
    EXPECT_EQ(fauth::totp::normalise_recovery_code("ABCD-EFGH-JKMN-PQRS"), "abcdefghjkmnpqrs");
    EXPECT_EQ(fauth::totp::normalise_recovery_code(" abcd efgh  jkmn pqrs "), "abcdefghjkmnpqrs");
    EXPECT_EQ(fauth::totp::normalise_recovery_code("abcdefghjkmnpqrs"), "abcdefghjkmnpqrs");
    EXPECT_EQ(fauth::totp::normalise_recovery_code("a-b-c-d-EFGH--jkmn - 2345"), "abcdefghjkmn2345");
    for (const char* bad : {"", "abcd-efgh-jkmn-pqr", "abcd-efgh-jkmn-pqrst", "abcd-efgh-jkmn-pqr0", "abcd-efgh-jkmn-pqr1",
                            "abcd-efgh-jkmn-pqro", "abcd-efgh-jkmn-pqrl", "abcd-efgh-jkmn-pqri", "abcd-efgh-jkmn-pqrI",
                            "abcd_efgh_jkmn_pqrs", "abcd\tefgh-jkmn-pqrs", "abcd-efgh-jkmn-pqr\xC3\xA9", "----------------"})
        EXPECT_EQ(fauth::totp::normalise_recovery_code(bad), "") << bad;
}

TEST(TotpRecoveryCodes, Digest) {
    // sha256("abcdefghjkmnpqrs"), from sha256sum.
    const std::string expected = "sha256:54a4c55a9009eae9f27d09ce2693cecaa2f44fd29978f881c314b3c88d7307bb";
    EXPECT_EQ(fauth::totp::recovery_code_digest("abcd-efgh-jkmn-pqrs"), expected);
    EXPECT_EQ(fauth::totp::recovery_code_digest("ABCD EFGH JKMN PQRS"), expected);
    EXPECT_NE(fauth::totp::recovery_code_digest("abcd-efgh-jkmn-pqrt"), expected);
    EXPECT_EQ(fauth::totp::recovery_code_digest("abcd-efgh-jkmn-pqrt").size(), expected.size());
    EXPECT_EQ(fauth::totp::recovery_code_digest("abcd-efgh-jkmn-pqr"), "");
    EXPECT_EQ(fauth::totp::recovery_code_digest("abcd-efgh-jkmn-pqr0"), "");
    EXPECT_EQ(fauth::totp::recovery_code_digest(""), "");
}

// The number N in `viewBox="0 0 N N"`, or -1.
int view_box(const std::string& svg) {
    std::smatch m;
    if (!std::regex_search(svg, m, std::regex("viewBox=\"0 0 ([0-9]+) ([0-9]+)\"")) || m[1] != m[2]) return -1;
    return std::stoi(m[1]);
}

std::size_t count(const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (std::size_t at = 0; (at = text.find(what, at)) != std::string::npos; at += what.size()) ++n;
    return n;
}

TEST(TotpQrSvg, StandaloneSvgOfTheRightSize) {
    // Bytes mode, level M (ISO/IEC 18004 table 7): version 1 holds 14 bytes (21 modules), version 2
    // 26 (25 modules), version 7 122 (45 modules), version 40 2331 (177 modules); 4 more each side.
    struct Size {
        std::size_t bytes;
        int modules;
    };
    for (const auto& [bytes, modules] :
         {Size{1, 21}, Size{14, 21}, Size{15, 25}, Size{26, 25}, Size{27, 29}, Size{122, 45}, Size{123, 49}, Size{2331, 177}}) {
        SCOPED_TRACE(bytes);
        const std::string text(bytes, 'x');
        const std::string svg = fauth::totp::qr_svg(text);
        EXPECT_EQ(svg.rfind("<svg", 0), 0u);
        EXPECT_NE(svg.find("xmlns=\"http://www.w3.org/2000/svg\""), std::string::npos);
        EXPECT_NE(svg.find("shape-rendering=\"crispEdges\""), std::string::npos);
        EXPECT_EQ(count(svg, "<path"), 1u);
        EXPECT_EQ(view_box(svg), modules + 8);
        // The three finder patterns: a run of 7 dark modules at the top of each, after the quiet zone.
        const std::string far = std::to_string(4 + modules - 7);
        EXPECT_NE(svg.find("M4 4h7v1h-7z"), std::string::npos);
        EXPECT_NE(svg.find("M" + far + " 4h7v1h-7z"), std::string::npos);
        EXPECT_NE(svg.find("M4 " + far + "h7v1h-7z"), std::string::npos);
        // Every run of dark modules lies inside the symbol, none in the quiet zone.
        const std::regex run("M([0-9]+) ([0-9]+)h([0-9]+)v1h-([0-9]+)z");
        std::size_t runs = 0;
        for (auto it = std::sregex_iterator(svg.begin(), svg.end(), run); it != std::sregex_iterator(); ++it, ++runs) {
            const int x = std::stoi((*it)[1]), y = std::stoi((*it)[2]), length = std::stoi((*it)[3]);
            EXPECT_EQ((*it)[3], (*it)[4]);
            EXPECT_GE(x, 4);
            EXPECT_GE(y, 4);
            EXPECT_LT(y, 4 + modules);
            EXPECT_GE(length, 1);
            EXPECT_LE(x + length, 4 + modules);
        }
        EXPECT_GE(runs, static_cast<std::size_t>(modules));
        EXPECT_EQ(svg.find("</svg>"), svg.size() - 7);
    }
}

TEST(TotpQrSvg, SameTextSameSvg) {
    const std::string uri = fauth::totp::uri("ACME", "alice@example.com", kSeed20, Parameters{});
    const std::string svg = fauth::totp::qr_svg(uri);
    EXPECT_EQ(fauth::totp::qr_svg(uri), svg);
    EXPECT_NE(fauth::totp::qr_svg(fauth::totp::uri("ACME", "bob@example.com", kSeed20, Parameters{})), svg);
    // 125 bytes: more than version 7 holds at level M (122), so version 8, 49 modules.
    ASSERT_EQ(uri.size(), 125u);
    EXPECT_EQ(view_box(svg), 49 + 8);
}

TEST(TotpQrSvg, RefusesTooMuchText) {
    EXPECT_THROW(fauth::totp::qr_svg(std::string(2332, 'x')), std::invalid_argument);
    EXPECT_THROW(fauth::totp::qr_svg(std::string(100'000, 'x')), std::invalid_argument);
    EXPECT_THROW(fauth::totp::qr_svg(""), std::invalid_argument);
}

}  // namespace
