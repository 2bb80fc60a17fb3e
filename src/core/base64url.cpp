#include "fauth/core/base64url.hpp"

#include <array>
#include <cstdint>

namespace fauth {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

constexpr std::array<std::int8_t, 256> make_reverse() {
    std::array<std::int8_t, 256> table{};
    for (auto& v : table) v = -1;
    for (int i = 0; i < 64; ++i) table[static_cast<unsigned char>(kAlphabet[i])] = static_cast<std::int8_t>(i);
    return table;
}
constexpr auto kReverse = make_reverse();

}  // namespace

void base64url_encode(std::string_view bytes, std::string& out) {
    const auto* in = reinterpret_cast<const unsigned char*>(bytes.data());
    const std::size_t n = bytes.size();
    const std::size_t start = out.size();
    out.resize(start + (n * 4 + 2) / 3);
    char* o = out.data() + start;
    std::size_t i = 0;
    for (; i + 3 <= n; i += 3) {
        const std::uint32_t v = (std::uint32_t{in[i]} << 16) | (std::uint32_t{in[i + 1]} << 8) | in[i + 2];
        *o++ = kAlphabet[(v >> 18) & 63];
        *o++ = kAlphabet[(v >> 12) & 63];
        *o++ = kAlphabet[(v >> 6) & 63];
        *o++ = kAlphabet[v & 63];
    }
    if (n - i == 1) {
        const std::uint32_t v = std::uint32_t{in[i]} << 16;
        *o++ = kAlphabet[(v >> 18) & 63];
        *o++ = kAlphabet[(v >> 12) & 63];
    } else if (n - i == 2) {
        const std::uint32_t v = (std::uint32_t{in[i]} << 16) | (std::uint32_t{in[i + 1]} << 8);
        *o++ = kAlphabet[(v >> 18) & 63];
        *o++ = kAlphabet[(v >> 12) & 63];
        *o++ = kAlphabet[(v >> 6) & 63];
    }
}

std::string base64url_encode(std::string_view bytes) {
    std::string out;
    base64url_encode(bytes, out);
    return out;
}

std::optional<std::size_t> base64url_decode(std::string_view text, char* out, std::size_t capacity) noexcept {
    const std::size_t n = text.size();
    if (n % 4 == 1) return std::nullopt;  // no byte count encodes to this length
    const std::size_t size = base64url_decoded_size(n);
    if (size > capacity) return std::nullopt;
    const auto* in = reinterpret_cast<const unsigned char*>(text.data());
    auto* o = reinterpret_cast<unsigned char*>(out);
    // Four characters to three bytes at a time; an invalid character makes its table entry
    // negative, which the OR of all four keeps.
    std::size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        const int a = kReverse[in[i]], b = kReverse[in[i + 1]], c = kReverse[in[i + 2]], d = kReverse[in[i + 3]];
        if ((a | b | c | d) < 0) return std::nullopt;
        const auto v = (std::uint32_t(a) << 18) | (std::uint32_t(b) << 12) | (std::uint32_t(c) << 6) | std::uint32_t(d);
        *o++ = static_cast<unsigned char>(v >> 16);
        *o++ = static_cast<unsigned char>(v >> 8);
        *o++ = static_cast<unsigned char>(v);
    }
    // Canonical form: the bits left over after the last whole byte must be zero, otherwise two
    // different strings would decode to the same bytes.
    if (n - i == 2) {
        const int a = kReverse[in[i]], b = kReverse[in[i + 1]];
        if ((a | b) < 0 || (b & 0x0F) != 0) return std::nullopt;
        *o++ = static_cast<unsigned char>((a << 2) | (b >> 4));
    } else if (n - i == 3) {
        const int a = kReverse[in[i]], b = kReverse[in[i + 1]], c = kReverse[in[i + 2]];
        if ((a | b | c) < 0 || (c & 0x03) != 0) return std::nullopt;
        *o++ = static_cast<unsigned char>((a << 2) | (b >> 4));
        *o++ = static_cast<unsigned char>(((b & 0x0F) << 4) | (c >> 2));
    }
    return size;
}

bool base64url_decode(std::string_view text, std::string& out) {
    out.resize(base64url_decoded_size(text.size()));
    const auto size = base64url_decode(text, out.data(), out.size());
    if (!size) return false;
    out.resize(*size);
    return true;
}

}  // namespace fauth
