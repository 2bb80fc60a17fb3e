#include "json_object_reader.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>

#include "fauth/core/errors.hpp"
#include "utf8.hpp"

namespace fauth::detail {
namespace {

bool is_whitespace(char c) noexcept { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

int hex_value(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// The four hex digits at `s` as a code unit, or -1.
long hex4(std::string_view s, std::size_t at) noexcept {
    if (at + 4 > s.size()) return -1;
    long v = 0;
    for (std::size_t i = 0; i < 4; ++i) {
        const int h = hex_value(s[at + i]);
        if (h < 0) return -1;
        v = v * 16 + h;
    }
    return v;
}

void append_utf8(std::string& out, std::uint32_t cp) {
    if (cp < 0x80) {
        out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
        out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
        out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
        out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
}

// Decodes the body of a string already validated by scan_string (`raw` includes the quotes).
std::string decode_string(std::string_view raw) {
    std::string out;
    out.reserve(raw.size() - 2);
    for (std::size_t i = 1; i + 1 < raw.size(); ++i) {
        const char c = raw[i];
        if (c != '\\') {
            out.push_back(c);
            continue;
        }
        const char e = raw[++i];
        switch (e) {
            case 'b': out.push_back('\b'); break;
            case 'f': out.push_back('\f'); break;
            case 'n': out.push_back('\n'); break;
            case 'r': out.push_back('\r'); break;
            case 't': out.push_back('\t'); break;
            case 'u': {
                auto cp = static_cast<std::uint32_t>(hex4(raw, i + 1));
                i += 4;
                if (cp >= 0xD800 && cp <= 0xDBFF) {  // validated: a low surrogate follows
                    const auto low = static_cast<std::uint32_t>(hex4(raw, i + 3));
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
                    i += 6;
                }
                append_utf8(out, cp);
                break;
            }
            default: out.push_back(e); break;  // " \ /
        }
    }
    return out;
}

}  // namespace

JsonObjectReader::JsonObjectReader(std::string_view text, const char* what) : text_(text), what_(what) {
    skip_whitespace();
    if (pos_ >= text_.size() || text_[pos_] != '{') {
        // Any other valid JSON value is "not an object"; anything else is not JSON at all.
        JsonKind kind;
        bool plain;
        pos_ = scan_value(pos_, kind, plain);
        skip_whitespace();
        fail(pos_ == text_.size() ? "is not a JSON object" : "is not valid JSON");
    }
    ++pos_;
    skip_whitespace();
    if (pos_ < text_.size() && text_[pos_] == '}') {
        ++pos_;
        skip_whitespace();
        if (pos_ != text_.size()) fail("is not valid JSON");
        done_ = true;
    }
}

void JsonObjectReader::fail(const char* problem) const { throw InvalidToken(std::string(what_) + " " + problem); }

void JsonObjectReader::skip_whitespace() noexcept {
    while (pos_ < text_.size() && is_whitespace(text_[pos_])) ++pos_;
}

void JsonObjectReader::expect(char c) {
    skip_whitespace();
    if (pos_ >= text_.size() || text_[pos_] != c) fail("is not valid JSON");
    ++pos_;
    skip_whitespace();
}

bool JsonObjectReader::next(JsonMember& member) {
    if (done_) return false;
    if (pos_ >= text_.size() || text_[pos_] != '"') fail("is not valid JSON");
    bool plain = false;
    const std::size_t key_end = scan_string(pos_, plain);
    const auto raw_key = text_.substr(pos_, key_end - pos_);
    if (plain) {
        member.key = raw_key.substr(1, raw_key.size() - 2);
    } else {
        decoded_keys_.push_back(decode_string(raw_key));
        member.key = decoded_keys_.back();
    }
    pos_ = key_end;
    remember_key(member.key);
    expect(':');
    const std::size_t value_end = scan_value(pos_, member.kind, member.plain);
    member.raw = text_.substr(pos_, value_end - pos_);
    pos_ = value_end;
    skip_whitespace();
    if (pos_ < text_.size() && text_[pos_] == ',') {
        ++pos_;
        skip_whitespace();
    } else if (pos_ < text_.size() && text_[pos_] == '}') {
        ++pos_;
        skip_whitespace();
        if (pos_ != text_.size()) fail("is not valid JSON");
        check_remaining_keys();
        done_ = true;  // this member is still returned; the next call ends
    } else {
        fail("is not valid JSON");
    }
    return true;
}

void JsonObjectReader::remember_key(std::string_view key) {
    if (key_count_ < first_keys_.size()) {
        for (std::size_t i = 0; i < key_count_; ++i)
            if (first_keys_[i] == key) fail("has a duplicate member");
        first_keys_[key_count_] = key;
    } else {
        more_keys_.push_back(key);
    }
    ++key_count_;
}

void JsonObjectReader::check_remaining_keys() const {
    if (more_keys_.empty()) return;
    // Sorting keeps a hostile object with thousands of keys at n log n, not n squared.
    std::vector<std::string_view> all(first_keys_.begin(), first_keys_.end());
    all.insert(all.end(), more_keys_.begin(), more_keys_.end());
    std::sort(all.begin(), all.end());
    if (std::adjacent_find(all.begin(), all.end()) != all.end()) fail("has a duplicate member");
}

std::size_t JsonObjectReader::scan_string(std::size_t pos, bool& plain) const {
    // pos is at the opening quote.
    plain = true;
    std::size_t i = pos + 1;
    for (;;) {
        // Most bytes are plain printable ASCII: skip them in a tight loop.
        while (i < text_.size() && kJsonPlain[static_cast<unsigned char>(text_[i])]) ++i;
        if (i >= text_.size()) fail("is not valid JSON");
        const auto c = static_cast<unsigned char>(text_[i]);
        if (c == '"') return i + 1;
        if (c < 0x20) fail("is not valid JSON");
        if (c == '\\') {
            plain = false;
            if (i + 1 >= text_.size()) fail("is not valid JSON");
            const char e = text_[i + 1];
            if (e == 'u') {
                const long unit = hex4(text_, i + 2);
                if (unit < 0) fail("is not valid JSON");
                i += 6;
                if (unit >= 0xDC00 && unit <= 0xDFFF) fail("is not valid JSON");  // lone low surrogate
                if (unit >= 0xD800 && unit <= 0xDBFF) {
                    const long low = (i + 1 < text_.size() && text_[i] == '\\' && text_[i + 1] == 'u') ? hex4(text_, i + 2) : -1;
                    if (low < 0xDC00 || low > 0xDFFF) fail("is not valid JSON");
                    i += 6;
                }
                continue;
            }
            if (e != '"' && e != '\\' && e != '/' && e != 'b' && e != 'f' && e != 'n' && e != 'r' && e != 't')
                fail("is not valid JSON");
            i += 2;
            continue;
        }
        if (c < 0x80) {
            ++i;
            continue;
        }
        const std::size_t n = utf8_sequence(text_, i);
        if (n == 0) fail("is not valid UTF-8");
        i += n;
    }
}

std::size_t JsonObjectReader::scan_number(std::size_t pos) const {
    // RFC 8259: -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?
    std::size_t i = pos;
    const auto at = [&](std::size_t k) { return k < text_.size() ? text_[k] : '\0'; };
    // The decimal magnitude, tracked so that a number too large for a double is refused (as
    // nlohmann refuses it) while one that merely underflows to zero is not.
    long magnitude = 0;  // position of the first significant digit, in powers of ten
    bool significant = false;
    if (at(i) == '-') ++i;
    if (at(i) == '0') {
        ++i;
    } else if (at(i) >= '1' && at(i) <= '9') {
        significant = true;
        for (magnitude = -1; is_digit(at(i)); ++i) ++magnitude;
    } else {
        fail("is not valid JSON");
    }
    if (at(i) == '.') {
        ++i;
        if (!is_digit(at(i))) fail("is not valid JSON");
        for (long place = -1; is_digit(at(i)); ++i, --place)
            if (!significant && at(i) != '0') {
                significant = true;
                magnitude = place;
            }
    }
    if (at(i) == 'e' || at(i) == 'E') {
        ++i;
        const bool negative = at(i) == '-';
        if (at(i) == '+' || at(i) == '-') ++i;
        if (!is_digit(at(i))) fail("is not valid JSON");
        long exponent = 0;
        for (; is_digit(at(i)); ++i) exponent = std::min(exponent * 10 + (at(i) - '0'), 1'000'000L);
        magnitude += negative ? -exponent : exponent;
    }
    if (significant && magnitude >= 300) {
        // Near or past DBL_MAX (about 1.8e308): the exact answer from the conversion itself.
        double value = 0;
        const auto [end, ec] = std::from_chars(text_.data() + pos, text_.data() + i, value);
        if (magnitude > 310 || ec != std::errc() || end != text_.data() + i) fail("is not valid JSON");
    }
    return i;
}

std::size_t JsonObjectReader::scan_literal(std::size_t pos) const {
    for (std::string_view word : {"true", "false", "null"})
        if (text_.substr(pos, word.size()) == word) return pos + word.size();
    fail("is not valid JSON");
}

std::size_t JsonObjectReader::scan_value(std::size_t pos, JsonKind& kind, bool& plain) const {
    plain = false;
    if (pos >= text_.size()) fail("is not valid JSON");
    switch (text_[pos]) {
        case '"': kind = JsonKind::string; return scan_string(pos, plain);
        case '[': kind = JsonKind::array; return scan_composite(pos);
        case '{': kind = JsonKind::object; return scan_composite(pos);
        case 't':
        case 'f':
        case 'n': kind = JsonKind::literal; return scan_literal(pos);
        default: kind = JsonKind::number; return scan_number(pos);
    }
}

std::size_t JsonObjectReader::scan_composite(std::size_t pos) const {
    // Iterative, so nesting depth costs memory, never stack: the brackets still open, the first
    // 64 levels in place (no allocation for any ordinary claim), deeper ones on the heap.
    constexpr std::size_t kShallow = 64;
    std::array<char, kShallow> shallow;
    std::vector<char> deep;
    std::size_t depth = 0;
    const auto push = [&](char bracket) {
        if (depth < kShallow)
            shallow[depth] = bracket;
        else
            deep.push_back(bracket);
        ++depth;
    };
    const auto top = [&] { return depth <= kShallow ? shallow[depth - 1] : deep.back(); };
    const auto pop = [&] {
        if (depth > kShallow) deep.pop_back();
        --depth;
    };
    std::size_t i = pos;
    const auto ws = [&] {
        while (i < text_.size() && is_whitespace(text_[i])) ++i;
    };
    const auto at = [&] { return i < text_.size() ? text_[i] : '\0'; };
    bool plain = false;
    for (;;) {
        // A value starts at i.
        ws();
        const char c = at();
        if (c == '[' || c == '{') {
            push(c);
            ++i;
            ws();
            if (at() == (c == '[' ? ']' : '}')) {
                ++i;
                pop();
            } else {
                if (c == '{') {
                    if (at() != '"') fail("is not valid JSON");
                    i = scan_string(i, plain);
                    ws();
                    if (at() != ':') fail("is not valid JSON");
                    ++i;
                }
                continue;  // the first value inside
            }
        } else if (c == '"') {
            i = scan_string(i, plain);
        } else if (c == 't' || c == 'f' || c == 'n') {
            i = scan_literal(i);
        } else {
            i = scan_number(i);
        }
        // After a value: close containers or move to the next item.
        for (;;) {
            if (depth == 0) return i;
            ws();
            const char bracket = top();
            if (at() == ',') {
                ++i;
                if (bracket == '{') {
                    ws();
                    if (at() != '"') fail("is not valid JSON");
                    i = scan_string(i, plain);
                    ws();
                    if (at() != ':') fail("is not valid JSON");
                    ++i;
                }
                break;  // the next value
            }
            if (at() != (bracket == '[' ? ']' : '}')) fail("is not valid JSON");
            ++i;
            pop();
        }
    }
}

std::string JsonObjectReader::string_value(const JsonMember& member) {
    if (member.plain) return std::string(member.raw.substr(1, member.raw.size() - 2));
    return decode_string(member.raw);
}

bool JsonObjectReader::string_array(const JsonMember& member, std::vector<std::string>& out) {
    if (member.kind != JsonKind::array) return false;
    // `raw` is a validated array, so only its shape needs reading: [ ws (string ws (, ws string ws)*)? ]
    const auto raw = member.raw;
    std::size_t i = 1;
    const auto ws = [&] {
        while (i < raw.size() && is_whitespace(raw[i])) ++i;
    };
    ws();
    if (raw[i] == ']') return true;
    for (;;) {
        if (raw[i] != '"') return false;
        const std::size_t start = i;
        bool escaped = false;
        for (++i; raw[i] != '"'; ++i) {
            if (raw[i] == '\\') {
                escaped = true;
                ++i;  // the escaped character (a \u's digits are plain characters)
            }
        }
        ++i;
        const auto item = raw.substr(start, i - start);
        if (escaped)
            out.push_back(decode_string(item));
        else
            out.emplace_back(item.substr(1, item.size() - 2));
        ws();
        if (raw[i] == ']') return true;
        ++i;  // the comma
        ws();
    }
}

}  // namespace fauth::detail
