// WebAuthn Level 2 relying-party checks (sections 7.1 and 7.2): clientDataJSON, authenticator data,
// COSE keys (RFC 9052/9053), "none" and "packed" self attestation, assertion signatures. Every
// refusal is the same Failure for the client ("Invalid passkey"); its log names the check.
#include "fauth/auth/webauthn.hpp"

#include <cbor.h>
#include <openssl/bn.h>
#include <openssl/ec.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <exception>
#include <limits>
#include <memory>
#include <optional>
#include <set>
#include <utility>

#include <nlohmann/json.hpp>

#include "fauth/core/base64url.hpp"
#include "fauth/core/errors.hpp"
#include "fauth/core/internal/digest.hpp"
#include "fauth/core/keys.hpp"

namespace fauth::webauthn {
namespace {

constexpr std::size_t kMinChallenge = 16;
constexpr std::size_t kMaxSignature = 2048;         // RSA-16384; ECDSA and Ed25519 are far shorter
constexpr std::size_t kAttestationObjectDepth = 8;  // {attStmt: {x5c: [bytes]}} is 3 deep
constexpr std::size_t kCoseKeyDepth = 4;            // a COSE key is a flat map
constexpr std::size_t kExtensionsDepth = 8;         // extension outputs are small maps of scalars
constexpr std::size_t kMaxMapEntries = 64;

// Authenticator data flags (WebAuthn Level 2 section 6.1, Level 3 for BE and BS).
constexpr std::uint8_t kUserPresent = 0x01;
constexpr std::uint8_t kUserVerified = 0x04;
constexpr std::uint8_t kBackupEligible = 0x08;
constexpr std::uint8_t kBackedUp = 0x10;
constexpr std::uint8_t kAttestedData = 0x40;
constexpr std::uint8_t kExtensionData = 0x80;
constexpr std::size_t kAuthDataHead = 37;  // rpIdHash (32), flags (1), signCount (4)

Failure refuse(std::string log) {
    return Failure{ErrorKind::invalid_credentials, "Invalid passkey", "webauthn: " + std::move(log)};
}

std::string_view bytes_view(const unsigned char* data, std::size_t size) {
    return size == 0 ? std::string_view() : std::string_view(reinterpret_cast<const char*>(data), size);
}

// --- CBOR --------------------------------------------------------------------------------------

// The size of the one CBOR data item that `data` starts with, found without recursion and without
// allocating per item, or nothing unless it is well-formed, nests at most `max_depth` containers
// deep and uses only definite lengths, no tags and no simple values but false, true, null and
// undefined (what CTAP2's canonical encoding allows). Checked before libcbor reads the bytes, so
// that neither its decoder nor cbor_decref ever meets deep nesting.
std::optional<std::size_t> cbor_item_size(std::string_view data, std::size_t max_depth) {
    const auto* in = reinterpret_cast<const unsigned char*>(data.data());
    const std::size_t size = data.size();
    std::size_t pos = 0;
    std::vector<std::uint64_t> open{1};  // items still to read in each open container; the root first
    while (!open.empty()) {
        if (open.back() == 0) {
            open.pop_back();
            continue;
        }
        --open.back();
        if (pos >= size) return std::nullopt;
        const unsigned major = in[pos] >> 5, info = in[pos] & 0x1f;
        ++pos;
        std::uint64_t value = info;
        if (info >= 24) {
            if (info > 27) return std::nullopt;  // reserved (28-30) or indefinite length (31)
            const std::size_t width = std::size_t{1} << (info - 24);
            if (size - pos < width) return std::nullopt;
            value = 0;
            for (std::size_t i = 0; i < width; ++i) value = value << 8 | in[pos + i];
            pos += width;
        }
        switch (major) {
            case 0:
            case 1: break;  // unsigned and negative integers
            case 2:
            case 3:  // byte and text strings
                if (value > size - pos) return std::nullopt;
                pos += static_cast<std::size_t>(value);
                break;
            case 4:
            case 5:  // arrays and maps: every member is at least one byte
                if (value > size - pos || (major == 5 && 2 * value > size - pos)) return std::nullopt;
                if (value == 0) break;
                if (open.size() > max_depth) return std::nullopt;
                open.push_back(major == 5 ? 2 * value : value);
                break;
            case 6: return std::nullopt;  // tags
            default:                      // 7: simple values and floats
                if (info < 20 || info == 24) return std::nullopt;
                break;
        }
    }
    return pos;
}

struct CborFree {
    void operator()(cbor_item_t* item) const noexcept { cbor_decref(&item); }
};
using CborPtr = std::unique_ptr<cbor_item_t, CborFree>;

// `data` as one CBOR item (nothing after it), or null.
CborPtr load_cbor(std::string_view data, std::size_t max_depth) {
    const auto item_size = cbor_item_size(data, max_depth);
    if (!item_size || *item_size != data.size()) return nullptr;
    cbor_load_result result{};
    CborPtr item(cbor_load(reinterpret_cast<cbor_data>(data.data()), data.size(), &result));
    if (!item || result.error.code != CBOR_ERR_NONE || result.read != data.size()) return nullptr;
    return item;
}

std::optional<std::string_view> cbor_bytes(const cbor_item_t* item) {
    if (item == nullptr || !cbor_isa_bytestring(item) || !cbor_bytestring_is_definite(item)) return std::nullopt;
    return bytes_view(cbor_bytestring_handle(item), cbor_bytestring_length(item));
}

std::optional<std::string_view> cbor_text(const cbor_item_t* item) {
    if (item == nullptr || !cbor_isa_string(item) || !cbor_string_is_definite(item)) return std::nullopt;
    return bytes_view(cbor_string_handle(item), cbor_string_length(item));
}

std::optional<std::int64_t> cbor_int(const cbor_item_t* item) {
    if (item == nullptr || (!cbor_isa_uint(item) && !cbor_isa_negint(item))) return std::nullopt;
    const std::uint64_t raw = cbor_get_int(item);
    if (raw > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) return std::nullopt;
    const auto value = static_cast<std::int64_t>(raw);
    return cbor_isa_uint(item) ? value : -1 - value;
}

// One member of a CBOR map whose key is an integer or a text string.
struct CborEntry {
    bool is_text = false;
    std::int64_t number = 0;
    std::string_view text;
    const cbor_item_t* value = nullptr;
};

// The members of a definite map with integer and text keys, none repeated; nothing otherwise.
std::optional<std::vector<CborEntry>> cbor_entries(const cbor_item_t* map) {
    if (map == nullptr || !cbor_isa_map(map) || !cbor_map_is_definite(map)) return std::nullopt;
    const std::size_t count = cbor_map_size(map);
    if (count > kMaxMapEntries) return std::nullopt;
    const cbor_pair* pairs = cbor_map_handle(map);
    std::vector<CborEntry> entries;
    entries.reserve(count);
    for (std::size_t i = 0; i < count; ++i) {
        CborEntry entry;
        entry.value = pairs[i].value;
        if (const auto number = cbor_int(pairs[i].key)) {
            entry.number = *number;
        } else if (const auto text = cbor_text(pairs[i].key)) {
            entry.is_text = true;
            entry.text = *text;
        } else {
            return std::nullopt;
        }
        for (const auto& other : entries)
            if (other.is_text == entry.is_text && other.number == entry.number && other.text == entry.text) return std::nullopt;
        entries.push_back(entry);
    }
    return entries;
}

const cbor_item_t* cbor_member(const std::vector<CborEntry>& entries, std::string_view name) {
    for (const auto& e : entries)
        if (e.is_text && e.text == name) return e.value;
    return nullptr;
}

const cbor_item_t* cbor_member(const std::vector<CborEntry>& entries, std::int64_t label) {
    for (const auto& e : entries)
        if (!e.is_text && e.number == label) return e.value;
    return nullptr;
}

// --- clientDataJSON ----------------------------------------------------------------------------

// Checks clientDataJSON (section 5.8.1) for a ceremony of `type`; the failure says which check failed.
std::optional<Failure> check_client_data(const RelyingParty& rp, std::string_view challenge, std::string_view json,
                                         std::string_view type) {
    // WebAuthn section 13.4.3: at least 16 random bytes. A shorter one is the caller's mistake, and an
    // empty one would match a client's empty challenge.
    if (challenge.size() < kMinChallenge) return refuse("challenge shorter than 16 bytes");
    if (json.empty() || json.size() > kMaxClientDataJson) return refuse("clientDataJSON is empty or too large");
    std::set<std::string, std::less<>> keys;
    bool repeated = false;
    const auto note_keys = [&](int depth, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
        if (event == nlohmann::json::parse_event_t::key && depth == 1 && parsed.is_string())
            repeated = !keys.insert(parsed.get<std::string>()).second || repeated;
        return true;
    };
    const auto data = nlohmann::json::parse(json.begin(), json.end(), note_keys, /*allow_exceptions=*/false);
    if (data.is_discarded() || !data.is_object()) return refuse("clientDataJSON is not a JSON object");
    if (repeated) return refuse("clientDataJSON repeats a member");
    const auto member = [&](const char* name) -> const std::string* {
        const auto it = data.find(name);
        return it != data.end() && it->is_string() ? it->get_ptr<const std::string*>() : nullptr;
    };
    const auto* got_type = member("type");
    if (got_type == nullptr || *got_type != type) return refuse("clientDataJSON type is not " + std::string(type));
    const auto* got_challenge = member("challenge");
    if (got_challenge == nullptr || !equal_in_constant_time(*got_challenge, base64url_encode(challenge)))
        return refuse("challenge does not match");
    const auto* origin = member("origin");
    if (origin == nullptr || std::find(rp.origins.begin(), rp.origins.end(), *origin) == rp.origins.end())
        return refuse("origin not allowed");
    const auto cross = data.find("crossOrigin");
    if (cross != data.end() && !(cross->is_boolean() && !cross->get<bool>())) return refuse("cross-origin ceremony refused");
    return std::nullopt;
}

// --- authenticator data ------------------------------------------------------------------------

struct AuthenticatorData {
    std::uint8_t flags = 0;
    std::uint32_t sign_count = 0;
    std::string_view aaguid;
    std::string_view credential_id;
    std::string_view public_key;  // the COSE_Key bytes
};

// Parses authenticator data (section 6.1), with attested credential data exactly when
// `registration`, and checks what both ceremonies require of it.
Result<AuthenticatorData> read_authenticator_data(const RelyingParty& rp, std::string_view data, bool registration) {
    if (data.size() < kAuthDataHead || data.size() > kMaxAttestationObject)
        return refuse("authenticator data is truncated or too large");
    AuthenticatorData out;
    const auto* in = reinterpret_cast<const unsigned char*>(data.data());
    out.flags = in[32];
    out.sign_count = static_cast<std::uint32_t>(in[33]) << 24 | static_cast<std::uint32_t>(in[34]) << 16 |
                     static_cast<std::uint32_t>(in[35]) << 8 | in[36];
    const auto rp_hash = sha256(rp.id);
    if (!equal_in_constant_time(data.substr(0, 32), bytes_view(rp_hash.data(), rp_hash.size())))
        return refuse("rpIdHash does not match the RP ID");
    if ((out.flags & kUserPresent) == 0) return refuse("user not present (UP flag clear)");
    if (rp.require_user_verification && (out.flags & kUserVerified) == 0) return refuse("user not verified (UV flag clear)");
    if ((out.flags & kBackedUp) != 0 && (out.flags & kBackupEligible) == 0)
        return refuse("backed up (BS) without being backup eligible (BE)");
    std::size_t pos = kAuthDataHead;
    const bool attested = (out.flags & kAttestedData) != 0;
    if (attested != registration)
        return refuse(registration ? "attested credential data missing (AT flag clear)"
                                   : "attested credential data in an assertion (AT flag set)");
    if (attested) {
        if (data.size() - pos < 18) return refuse("authenticator data is truncated");
        out.aaguid = data.substr(pos, 16);
        const std::size_t id_size = static_cast<std::size_t>(in[pos + 16]) << 8 | in[pos + 17];
        pos += 18;
        if (id_size == 0 || id_size > kMaxCredentialId) return refuse("credential id is empty or longer than 1023 bytes");
        if (data.size() - pos < id_size) return refuse("authenticator data is truncated");
        out.credential_id = data.substr(pos, id_size);
        pos += id_size;
        const auto key_size = cbor_item_size(data.substr(pos), kCoseKeyDepth);
        if (!key_size) return refuse("credential public key is not well-formed CBOR");
        out.public_key = data.substr(pos, *key_size);
        pos += *key_size;
    }
    if ((out.flags & kExtensionData) != 0) {
        const auto rest = data.substr(pos);
        const auto extensions_size = cbor_item_size(rest, kExtensionsDepth);
        if (!extensions_size || (static_cast<unsigned char>(rest[0]) >> 5) != 5)
            return refuse("extension data is not a well-formed CBOR map");
        pos += *extensions_size;
    }
    if (pos != data.size()) return refuse("authenticator data has trailing bytes");
    return out;
}

// --- COSE keys and signatures ------------------------------------------------------------------

bool allowed(const RelyingParty& rp, CoseAlgorithm alg) {
    return std::find(rp.algorithms.begin(), rp.algorithms.end(), alg) != rp.algorithms.end();
}

// COSE key parameters (RFC 9052 section 7, RFC 9053 section 7).
constexpr std::int64_t kKty = 1, kAlg = 3, kCrvOrN = -1, kXOrE = -2, kYOrD = -3, kEcD = -4;
constexpr std::int64_t kOkp = 1, kEc2 = 2, kRsa = 3, kP256 = 1, kEd25519 = 6;

struct CoseKey {
    CoseAlgorithm algorithm;
    Key key;
};

// The public key a COSE_Key encodes, loaded into OpenSSL (through fauth's JWK reader: an EC point
// on the curve, an RSA modulus of 2048 bits or more with a sane exponent and no ROCA fingerprint).
Result<CoseKey> load_cose_key(const RelyingParty& rp, std::string_view cose) {
    const auto item = load_cbor(cose, kCoseKeyDepth);
    const auto entries = item ? cbor_entries(item.get()) : std::nullopt;
    if (!entries) return refuse("credential public key is not a COSE key map");
    const auto kty = cbor_int(cbor_member(*entries, kKty));
    const auto alg = cbor_int(cbor_member(*entries, kAlg));
    if (!kty || !alg) return refuse("COSE key lacks kty or alg");
    const auto algorithm = static_cast<CoseAlgorithm>(*alg);
    if (*alg != -7 && *alg != -8 && *alg != -257) return refuse("COSE algorithm not supported");
    if (!allowed(rp, algorithm)) return refuse("COSE algorithm not allowed");
    const auto b64 = [&](std::int64_t label) -> std::optional<std::string> {
        const auto bytes = cbor_bytes(cbor_member(*entries, label));
        if (!bytes || bytes->empty()) return std::nullopt;
        return base64url_encode(*bytes);
    };
    nlohmann::json jwk;
    switch (algorithm) {
        case CoseAlgorithm::es256: {
            const auto x = cbor_bytes(cbor_member(*entries, kXOrE)), y = cbor_bytes(cbor_member(*entries, kYOrD));
            if (*kty != kEc2 || cbor_int(cbor_member(*entries, kCrvOrN)) != kP256 || !x || !y || x->size() != 32 ||
                y->size() != 32 || cbor_member(*entries, kEcD) != nullptr)
                return refuse("COSE key does not fit ES256 (EC2 public key on P-256)");
            jwk = {{"kty", "EC"}, {"crv", "P-256"}, {"alg", "ES256"}, {"x", base64url_encode(*x)}, {"y", base64url_encode(*y)}};
            break;
        }
        case CoseAlgorithm::eddsa: {
            const auto x = cbor_bytes(cbor_member(*entries, kXOrE));
            if (*kty != kOkp || cbor_int(cbor_member(*entries, kCrvOrN)) != kEd25519 || !x || x->size() != 32 ||
                cbor_member(*entries, kEcD) != nullptr)
                return refuse("COSE key does not fit EdDSA (OKP public key on Ed25519)");
            jwk = {{"kty", "OKP"}, {"crv", "Ed25519"}, {"alg", "EdDSA"}, {"x", base64url_encode(*x)}};
            break;
        }
        case CoseAlgorithm::rs256: {
            const auto n = b64(kCrvOrN), e = b64(kXOrE);
            if (*kty != kRsa || !n || !e || cbor_member(*entries, kYOrD) != nullptr)
                return refuse("COSE key does not fit RS256 (RSA public key)");
            jwk = {{"kty", "RSA"}, {"alg", "RS256"}, {"n", *n}, {"e", *e}};
            break;
        }
    }
    try {
        return CoseKey{algorithm, Key::from_jwk(jwk)};
    } catch (const std::exception& e) {
        return refuse(std::string("COSE key does not load: ") + e.what());
    }
}

// True when `signature` (as WebAuthn sends it: DER for ECDSA, raw for Ed25519 and RSA) is `key`'s
// over `data`.
bool signature_verifies(const CoseKey& key, std::string_view data, std::string_view signature) {
    if (signature.empty() || signature.size() > kMaxSignature) return false;
    if (key.algorithm != CoseAlgorithm::es256) return key.key.verify(data, signature);
    // Key::verify takes JOSE's r||s: read the DER signature, strictly (it must encode back to itself).
    const auto* p = reinterpret_cast<const unsigned char*>(signature.data());
    std::unique_ptr<ECDSA_SIG, decltype(&ECDSA_SIG_free)> sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(signature.size())),
                                                              &ECDSA_SIG_free);
    if (!sig || p != reinterpret_cast<const unsigned char*>(signature.data()) + signature.size()) return false;
    unsigned char* der = nullptr;
    const int der_size = i2d_ECDSA_SIG(sig.get(), &der);
    const bool canonical = der_size > 0 && static_cast<std::size_t>(der_size) == signature.size() &&
                           std::memcmp(der, signature.data(), signature.size()) == 0;
    OPENSSL_free(der);
    if (!canonical) return false;
    std::array<unsigned char, 64> raw{};
    if (BN_bn2binpad(ECDSA_SIG_get0_r(sig.get()), raw.data(), 32) != 32 ||
        BN_bn2binpad(ECDSA_SIG_get0_s(sig.get()), raw.data() + 32, 32) != 32)
        return false;
    return key.key.verify(data, bytes_view(raw.data(), raw.size()));
}

