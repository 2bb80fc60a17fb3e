#include "json_writer.hpp"

#include <charconv>
#include <stdexcept>

#include "utf8.hpp"

namespace fauth::detail {

void append_json_string(std::string& out, std::string_view value) {
    static constexpr char kHex[] = "0123456789abcdef";
    out.push_back('"');
    std::size_t i = 0;
    while (i < value.size()) {
        const auto c = static_cast<unsigned char>(value[i]);
        if (c >= 0x80) {
            const std::size_t n = utf8_sequence(value, i);
            if (n == 0) throw std::invalid_argument("fauth: token claims must be valid UTF-8");
            out.append(value.substr(i, n));
            i += n;
            continue;
        }
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\b': out += "\\b"; break;
            case '\f': out += "\\f"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            default:
                if (c < 0x20) {
                    out += "\\u00";
                    out.push_back(kHex[c >> 4]);
                    out.push_back(kHex[c & 15]);
                } else {
                    out.push_back(static_cast<char>(c));
                }
        }
        ++i;
    }
    out.push_back('"');
}

void append_json_strings(std::string& out, const std::vector<std::string>& value) {
    out.push_back('[');
    for (std::size_t i = 0; i < value.size(); ++i) {
        if (i > 0) out.push_back(',');
        append_json_string(out, value[i]);
    }
    out.push_back(']');
}

void append_json_integer(std::string& out, std::int64_t value) {
    char buffer[24];
    const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
    out.append(buffer, end);
}

}  // namespace fauth::detail
