// libFuzzer entry point for fauth::fuzz::token_verify (see targets.hpp). Built by scripts/fuzz.
#include "targets.hpp"

extern "C" int LLVMFuzzerTestOneInput(const unsigned char* data, unsigned long size) {
    return fauth::fuzz::token_verify(data, size);
}