// authenticatorData || SHA-256(clientDataJSON): what attestation and assertion signatures cover.
std::string signed_data(std::string_view authenticator_data, std::string_view client_data_json) {
    const auto hash = sha256(client_data_json);
    std::string out(authenticator_data);
    out.append(reinterpret_cast<const char*>(hash.data()), hash.size());
    return out;
}

Result<Credential> registration(const RelyingParty& rp, std::string_view challenge, std::string_view client_data_json,
                                std::string_view attestation_object) {
    if (auto failure = check_client_data(rp, challenge, client_data_json, "webauthn.create")) return std::move(*failure);
    if (attestation_object.empty() || attestation_object.size() > kMaxAttestationObject)
        return refuse("attestation object is empty or too large");
    const auto object = load_cbor(attestation_object, kAttestationObjectDepth);
    if (!object) return refuse("attestation object is not well-formed CBOR");
    const auto entries = cbor_entries(object.get());
    if (!entries) return refuse("attestation object is not a CBOR map");
    const auto fmt = cbor_text(cbor_member(*entries, "fmt"));
    const auto* statement = cbor_member(*entries, "attStmt");
    const auto auth_data_bytes = cbor_bytes(cbor_member(*entries, "authData"));
    const auto statement_entries = cbor_entries(statement);
    if (!fmt || !statement_entries || !auth_data_bytes) return refuse("attestation object lacks fmt, attStmt or authData");

    auto auth_data = read_authenticator_data(rp, *auth_data_bytes, true);
    if (!auth_data) return std::move(auth_data).failure();
    auto key = load_cose_key(rp, auth_data->public_key);
    if (!key) return std::move(key).failure();

    if (*fmt == "none") {
        if (!statement_entries->empty()) return refuse("attestation \"none\" with a statement");
    } else if (*fmt == "packed") {
        // Self attestation only (section 8.2): {alg, sig} signed with the credential's own key.
        if (cbor_member(*statement_entries, "x5c") != nullptr || cbor_member(*statement_entries, "ecdaaKeyId") != nullptr)
            return refuse("attestation format not supported (packed with a certificate)");
        const auto alg = cbor_int(cbor_member(*statement_entries, "alg"));
        const auto sig = cbor_bytes(cbor_member(*statement_entries, "sig"));
        if (!alg || !sig || statement_entries->size() != 2) return refuse("packed attestation statement is malformed");
        if (*alg != static_cast<std::int64_t>(key->algorithm))
            return refuse("packed attestation algorithm differs from the credential's");
        if (!signature_verifies(*key, signed_data(*auth_data_bytes, client_data_json), *sig))
            return refuse("packed attestation signature does not verify");
    } else {
        return refuse("attestation format not supported");
    }

    Credential credential;
    credential.id = std::string(auth_data->credential_id);
    credential.public_key = std::string(auth_data->public_key);
    credential.algorithm = key->algorithm;
    credential.sign_count = auth_data->sign_count;
    credential.user_verified = (auth_data->flags & kUserVerified) != 0;
    credential.backup_eligible = (auth_data->flags & kBackupEligible) != 0;
    credential.backed_up = (auth_data->flags & kBackedUp) != 0;
    credential.aaguid = std::string(auth_data->aaguid);
    credential.attestation = std::string(*fmt);
    return credential;
}

