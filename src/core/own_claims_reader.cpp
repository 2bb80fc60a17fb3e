#include "own_claims_reader.hpp"

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "claims_codec.hpp"
#include "utf8.hpp"

namespace fauth::detail {
namespace {

constexpr std::int64_t kOwnSecondsLimit = 1'000'000'000'000;  // own_time's bound on a fractional time
constexpr int kOwnMaxDepth = 16;                              // nesting an extra claim's value may have

bool own_digit(char c) noexcept { return c >= '0' && c <= '9'; }

// A time claim as own_time (claims.cpp) reads it.
struct OwnTimeClaim {
    std::int64_t seconds = 0;
    std::int64_t microseconds = 0;
    bool fractional = false;
};

// A position in the payload that moves only over what fits the expected layout; every reading
// either consumes what it expects or says no (the caller then declines the whole payload).
class OwnCursor {
public:
    explicit OwnCursor(std::string_view text) noexcept : text_(text) {}

    bool at_end() const noexcept { return pos_ == text_.size(); }
    char peek() const noexcept { return pos_ < text_.size() ? text_[pos_] : '\0'; }
    std::string_view from(std::size_t start) const noexcept { return text_.substr(start, pos_ - start); }
    std::size_t position() const noexcept { return pos_; }

    bool take(char c) noexcept {
        if (peek() != c) return false;
        ++pos_;
        return true;
    }

    bool take(std::string_view literal) noexcept {
        if (text_.substr(pos_, literal.size()) != literal) return false;
        pos_ += literal.size();
        return true;
    }

    // A string without escapes, every byte printable ASCII or well-formed UTF-8: its contents.
    std::optional<std::string_view> string() noexcept {
        if (peek() != '"') return std::nullopt;
        std::size_t i = pos_ + 1;
        for (;;) {
            while (i < text_.size() && kJsonPlain[static_cast<unsigned char>(text_[i])]) ++i;
            if (i >= text_.size()) return std::nullopt;
            const auto c = static_cast<unsigned char>(text_[i]);
            if (c == '"') {
                const auto contents = text_.substr(pos_ + 1, i - pos_ - 1);
                pos_ = i + 1;
                return contents;
            }
            if (c < 0x80) return std::nullopt;  // an escape or a control character
            const std::size_t n = utf8_sequence(text_, i);
            if (n == 0) return std::nullopt;
            i += n;
        }
    }

    // A non-empty string of the same kind (sub, jti, fam).
    std::optional<std::string_view> nonempty_string() noexcept {
        auto s = string();
        if (s && s->empty()) return std::nullopt;
        return s;
    }

    // An integer as append_json_integer writes one, of at most `digits` digits: -?(0|[1-9][0-9]*).
    // A leading zero or one digit more is declined.
    std::optional<std::int64_t> integer(std::size_t digits) noexcept {
        std::size_t i = pos_;
        const bool negative = i < text_.size() && text_[i] == '-';
        if (negative) ++i;
        if (i >= text_.size() || !own_digit(text_[i])) return std::nullopt;
        std::int64_t v = 0;
        if (text_[i] == '0') {
            ++i;
        } else {
            for (const std::size_t first = i; i < text_.size() && own_digit(text_[i]) && i - first < digits; ++i)
                v = v * 10 + (text_[i] - '0');
        }
        if (i < text_.size() && own_digit(text_[i])) return std::nullopt;
        pos_ = i;
        return negative ? -v : v;
    }

    // A NumericDate as numeric_date reads an integer one: |v| < 10^15.
    std::optional<std::int64_t> date() noexcept { return integer(15); }

    // iat or auth_time as own_time reads it: an integer, or a non-negative one under 10^12
    // followed by exactly six decimals (write_claims's form; other fractions are declined).
    std::optional<OwnTimeClaim> time() noexcept {
        const std::size_t start = pos_;
        const auto seconds = date();
        if (!seconds) return std::nullopt;
        if (peek() != '.') {
            const bool fits = *seconds >= 0 && *seconds < kOwnSecondsLimit;
            return OwnTimeClaim{*seconds, fits ? *seconds * 1'000'000 : 0, false};
        }
        if (text_[start] == '-' || *seconds >= kOwnSecondsLimit) return std::nullopt;
        std::size_t i = pos_ + 1;
        std::int64_t micro = 0;
        for (int k = 0; k < 6; ++k, ++i) {
            if (i >= text_.size() || !own_digit(text_[i])) return std::nullopt;
            micro = micro * 10 + (text_[i] - '0');
        }
        if (i < text_.size() && own_digit(text_[i])) return std::nullopt;  // finer than a microsecond
        pos_ = i;
        return OwnTimeClaim{*seconds, *seconds * 1'000'000 + micro, true};
    }

    // iat_us, auth_time_us: a positive integer under 10^18 (microseconds_claim's range).
    std::optional<std::int64_t> microseconds() noexcept {
        const auto v = integer(18);
        if (!v || *v <= 0) return std::nullopt;
        return v;
    }

    // iat or auth_time (see time()), with, when it is an integer, the `us_key` claim that may
    // follow it in place of its microseconds.
    std::optional<OwnTimeClaim> time_with_microseconds(std::string_view us_key) noexcept {
        auto t = time();
        if (!t || t->fractional || !take(us_key)) return t;
        const auto us = microseconds();
        if (!us) return std::nullopt;
        t->microseconds = *us;
        return t;
    }

    // An array of strings of the kind string() reads, without whitespace.
    bool strings(std::vector<std::string>& out) {
        if (!take('[')) return false;
        if (take(']')) return true;
        for (;;) {
            const auto s = string();
            if (!s) return false;
            out.emplace_back(*s);
            if (take(']')) return true;
            if (!take(',')) return false;
        }
    }

