// libFuzzer entry point for fauth::fuzz::own_claims_reader (see targets.hpp). Built by scripts/fuzz.
#include "targets.hpp"

extern "C" int LLVMFuzzerTestOneInput(const unsigned char* data, unsigned long size) {
    return fauth::fuzz::own_claims_reader(data, size);
}
