// Test helper: the revocation stores every store-level and session-level test runs against.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <ostream>
#include <string>

#include <fauth/redis/revocation_store.hpp>
#include <fauth/auth/revocation.hpp>

#include "support/clock.hpp"
#include "support/redis_server.hpp"

namespace fauth::test {

/// Makes a fresh, empty store of one kind.
struct StoreKind {
    std::string name;
    /// A fresh store; a store whose entries expire on its own clock takes `clock`.
    std::function<std::shared_ptr<RevocationStore>(Clock clock)> make;
    /// True when entries expire by the server's real time (Redis TTLs), which no test clock moves.
    bool expires_in_real_time = false;
};

/// How GoogleTest names a StoreKind in test names.
inline void PrintTo(const StoreKind& kind, std::ostream* os) { *os << kind.name; }

/// A Redis store whose keys no other test shares (a fresh key prefix on the shared server).
inline std::shared_ptr<RevocationStore> fresh_redis_store(RedisStoreOptions options = {}) {
    static std::atomic<int> counter{0};
    options.url = shared_redis().url();
    options.key_prefix = "test" + std::to_string(::getpid()) + "-" + std::to_string(counter++) + ":";
    return std::make_shared<RedisRevocationStore>(std::move(options));
}

/// The memory store and the Redis store.
inline std::vector<StoreKind> store_kinds() {
    return {{"memory",
             [](Clock clock) { return std::make_shared<MemoryRevocationStore>(MemoryRevocationStore::Options{.clock = clock}); }},
            {"redis", [](Clock) { return fresh_redis_store(); }, true}};
}

}  // namespace fauth::test
