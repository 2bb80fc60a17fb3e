// Test helper: the revocation stores every store-level and session-level test runs against.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <ostream>
#include <string>

#include <fauth/redis_revocation_store.hpp>
#include <fauth/revocation.hpp>

#include "support/redis_server.hpp"

namespace fauth::test {

/// Makes a fresh, empty store of one kind.
struct StoreKind {
    std::string name;
    std::function<std::shared_ptr<RevocationStore>()> make;
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
    return {{"memory", [] { return std::make_shared<MemoryRevocationStore>(); }},
            {"redis", [] { return fresh_redis_store(); }}};
}

}  // namespace fauth::test
