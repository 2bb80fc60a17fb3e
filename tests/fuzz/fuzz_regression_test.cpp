// Replays every seed (tests/fuzz/corpus/<target>/) and every input that once broke a target
// (tests/fuzz/regressions/<target>/) through the fuzz targets, in the normal test run.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "own_claims_reader.hpp"
#include "targets.hpp"

namespace {

using Target = int (*)(const std::uint8_t*, std::size_t);

std::size_t replay(const std::string& name, Target target) {
    std::size_t count = 0;
    for (const char* kind : {"corpus", "regressions"}) {
        const auto dir = std::filesystem::path(FAUTH_FUZZ_DIR) / kind / name;
        if (!std::filesystem::exists(dir)) continue;
        for (const auto& entry : std::filesystem::directory_iterator(dir)) {
            if (!entry.is_regular_file() || entry.path().filename() == ".keep") continue;
            std::ifstream in(entry.path(), std::ios::binary);
            const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
            target(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
            ++count;
        }
    }
    return count;
}

// The seeds of `name` (tests/fuzz/corpus/<name>/).
std::vector<std::string> seeds_of(const std::string& name) {
    std::vector<std::string> seeds;
    for (const auto& entry : std::filesystem::directory_iterator(std::filesystem::path(FAUTH_FUZZ_DIR) / "corpus" / name)) {
        std::ifstream in(entry.path(), std::ios::binary);
        seeds.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    return seeds;
}

// `input` with one to three bytes replaced, inserted or removed, drawn from `alphabet`.
std::string mutated(std::string input, const std::string& alphabet, std::mt19937& rng) {
    for (int edits = 1 + static_cast<int>(rng() % 3); edits > 0; --edits) {
        const std::size_t at = input.empty() ? 0 : rng() % input.size();
        const char c = alphabet[rng() % alphabet.size()];
        switch (rng() % 3) {
            case 0:
                if (!input.empty()) input[at] = c;
                break;
            case 1: input.insert(input.begin() + static_cast<std::ptrdiff_t>(at), c); break;
            default:
                if (!input.empty()) input.erase(at, 1);
                break;
        }
    }
    return input;
}

}  // namespace

TEST(FuzzRegression, TokenVerify) { EXPECT_GT(replay("token_verify", fauth::fuzz::token_verify), 5u); }
TEST(FuzzRegression, JsonObject) { EXPECT_GT(replay("json_object", fauth::fuzz::json_object), 5u); }

// The JSON reader is also checked against nlohmann on mutations of its seeds in every test run
// (libFuzzer explores further in scripts/fuzz): bytes replaced, inserted and removed, drawn from
// the characters that matter to JSON and from invalid UTF-8.
TEST(FuzzRegression, JsonObjectMutations) {
    const auto seeds = seeds_of("json_object");
    ASSERT_GT(seeds.size(), 5u);
    const std::string alphabet = "{}[]\",:\\u0123456789abcdefABCDEF.eE+- \t\ntrueflsn\x7f\x80\xbf\xc3\xed\xf4\xff";
    std::mt19937 rng(20261123);
    for (const auto& seed : seeds) {
        for (int i = 0; i < 3000; ++i) {
            const auto input = mutated(seed, alphabet, rng);
            // Aborts (fails this test) on any disagreement with the reference.
            fauth::fuzz::json_object(reinterpret_cast<const std::uint8_t*>(input.data()), input.size());
        }
    }
}

TEST(FuzzRegression, OwnClaimsReader) { EXPECT_GT(replay("own_claims_reader", fauth::fuzz::own_claims_reader), 10u); }

// The reader of fauth's own claim layout against the general reader, on mutations of its seeds
// (most of them that layout) in every test run: digits, decimal points, quotes, escapes, keys'
// letters, whitespace and invalid UTF-8. Some mutations must still fit the layout (a digit for a
// digit), or the fast reader's acceptances would go unchecked.
TEST(FuzzRegression, OwnClaimsReaderMutations) {
    const auto seeds = seeds_of("own_claims_reader");
    ASSERT_GT(seeds.size(), 10u);
    const std::string alphabet =
        "{}[]\",:\\u0123456789.eE+- \tsubexpiatjtokn_yfrmdcolsq\x7f\x80\xbf\xc0\xc3\xe0\xed\xf0\xf4\xf5\xff";
    std::mt19937 rng(20261202);
    std::size_t accepted = 0;
    for (const auto& seed : seeds) {
        for (int i = 0; i < 3000; ++i) {
            const auto input = mutated(seed, alphabet, rng);
            // Aborts (fails this test) on any disagreement with the general reader.
            fauth::fuzz::own_claims_reader(reinterpret_cast<const std::uint8_t*>(input.data()), input.size());
            if (fauth::detail::read_own_claims(input)) ++accepted;
        }
    }
    EXPECT_GT(accepted, 1000u) << "mutations the fast reader accepted (and the general reader was checked to agree on)";
}

TEST(FuzzRegression, Bearer) { EXPECT_GT(replay("bearer", fauth::fuzz::bearer), 3u); }
TEST(FuzzRegression, TokenRequest) { EXPECT_GT(replay("token_request", fauth::fuzz::token_request), 3u); }
TEST(FuzzRegression, PasswordVerify) { EXPECT_GT(replay("password_verify", fauth::fuzz::password_verify), 3u); }
