// Replays every seed (tests/fuzz/corpus/<target>/) and every input that once broke a target
// (tests/fuzz/regressions/<target>/) through the fuzz targets, in the normal test run.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>

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

}  // namespace

TEST(FuzzRegression, TokenVerify) { EXPECT_GT(replay("token_verify", fauth::fuzz::token_verify), 5u); }
TEST(FuzzRegression, Bearer) { EXPECT_GT(replay("bearer", fauth::fuzz::bearer), 3u); }
TEST(FuzzRegression, TokenRequest) { EXPECT_GT(replay("token_request", fauth::fuzz::token_request), 3u); }
TEST(FuzzRegression, PasswordVerify) { EXPECT_GT(replay("password_verify", fauth::fuzz::password_verify), 3u); }
