// libFuzzer entry point for fauth::fuzz::json_object (see targets.hpp). Built by scripts/fuzz.
#include "targets.hpp"

extern "C" int LLVMFuzzerTestOneInput(const unsigned char* data, unsigned long size) {
    return fauth::fuzz::json_object(data, size);
}
