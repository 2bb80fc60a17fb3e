// The bookkeeping of the Redis store's cache on its own (src/redis/revocation_cache.hpp): what a
// reply may be kept after, its bound, its age limit. Its use with a real Redis is in
// revocation_store_test.cpp.
#include "../../src/redis/revocation_cache.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

using fauth::detail::RevocationCache;

namespace {
const RevocationCache::Keys kKeys{"p:jti:a", "p:fam:b", "p:sub:c"};
const RevocationCache::Values kValues{0, 1, 42};
constexpr auto kAge = std::chrono::seconds(1);

// A cache that is on.
struct On : RevocationCache {
    On() : RevocationCache(100, kAge) { set_enabled(true); }
};

bool held(RevocationCache& cache, const RevocationCache::Keys& keys = kKeys) {
    RevocationCache::Values values{};
    RevocationCache::Ticket ticket;
    return cache.lookup(keys, values, ticket);
}

RevocationCache::Ticket missed(RevocationCache& cache, const RevocationCache::Keys& keys = kKeys) {
    RevocationCache::Values values{};
    RevocationCache::Ticket ticket;
    EXPECT_FALSE(cache.lookup(keys, values, ticket));
    return ticket;
}
}  // namespace

TEST(RevocationCache, KeepsAReplyAndAnswersWithIt) {
    On cache;
    const auto ticket = missed(cache);
    EXPECT_TRUE(cache.store(ticket, kKeys, kValues));
    RevocationCache::Values values{};
    RevocationCache::Ticket unused;
    ASSERT_TRUE(cache.lookup(kKeys, values, unused));
    EXPECT_EQ(values, kValues);
    EXPECT_EQ(cache.size(), 3u);
}

// The race: a reply read before a write may reach the cache after that write's invalidation.
TEST(RevocationCache, DoesNotKeepAReplyThatAnInvalidationOvertook) {
    On cache;
    const auto ticket = missed(cache);         // the MGET is sent
    cache.invalidate(std::string("p:jti:a"));  // a write's invalidation arrives first
    EXPECT_FALSE(cache.store(ticket, kKeys, kValues)) << "the reply may predate the write";
    EXPECT_EQ(cache.size(), 0u);
    EXPECT_FALSE(held(cache));

    // One counter for every key: an invalidation of any key holds back every reply under way.
    const auto second = missed(cache);
    cache.invalidate(std::vector<std::string>{"p:jti:unrelated"});
    EXPECT_FALSE(cache.store(second, kKeys, kValues));
    // A reply sent after the invalidation is kept.
    EXPECT_TRUE(cache.store(missed(cache), kKeys, kValues));
    EXPECT_TRUE(held(cache));
}

TEST(RevocationCache, AnInvalidationDropsOnlyItsKeys) {
    On cache;
    const RevocationCache::Keys other{"p:jti:x", "p:fam:y", "p:sub:z"};
    ASSERT_TRUE(cache.store(missed(cache), kKeys, kValues));
    ASSERT_TRUE(cache.store(missed(cache, other), other, kValues));
    cache.invalidate(std::vector<std::string>{"p:fam:b"});
    EXPECT_FALSE(held(cache));
    EXPECT_TRUE(held(cache, other));
    EXPECT_EQ(cache.size(), 5u);
}

TEST(RevocationCache, AFlushOrALostConnectionDropsEverything) {
    On cache;
    ASSERT_TRUE(cache.store(missed(cache), kKeys, kValues));
    const auto before_flush = missed(cache, {"p:jti:x", "p:fam:y", "p:sub:z"});
    cache.clear();
    EXPECT_EQ(cache.size(), 0u);
    EXPECT_FALSE(cache.store(before_flush, kKeys, kValues));

    ASSERT_TRUE(cache.store(missed(cache), kKeys, kValues));
    const auto before_loss = missed(cache, {"p:jti:x", "p:fam:y", "p:sub:z"});
    cache.set_enabled(false);  // the invalidation connection is lost
    EXPECT_EQ(cache.size(), 0u);
    EXPECT_FALSE(cache.store(before_loss, kKeys, kValues));
    const auto while_off = missed(cache);
    EXPECT_FALSE(while_off.enabled);
    EXPECT_FALSE(cache.store(while_off, kKeys, kValues)) << "nothing is kept while writes go unannounced";
    cache.set_enabled(true);  // tracking is back
    EXPECT_FALSE(cache.store(while_off, kKeys, kValues)) << "read before tracking was back: maybe stale";
    EXPECT_TRUE(cache.store(missed(cache), kKeys, kValues));
}

