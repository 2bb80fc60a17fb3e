// The replacement global operator new behind AllocationCounter, and OpenSSL's allocation functions
// (CRYPTO_set_mem_functions), counted alike. A separate source file, so that the compiler cannot
// inline these into callers (GCC would then pair its own new with free()).
#include "support/allocation_counter.hpp"

#include <cstdlib>
#include <new>
#include <stdexcept>

#include <openssl/crypto.h>

// ThreadSanitizer's runtime defines operator new and delete in a static library of its own, so a
// replacement cannot be linked beside it: under TSan nothing is counted (available() is false).
#include "support/sanitizers.hpp"
#define FAUTH_COUNT_ALLOCATIONS (!FAUTH_TEST_THREAD_SANITIZER)

namespace {
thread_local bool counting = false;
thread_local std::size_t allocations = 0;
}  // namespace

#if FAUTH_COUNT_ALLOCATIONS
void* operator new(std::size_t size) {
    if (counting) ++allocations;
    if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
    throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

// OpenSSL allocates with malloc, not operator new: its allocations are counted through its own
// hooks, which it accepts only before its first allocation, hence a static initializer. Whether
// they took is seen by a test (HmacKey.OpenSslAllocationsAreCounted in tests/core/hmac_test.cpp).
namespace {
void* counted_crypto_malloc(std::size_t size, const char*, int) {
    if (counting) ++allocations;
    return std::malloc(size);
}
void* counted_crypto_realloc(void* p, std::size_t size, const char*, int) {
    if (counting) ++allocations;
    return std::realloc(p, size);
}
void crypto_free(void* p, const char*, int) { std::free(p); }
const bool openssl_hooked = CRYPTO_set_mem_functions(counted_crypto_malloc, counted_crypto_realloc, crypto_free) == 1;
}  // namespace
#endif

namespace fauth::test {

AllocationCounter::AllocationCounter() {
#if FAUTH_COUNT_ALLOCATIONS
    // A count that missed OpenSSL's allocations would pass "allocates nothing" tests unseen.
    if (!openssl_hooked) throw std::logic_error("AllocationCounter: OpenSSL allocated before its hooks could be set");
#endif
    allocations = 0;
    counting = true;
}
AllocationCounter::~AllocationCounter() { counting = false; }
std::size_t AllocationCounter::count() const { return allocations; }
bool AllocationCounter::available() { return FAUTH_COUNT_ALLOCATIONS != 0; }

}  // namespace fauth::test
