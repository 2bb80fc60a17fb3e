// json_object_reader.hpp — reads the top-level members of one JSON object (a JOSE header or a
// claims set) without building a DOM: strict RFC 8259 validation of the whole text, duplicate
// top-level keys refused, values handed out as raw text to be read only when needed.
#pragma once

#include <array>
#include <cstddef>
#include <list>
#include <string>
#include <string_view>
#include <vector>

namespace fauth::detail {

/// What kind of JSON value a member holds.
enum class JsonKind { string, number, literal, array, object };

/// One top-level member: its key (escapes decoded) and the raw, already validated text of its value.
struct JsonMember {
    /// The key, unescaped; valid while the reader lives.
    std::string_view key;
    /// The kind of the value.
    JsonKind kind = JsonKind::literal;
    /// The value exactly as written (a string with its quotes).
    std::string_view raw;
    /// For a string: true when it has no escapes, so its contents are `raw` without the quotes.
    bool plain = false;
};

/// Reads the members of the JSON object in `text`, one at a time. Every byte of `text` is
/// validated by the time next() returns false: JSON grammar, UTF-8, \u escapes with paired
/// surrogates, and no key twice at the top level (RFC 7515 section 5.2, RFC 7519 section 4).
/// Errors throw InvalidToken naming `what` ("header", "payload").
class JsonObjectReader {
public:
    /// Starts reading `text`, which must outlive the reader.
    JsonObjectReader(std::string_view text, const char* what);

    /// Fills `member` with the next member; false after the last one. Throws InvalidToken.
    bool next(JsonMember& member);

    /// The value of a string member, escapes decoded.
    static std::string string_value(const JsonMember& member);
    /// Appends the items of an array member to `out` when every item is a string; false (and
    /// `out` unspecified) when the member is not an array of strings.
    static bool string_array(const JsonMember& member, std::vector<std::string>& out);

private:
    [[noreturn]] void fail(const char* problem) const;
    void skip_whitespace() noexcept;
    void expect(char c);
    std::string_view read_key(std::size_t& index);
    std::size_t scan_string(std::size_t pos, bool& plain) const;
    std::size_t scan_number(std::size_t pos) const;
    std::size_t scan_literal(std::size_t pos) const;
    std::size_t scan_value(std::size_t pos, JsonKind& kind, bool& plain) const;
    std::size_t scan_composite(std::size_t pos) const;
    void remember_key(std::string_view key);
    void check_remaining_keys() const;

    std::string_view text_;
    const char* what_;
    std::size_t pos_ = 0;
    bool done_ = false;
    std::size_t key_count_ = 0;
    std::array<std::string_view, 16> first_keys_{};  // checked for duplicates as they come
    std::vector<std::string_view> more_keys_;        // checked at the end, sorted
    std::list<std::string> decoded_keys_;            // keys that had escapes (stable, and free when empty)
};

}  // namespace fauth::detail