TEST(RevocationCache, IsOffUntilTurnedOn) {
    RevocationCache cache(100, kAge);
    EXPECT_FALSE(cache.enabled());
    EXPECT_FALSE(cache.store(missed(cache), kKeys, kValues));
    EXPECT_EQ(cache.size(), 0u);
}

TEST(RevocationCache, StaysWithinItsBoundByStartingAgain) {
    RevocationCache cache(10, kAge);
    cache.set_enabled(true);
    for (int i = 0; i < 100; ++i) {
        const auto n = std::to_string(i);
        const RevocationCache::Keys keys{"jti:" + n, "fam:" + n, "sub:" + n};
        ASSERT_TRUE(cache.store(missed(cache, keys), keys, kValues));
        EXPECT_LE(cache.size(), 10u);
        EXPECT_TRUE(held(cache, keys)) << "the newest reply is held";
    }
}

TEST(RevocationCache, AnEntryIsUsedForItsMaximumAgeOnly) {
    On cache;
    const auto t0 = RevocationCache::Clock::now();
    RevocationCache::Values values{};
    RevocationCache::Ticket ticket;
    ASSERT_FALSE(cache.lookup(kKeys, values, ticket, t0));
    ASSERT_TRUE(cache.store(ticket, kKeys, kValues));
    EXPECT_TRUE(cache.lookup(kKeys, values, ticket, t0 + kAge - std::chrono::milliseconds(1)));
    EXPECT_FALSE(cache.lookup(kKeys, values, ticket, t0 + kAge)) << "old enough: Redis is asked again";
    EXPECT_TRUE(cache.store(ticket, kKeys, kValues));  // and the fresh reply replaces it
    EXPECT_TRUE(cache.lookup(kKeys, values, ticket, t0 + kAge + std::chrono::milliseconds(500)));
}

// A reply that took long to come is as old as the lookup that asked for it: Redis may have read
// the keys at any moment since then, so its age counts from there, not from its arrival.
TEST(RevocationCache, AnEntrysAgeCountsFromTheLookupThatAskedNotFromTheReply) {
    On cache;
    const auto asked = RevocationCache::Clock::now() - kAge / 2;  // the MGET went half an age ago
    RevocationCache::Values values{};
    RevocationCache::Ticket ticket;
    ASSERT_FALSE(cache.lookup(kKeys, values, ticket, asked));
    ASSERT_TRUE(cache.store(ticket, kKeys, kValues));  // its reply arrives now
    EXPECT_TRUE(cache.lookup(kKeys, values, ticket, asked + kAge - std::chrono::milliseconds(1)));
    EXPECT_FALSE(cache.lookup(kKeys, values, ticket, asked + kAge)) << "a max_age after the lookup, not after the reply";
}

// A check that must read Redis takes a ticket without a lookup: its reply is kept on the same terms.
TEST(RevocationCache, ATicketWithoutALookupKeepsARepliesOnTheSameTerms) {
    On cache;
    ASSERT_TRUE(cache.store(missed(cache), kKeys, kValues));
    const auto before = cache.ticket();
    cache.invalidate(std::string("p:sub:c"));
    EXPECT_FALSE(cache.store(before, kKeys, kValues)) << "an invalidation came after the ticket";
    EXPECT_TRUE(cache.store(cache.ticket(), kKeys, kValues));
    EXPECT_TRUE(held(cache));
    RevocationCache off(100, kAge);
    EXPECT_FALSE(off.ticket().enabled);
    EXPECT_FALSE(off.store(off.ticket(), kKeys, kValues));
}
