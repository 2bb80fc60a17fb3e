// utf8.hpp — well-formedness of UTF-8 (RFC 3629), shared by the JSON reader and writer.
#pragma once

#include <array>
#include <cstddef>
#include <string_view>

namespace fauth::detail {

/// Length of the well-formed UTF-8 sequence starting at `at` (RFC 3629 section 4: no overlong
/// forms, no surrogates, nothing above U+10FFFF), or 0 when there is none.
inline std::size_t utf8_sequence(std::string_view s, std::size_t at) noexcept {
    const auto byte = [&](std::size_t i) { return at + i < s.size() ? static_cast<unsigned char>(s[at + i]) : 0u; };
    const auto in = [](unsigned v, unsigned lo, unsigned hi) { return v >= lo && v <= hi; };
    const unsigned b0 = byte(0);
    if (b0 < 0x80) return 1;
    if (in(b0, 0xC2, 0xDF)) return in(byte(1), 0x80, 0xBF) ? 2 : 0;
    if (in(b0, 0xE0, 0xEF)) {
        const unsigned lo = b0 == 0xE0 ? 0xA0 : 0x80, hi = b0 == 0xED ? 0x9F : 0xBF;
        return in(byte(1), lo, hi) && in(byte(2), 0x80, 0xBF) ? 3 : 0;
    }
    if (in(b0, 0xF0, 0xF4)) {
        const unsigned lo = b0 == 0xF0 ? 0x90 : 0x80, hi = b0 == 0xF4 ? 0x8F : 0xBF;
        return in(byte(1), lo, hi) && in(byte(2), 0x80, 0xBF) && in(byte(3), 0x80, 0xBF) ? 4 : 0;
    }
    return 0;
}

/// Bytes a JSON string may hold as they are, with nothing to check: printable ASCII but the
/// quote and the backslash (what both JSON readers, the general one and fauth's own claims', take
/// without a closer look).
inline constexpr std::array<bool, 256> kJsonPlain = [] {
    std::array<bool, 256> table{};
    for (int c = 0x20; c < 0x80; ++c) table[static_cast<std::size_t>(c)] = c != '"' && c != '\\';
    return table;
}();

}  // namespace fauth::detail
