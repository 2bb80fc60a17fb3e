#include "fauth/http/trace_context.hpp"

#include "fauth/core/internal/ascii.hpp"

namespace fauth::http {

namespace {

// version "-" trace-id "-" parent-id "-" trace-flags: 2 + 1 + 32 + 1 + 16 + 1 + 2.
constexpr std::size_t kVersion00Size = 55;
constexpr std::size_t kTraceId = 3, kTraceIdSize = 32;
constexpr std::size_t kParentId = 36, kParentIdSize = 16;
constexpr std::size_t kFlags = 53;

constexpr bool is_lower_hex(char c) noexcept { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

// True when `field` is lowercase hex and, with `nonzero`, not all zeros.
constexpr bool is_hex_field(std::string_view field, bool nonzero) noexcept {
    bool zero = true;
    for (const char c : field) {
        if (!is_lower_hex(c)) return false;
        zero = zero && c == '0';
    }
    return !(nonzero && zero);
}

}  // namespace

std::string trace_id_of(std::string_view traceparent) {
    const auto value = trim_ows(traceparent);
    if (value.size() < kVersion00Size) return {};
    const auto version = value.substr(0, 2);
    if (!is_hex_field(version, false) || version == "ff") return {};
    // Version 00 is exactly 55 characters; a later one may say more, after a '-' (section 3.2.4).
    if (value.size() > kVersion00Size && (version == "00" || value[kVersion00Size] != '-')) return {};
    if (value[2] != '-' || value[kParentId - 1] != '-' || value[kFlags - 1] != '-') return {};
    const auto trace_id = value.substr(kTraceId, kTraceIdSize);
    if (!is_hex_field(trace_id, true) || !is_hex_field(value.substr(kParentId, kParentIdSize), true) ||
        !is_hex_field(value.substr(kFlags, 2), false))
        return {};
    return std::string(trace_id);
}

}  // namespace fauth::http
