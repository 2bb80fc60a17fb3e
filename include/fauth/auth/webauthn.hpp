/// @file
/// fauth/auth/webauthn.hpp — the checks of WebAuthn Level 2 relying-party ceremonies (passkeys):
/// registration (section 7.1) and authentication (section 7.2) over the bytes a browser sends.
/// Pure functions: no HTTP, no store, no challenge bookkeeping; the caller issues the challenge,
/// keeps it for the one ceremony, stores the Credential a registration yields and finds it again
/// by its id for an assertion. Attestation: "none", and "packed" self attestation only.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fauth/core/outcome.hpp"

namespace fauth::webauthn {

/// The COSE algorithms (RFC 9053) a credential may sign with.
enum class CoseAlgorithm : int {
    es256 = -7,   ///< ECDSA on P-256 with SHA-256; WebAuthn's signatures are DER
    eddsa = -8,   ///< Ed25519
    rs256 = -257  ///< RSASSA-PKCS1-v1_5 with SHA-256, RSA keys of at least 2048 bits
};

/// The relying party a ceremony is for.
struct RelyingParty {
    /// The RP ID, a domain (e.g. "example.com"): its SHA-256 must head the authenticator data.
    std::string id;
    /// The origins the browser may report (e.g. "https://example.com"), compared exactly.
    std::vector<std::string> origins;
    /// True: the authenticator must have verified the user (UV flag), not only seen one present.
    bool require_user_verification = true;
    /// The algorithms accepted for new credentials and for assertions with stored ones.
    std::vector<CoseAlgorithm> algorithms{CoseAlgorithm::es256, CoseAlgorithm::eddsa, CoseAlgorithm::rs256};
};

/// What a registration yields and the store keeps.
struct Credential {
    /// The raw credential id bytes (at most 1023).
    std::string id;
    /// The COSE_Key CBOR bytes as the authenticator sent them.
    std::string public_key;
    /// The algorithm of the key.
    CoseAlgorithm algorithm = CoseAlgorithm::es256;
    /// The signature counter of the last ceremony (0 for authenticators that keep none).
    std::uint32_t sign_count = 0;
    /// True when the authenticator verified the user at registration (UV flag).
    bool user_verified = false;
    /// True when the credential may be backed up (BE flag: a synced passkey).
    bool backup_eligible = false;
    /// True when the credential was backed up at registration (BS flag).
    bool backed_up = false;
    /// The authenticator's AAGUID, 16 bytes (all zero for most with "none" attestation).
    std::string aaguid;
    /// The attestation format that was verified: "none" or "packed".
    std::string attestation;
};

/// The largest clientDataJSON accepted, in bytes.
inline constexpr std::size_t kMaxClientDataJson = 4096;
/// The largest attestation object or authenticator data accepted, in bytes.
inline constexpr std::size_t kMaxAttestationObject = 16384;
/// The longest credential id accepted, in bytes (WebAuthn Level 2's limit).
inline constexpr std::size_t kMaxCredentialId = 1023;

/// Checks a registration response (navigator.credentials.create()) against `rp` and the
/// `challenge` (raw bytes, at least 16: shorter ones are refused) issued for it: clientDataJSON of type "webauthn.create" with that
/// challenge, one of rp.origins and not cross-origin; the attestation object's authenticator data
/// for rp.id, user present (and verified when required), with a COSE key of an allowed algorithm
/// that OpenSSL loads; attestation "none" or "packed" self attestation. The Credential to store, or
/// a Failure of kind invalid_credentials ("Invalid passkey") whose log says which check failed.
/// Never throws for what the client sent.
Result<Credential> verify_registration(const RelyingParty& rp, std::string_view challenge, std::string_view client_data_json,
                                       std::string_view attestation_object);

/// What a successful assertion tells the caller to store.
struct Assertion {
    /// The new signature counter, to store in Credential::sign_count.
    std::uint32_t sign_count = 0;
    /// True when the authenticator verified the user (UV flag).
    bool user_verified = false;
    /// True when the credential is backed up now (BS flag).
    bool backed_up = false;
};

/// Checks an authentication response (navigator.credentials.get()) made with the `stored`
/// credential: clientDataJSON of type "webauthn.get" with `challenge` (raw bytes), one of
/// rp.origins and not cross-origin; authenticator data for rp.id, user present (and verified when
/// required), without attested credential data; `signature` by stored.public_key over the
/// authenticator data and the SHA-256 of clientDataJSON; and a signature counter greater than the
/// stored one whenever either is non-zero (else a cloned authenticator may be in use). The new
/// counter and flags, or a Failure of kind invalid_credentials ("Invalid passkey"). Never throws
/// for what the client sent.
Result<Assertion> verify_assertion(const RelyingParty& rp, std::string_view challenge, const Credential& stored,
                                   std::string_view client_data_json, std::string_view authenticator_data,
                                   std::string_view signature);

}  // namespace fauth::webauthn