    // An array of strings as strings() reads, into a set of RFC 8176 methods (other names skipped,
    // as the general reader skips them).
    bool methods(AuthMethods& out) noexcept {
        if (!take('[')) return false;
        if (take(']')) return true;
        for (;;) {
            const auto s = string();
            if (!s) return false;
            if (const auto method = auth_method_from_string(*s)) out.add(*method);
            if (take(']')) return true;
            if (!take(',')) return false;
        }
    }

    // Any value made of such strings, integers, literals, arrays and objects (up to kOwnMaxDepth
    // deep), without whitespace: checked only, for nlohmann to read as the general reader has it read.
    bool value(int depth) noexcept {
        switch (peek()) {
            case '"': return string().has_value();
            case 't': return take(std::string_view("true"));
            case 'f': return take(std::string_view("false"));
            case 'n': return take(std::string_view("null"));
            case '[':
            case '{': {
                const char close = peek() == '[' ? ']' : '}';
                const bool object = close == '}';
                if (depth >= kOwnMaxDepth) return false;
                ++pos_;
                if (take(close)) return true;
                for (;;) {
                    if (object && !(string() && take(':'))) return false;
                    if (!value(depth + 1)) return false;
                    if (take(close)) return true;
                    if (!take(',')) return false;
                }
            }
            default: return integer(18).has_value();  // well within what the general reader takes
        }
    }

private:
    std::string_view text_;
    std::size_t pos_ = 0;
};

}  // namespace

std::optional<TokenPayload> read_own_claims(std::string_view json) {
    OwnCursor in(json);
    TokenPayload p;

    if (!in.take(std::string_view("{\"sub\":"))) return std::nullopt;
    const auto sub = in.nonempty_string();
    if (!sub || !in.take(std::string_view(",\"exp\":"))) return std::nullopt;
    const auto exp = in.date();
    if (!exp || !in.take(std::string_view(",\"iat\":"))) return std::nullopt;
    p.exp = *exp;
    const auto iat = in.time_with_microseconds(",\"iat_us\":");
    if (!iat) return std::nullopt;
    p.iat = iat->seconds;
    p.iat_us = iat->microseconds;
    if (in.take(std::string_view(",\"auth_time\":"))) {
        const auto auth_time = in.time_with_microseconds(",\"auth_time_us\":");
        if (!auth_time) return std::nullopt;
        p.auth_time = auth_time->seconds;
        p.auth_time_us = auth_time->microseconds;
    } else {
        p.auth_time = p.iat;  // a session begun at the issue time (read_claims's rule)
        p.auth_time_us = p.iat_us;
    }
    if (in.take(std::string_view(",\"nbf\":"))) {
        const auto nbf = in.date();
        if (!nbf) return std::nullopt;
        p.nbf = *nbf;
    }
    if (!in.take(std::string_view(",\"jti\":"))) return std::nullopt;
    const auto jti = in.nonempty_string();
    if (!jti || !in.take(std::string_view(",\"token_type\":"))) return std::nullopt;
    const auto type_name = in.string();
    const auto type = type_name ? token_type_from_string(*type_name) : std::nullopt;
    if (!type) return std::nullopt;
    p.jti = *jti;
    p.token_type = *type;
    if (in.take(std::string_view(",\"scopes\":")) && !in.strings(p.scopes)) return std::nullopt;
    if (in.take(std::string_view(",\"iss\":"))) {
        const auto iss = in.string();
        if (!iss) return std::nullopt;
        p.iss.emplace(*iss);
    }
    if (in.take(std::string_view(",\"aud\":"))) {
        if (in.peek() == '"') {
            const auto aud = in.string();
            if (!aud) return std::nullopt;
            p.aud.emplace_back(*aud);
        } else if (!in.strings(p.aud)) {
            return std::nullopt;
        }
    }
    if (in.take(std::string_view(",\"fam\":"))) {
        const auto fam = in.nonempty_string();
        if (!fam) return std::nullopt;
        p.family = *fam;
    }
    if (in.take(std::string_view(",\"fresh\":"))) {
        if (in.take(std::string_view("true")))
            p.fresh = true;
        else if (!in.take(std::string_view("false")))
            return std::nullopt;
    }
    // How the session began; what is left out is implied (write_claims).
    std::optional<std::string_view> acr;
    if (in.take(std::string_view(",\"acr\":"))) {
        acr = in.string();
        if (!acr) return std::nullopt;
    }
    if (in.take(std::string_view(",\"amr\":"))) {
        if (!in.methods(p.amr)) return std::nullopt;
    } else {
        p.amr = kImpliedMethods;
    }
    p.acr.assign(acr ? *acr : implied_acr(p.amr));
    // Other claims as nlohmann writes an object's members: keys in increasing order (so none
    // twice), none of them registered.
    std::optional<std::string_view> previous;
    while (in.take(',')) {
        const auto key = in.string();
        if (!key || is_registered_claim(*key) || (previous && !(*previous < *key)) || !in.take(':')) return std::nullopt;
        previous = key;
        if (in.peek() == '"') {
            const auto text = in.string();
            if (!text) return std::nullopt;
            p.extra[std::string(*key)] = std::string(*text);
            continue;
        }
        const std::size_t start = in.position();
        if (!in.value(0)) return std::nullopt;
        const auto raw = in.from(start);
        auto value = nlohmann::json::parse(raw.begin(), raw.end(), nullptr, /*allow_exceptions=*/false);
        if (value.is_discarded()) return std::nullopt;
        p.extra[std::string(*key)] = std::move(value);
    }
    if (!in.take('}') || !in.at_end()) return std::nullopt;
    p.sub.assign(*sub);
    return p;
}

}  // namespace fauth::detail
