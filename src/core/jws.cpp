#include "jws.hpp"

#include <algorithm>
#include <array>

#include "fauth/core/internal/ascii.hpp"
#include "fauth/core/base64url.hpp"
#include "fauth/core/jws.hpp"
#include "fauth/core/errors.hpp"
#include "json_object_reader.hpp"
#include "key_impl.hpp"

namespace fauth::detail {

CompactJws split_compact(std::string_view token, bool empty_payload) {
    const auto first = token.find('.');
    const auto second = first == std::string_view::npos ? first : token.find('.', first + 1);
    if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos)
        throw InvalidToken("malformed token: expected three segments");
    CompactJws jws{token.substr(0, first), token.substr(first + 1, second - first - 1), token.substr(second + 1),
                   token.substr(0, second)};
    if (jws.header_b64.empty() || (jws.payload_b64.empty() && !empty_payload) || jws.signature_b64.empty())
        throw InvalidToken("malformed token: empty segment");
    return jws;
}

JoseHeader read_header(std::string_view text, std::string_view pinned, TypRule typ_rule) {
    JsonObjectReader reader(text, "header");
    JsonMember member, alg, typ, kid;
    bool crit = false;
    while (reader.next(member)) {
        if (member.key == "alg")
            alg = member;
        else if (member.key == "typ")
            typ = member;
        else if (member.key == "kid")
            kid = member;
        else if (member.key == "crit")
            crit = true;
    }
    if (alg.raw.empty() || alg.kind != JsonKind::string) throw InvalidToken("header has no alg");
    JoseHeader header;
    header.alg = JsonObjectReader::string_value(alg);
    if (ascii_iequals(header.alg, "none")) throw InvalidToken("alg none is not accepted");
    if (!pinned.empty() && header.alg != pinned) throw InvalidToken("algorithm not allowed");
    if (crit) throw InvalidToken("crit header parameters are not supported");
    if (!typ.raw.empty()) {
        if (typ.kind != JsonKind::string) throw InvalidToken(typ_rule == TypRule::jwt ? "typ is not JWT" : "typ is not a string");
        header.typ = JsonObjectReader::string_value(typ);
        header.at_jwt = ascii_iequals(header.typ, "at+jwt") || ascii_iequals(header.typ, "application/at+jwt");
        if (typ_rule == TypRule::jwt && !header.at_jwt && !ascii_iequals(header.typ, "JWT")) throw InvalidToken("typ is not JWT");
    }
    if (!kid.raw.empty()) {
        if (kid.kind != JsonKind::string) throw InvalidToken("kid is not a string");
        header.kid = JsonObjectReader::string_value(kid);
        header.has_kid = true;
    }
    return header;
}

bool is_own_header(const Key& key, std::string_view header_b64) noexcept {
    return header_b64 == KeyAccess::impl(key).header_segment();
}

void verify_signature(const Key& key, const CompactJws& jws) {
    // Decoded on the stack when it fits (an RSA-8192 signature is 1024 bytes), else on the heap.
    std::array<char, 1024> local;
    std::string heap;
    const std::size_t need = base64url_decoded_size(jws.signature_b64.size());
    char* out = local.data();
    if (need > local.size()) {
        heap.resize(need);
        out = heap.data();
    }
    const auto size = base64url_decode(jws.signature_b64, out, need);
    if (!size) throw InvalidToken("signature is not canonical base64url");
    if (!key.verify(jws.signing_input, std::string_view(out, *size))) throw InvalidToken("signature mismatch");
}

std::string sign_compact(const Key& key, std::string_view payload) {
    const auto& impl = KeyAccess::impl(key);
    const auto& header = impl.header_segment();
    std::string token;
    token.reserve(header.size() + payload.size() * 4 / 3 + 100);
    token += header;
    token += '.';
    base64url_encode(payload, token);
    impl.append_signature(token);
    return token;
}

}  // namespace fauth::detail

namespace fauth {

JwsVerified verify_jws(std::string_view token, const KeySet& keys, std::span<const std::string> algorithms) {
    if (token.empty()) throw InvalidToken("empty token");
    const auto jws = detail::split_compact(token, true);
    std::string header_text;
    if (!base64url_decode(jws.header_b64, header_text)) throw InvalidToken("header is not canonical base64url");
    const auto header = detail::read_header(header_text, {}, detail::TypRule::any);
    if (!algorithms.empty() && std::find(algorithms.begin(), algorithms.end(), header.alg) == algorithms.end())
        throw InvalidToken("algorithm not allowed");
    // Every key is bound to its one algorithm, so `alg` can select no other kind of key.
    const Key* key = detail::select_key(keys, header, [](const Key&) { return true; });
    if (key == nullptr) throw InvalidToken("unknown kid");
    detail::verify_signature(*key, jws);
    std::string payload;
    if (!base64url_decode(jws.payload_b64, payload)) throw InvalidToken("payload is not canonical base64url");
    // read_header validated the text (RFC 8259, UTF-8, no duplicate member); nlohmann's own limits
    // (a number beyond a double, say) still refuse, as a bad token.
    auto parsed = nlohmann::json::parse(header_text, nullptr, false);
    if (parsed.is_discarded()) throw InvalidToken("header is not JSON fauth can read");
    return JwsVerified{std::move(parsed), std::move(payload), *key};
}

}  // namespace fauth