Result<Assertion> assertion(const RelyingParty& rp, std::string_view challenge, const Credential& stored,
                            std::string_view client_data_json, std::string_view authenticator_data, std::string_view signature) {
    if (auto failure = check_client_data(rp, challenge, client_data_json, "webauthn.get")) return std::move(*failure);
    auto auth_data = read_authenticator_data(rp, authenticator_data, false);
    if (!auth_data) return std::move(auth_data).failure();
    auto key = load_cose_key(rp, stored.public_key);
    if (!key) return std::move(key).failure();
    if (key->algorithm != stored.algorithm) return refuse("stored credential's algorithm differs from its key's");
    if (!signature_verifies(*key, signed_data(authenticator_data, client_data_json), signature))
        return refuse("assertion signature does not verify");
    if ((stored.sign_count != 0 || auth_data->sign_count != 0) && auth_data->sign_count <= stored.sign_count)
        return refuse("signature counter did not increase: cloned authenticator?");
    return Assertion{auth_data->sign_count, (auth_data->flags & kUserVerified) != 0, (auth_data->flags & kBackedUp) != 0};
}

// What escapes the checks (an allocation or OpenSSL failing) is the server's failure, not the client's.
Failure internal_failure(std::string_view ceremony) {
    try {
        throw;
    } catch (const std::exception& e) {
        return Failure{ErrorKind::internal, "Internal Server Error",
                       "webauthn: " + std::string(ceremony) + " failed: " + e.what()};
    } catch (...) {
        return Failure{ErrorKind::internal, "Internal Server Error", "webauthn: " + std::string(ceremony) + " failed"};
    }
}

}  // namespace

Result<Credential> verify_registration(const RelyingParty& rp, std::string_view challenge, std::string_view client_data_json,
                                       std::string_view attestation_object) {
    try {
        return registration(rp, challenge, client_data_json, attestation_object);
    } catch (...) {
        return internal_failure("registration");
    }
}

Result<Assertion> verify_assertion(const RelyingParty& rp, std::string_view challenge, const Credential& stored,
                                   std::string_view client_data_json, std::string_view authenticator_data,
                                   std::string_view signature) {
    try {
        return assertion(rp, challenge, stored, client_data_json, authenticator_data, signature);
    } catch (...) {
        return internal_failure("assertion");
    }
}

}  // namespace fauth::webauthn
