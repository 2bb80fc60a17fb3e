// The OpenSSL key types (RSA, RSA-PSS, ECDSA, EdDSA): reading PEM, generating, signing and verifying.
#include "fauth/core/keys.hpp"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <array>
#include <cstdint>
#include <fstream>
#include <numeric>
#include <sstream>
#include <stdexcept>

#include "algorithm.hpp"
#include "fauth/core/errors.hpp"
#include "key_impl.hpp"

namespace fauth {
namespace detail {
namespace {

struct MdCtxFree {
    void operator()(EVP_MD_CTX* c) const noexcept { EVP_MD_CTX_free(c); }
};
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;

class PkeyImpl final : public KeyImpl {
public:
    PkeyImpl(const JwsAlgorithm& alg, PkeyPtr key, bool is_private, std::string kid, bool declared)
        : KeyImpl(alg, std::move(kid), declared), key_(std::move(key)), private_(is_private) {
        // Setting up a verification (fetching the algorithm, checking the key, the padding) is
        // about 3 us of an RS256 verify's 19: done once here, each verify copies the result.
        if (!verifier_ || !start_verifying(verifier_.get()))
            throw ConfigError("OpenSSL cannot verify " + std::string(name()) + " signatures with key " +
                              nlohmann::json(this->kid()).dump());
    }
    bool can_sign() const noexcept override { return private_; }

    nlohmann::json public_jwk() const override { return public_jwk_of(key_.get(), alg(), kid()); }

    std::string private_pem() const {
        if (!private_) throw std::logic_error("fauth: key '" + kid() + "' is public");
        BIO* bio = BIO_new(BIO_s_mem());
        const bool ok = bio != nullptr && PEM_write_bio_PrivateKey(bio, key_.get(), nullptr, nullptr, 0, nullptr, nullptr) == 1;
        char* data = nullptr;
        const long size = ok ? BIO_get_mem_data(bio, &data) : 0;
        std::string pem = ok ? std::string(data, static_cast<std::size_t>(size)) : std::string();
        BIO_free(bio);
        if (!ok) throw std::runtime_error("OpenSSL: cannot write the key as PEM");
        return pem;
    }

    std::string sign(std::string_view input) const override {
        if (!private_) throw std::logic_error("fauth: key '" + kid() + "' is public and cannot sign");
        MdCtxPtr ctx(EVP_MD_CTX_new());
        EVP_PKEY_CTX* pctx = nullptr;
        if (!ctx || EVP_DigestSignInit_ex(ctx.get(), &pctx, alg().digest, nullptr, nullptr, key_.get(), nullptr) != 1 ||
            !set_padding(pctx))
            throw std::runtime_error("OpenSSL: cannot start signing");
        std::size_t size = 0;
        const auto* in = reinterpret_cast<const unsigned char*>(input.data());
        if (EVP_DigestSign(ctx.get(), nullptr, &size, in, input.size()) != 1) throw std::runtime_error("OpenSSL: signing failed");
        std::string signature(size, '\0');
        if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &size, in, input.size()) != 1)
            throw std::runtime_error("OpenSSL: signing failed");
        signature.resize(size);
        return alg().family == KeyFamily::ecdsa ? der_to_jose(signature) : signature;
    }

    bool verify(std::string_view input, std::string_view signature) const override {
        std::string der;
        if (alg().family == KeyFamily::ecdsa) {
            // JOSE signatures are exactly r||s; a DER signature (what OpenSSL writes) is refused.
            if (signature.size() != 2 * alg().component_bytes) return false;
            der = jose_to_der(signature);
            if (der.empty()) return false;
            signature = der;
        }
        // Copying only reads verifier_, so threads may copy it at once (a const use: openssl-threads(7)).
        MdCtxPtr ctx(EVP_MD_CTX_new());
        if (!ctx) return false;
        if (EVP_MD_CTX_copy_ex(ctx.get(), verifier_.get()) == 1) {
            EVP_MD_CTX_set_flags(ctx.get(), EVP_MD_CTX_FLAG_FINALISE);  // used once: no second copy at the end
        } else {
            ctx.reset(EVP_MD_CTX_new());  // OpenSSL 3.0.0 cannot copy an Ed25519 context: set up anew
            if (!ctx || !start_verifying(ctx.get())) return false;
        }
        return EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
                                reinterpret_cast<const unsigned char*>(input.data()), input.size()) == 1;
    }

private:
    // Readies `ctx` to verify with key_ (digest and, for PS*, padding).
    bool start_verifying(EVP_MD_CTX* ctx) const {
        EVP_PKEY_CTX* pctx = nullptr;
        return EVP_DigestVerifyInit_ex(ctx, &pctx, alg().digest, nullptr, nullptr, key_.get(), nullptr) == 1 && set_padding(pctx);
    }

    bool set_padding(EVP_PKEY_CTX* pctx) const {
        if (alg().family != KeyFamily::rsa_pss) return true;
        // RFC 7518 section 3.5: MGF1 with the same hash, salt as long as the hash.
        return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
               EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) == 1;
    }

    std::string der_to_jose(const std::string& der) const {
        const auto* p = reinterpret_cast<const unsigned char*>(der.data());
        ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size()));
        if (sig == nullptr) throw std::runtime_error("OpenSSL: unreadable ECDSA signature");
        const int n = static_cast<int>(alg().component_bytes);
        std::string out(2 * alg().component_bytes, '\0');
        auto* o = reinterpret_cast<unsigned char*>(out.data());
        const bool ok = BN_bn2binpad(ECDSA_SIG_get0_r(sig), o, n) == n && BN_bn2binpad(ECDSA_SIG_get0_s(sig), o + n, n) == n;
        ECDSA_SIG_free(sig);
        if (!ok) throw std::runtime_error("OpenSSL: ECDSA signature too large");
        return out;
    }

    std::string jose_to_der(std::string_view jose) const {
        const int n = static_cast<int>(alg().component_bytes);
        const auto* in = reinterpret_cast<const unsigned char*>(jose.data());
        BIGNUM* r = BN_bin2bn(in, n, nullptr);
        BIGNUM* s = BN_bin2bn(in + n, n, nullptr);
        ECDSA_SIG* sig = ECDSA_SIG_new();
        if (r == nullptr || s == nullptr || sig == nullptr || ECDSA_SIG_set0(sig, r, s) != 1) {
            BN_free(r);
            BN_free(s);
            ECDSA_SIG_free(sig);
            return {};
        }
        unsigned char* der = nullptr;
        const int size = i2d_ECDSA_SIG(sig, &der);
        ECDSA_SIG_free(sig);
        if (size <= 0) return {};
        std::string out(reinterpret_cast<const char*>(der), static_cast<std::size_t>(size));
        OPENSSL_free(der);
        return out;
    }

    PkeyPtr key_;
    bool private_;
    MdCtxPtr verifier_{EVP_MD_CTX_new()};  // set up for verifying with key_, and only ever copied
};

// ROCA (CVE-2017-15361): the primes of the fingerprint (Nemec et al., "The Return of
// Coppersmith's Attack", CCS 2017), and for each the discrete logarithm base 65537 of every residue.
constexpr std::array<std::uint8_t, 38> kRocaPrimes = {3,   5,   7,   11,  13,  17,  19,  23,  29,  31,  37,  41,  43,
                                                      47,  53,  59,  61,  67,  71,  73,  79,  83,  89,  97,  101, 103,
                                                      107, 109, 113, 127, 131, 137, 139, 149, 151, 157, 163, 167};
constexpr std::uint8_t kNoLog = 0xff;  // the residue is not a power of 65537 modulo the prime

struct RocaPrime {
    std::uint8_t order = 0;               // of 65537 modulo the prime
    std::array<std::uint8_t, 168> log{};  // log[r] = k with 65537^k = r (mod prime), or kNoLog
};

constexpr std::array<RocaPrime, kRocaPrimes.size()> roca_table() {
    std::array<RocaPrime, kRocaPrimes.size()> table{};
    for (std::size_t i = 0; i < kRocaPrimes.size(); ++i) {
        const unsigned p = kRocaPrimes[i];
        auto& entry = table[i];
        for (auto& l : entry.log) l = kNoLog;
        unsigned power = 1, k = 0;
        do {
            entry.log[power] = static_cast<std::uint8_t>(k++);
            power = power * (65537 % p) % p;
        } while (power != 1);
        entry.order = static_cast<std::uint8_t>(k);
    }
    return table;
}

constexpr auto kRoca = roca_table();

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw ConfigError("cannot read key file '" + path + "'");
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

}  // namespace

bool has_roca_fingerprint(const BIGNUM* n) {
    // n is in the subgroup generated by 65537 modulo the product M of the primes exactly when, with
    // k_p its logarithm modulo each prime p, one k fits them all: k_p = k_q modulo gcd(order_p,
    // order_q) for every pair (the generalised Chinese remainder theorem). The residue test alone
    // (each k_p exists) would refuse about one random key in 2^28; this one, one in 2^154.
    std::array<std::uint8_t, kRocaPrimes.size()> k{};
    for (std::size_t i = 0; i < kRocaPrimes.size(); ++i) {
        const BN_ULONG r = BN_mod_word(n, kRocaPrimes[i]);
        if (r >= kRocaPrimes[i] || kRoca[i].log[r] == kNoLog) return false;
        k[i] = kRoca[i].log[r];
    }
    for (std::size_t i = 0; i < k.size(); ++i)
        for (std::size_t j = i + 1; j < k.size(); ++j) {
            const unsigned g = std::gcd(kRoca[i].order, kRoca[j].order);
            if (k[i] % g != k[j] % g) return false;
        }
    return true;
}

// The JWS algorithm `name`, or ConfigError.
const JwsAlgorithm& algorithm_named(std::string_view name) {
    const auto* alg = find_algorithm(name);
    if (alg == nullptr)
        throw ConfigError("algorithm '" + std::string(name) + "' is not supported; use one of " +
                          std::string(supported_algorithm_names()));
    return *alg;
}

// Throws ConfigError unless `key` has the type (and curve, and size) that `alg` requires.
void check_fits(const EVP_PKEY* key, const JwsAlgorithm& alg) {
    const std::string what = std::string(alg.name);
    switch (alg.family) {
        case KeyFamily::rsa:
        case KeyFamily::rsa_pss:
            if (!EVP_PKEY_is_a(key, "RSA")) throw ConfigError(what + " needs an RSA key");
            if (EVP_PKEY_get_bits(key) < 2048) throw ConfigError(what + " needs an RSA key of at least 2048 bits");
            {
                BIGNUM* raw = nullptr;
                if (EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_N, &raw) != 1)
                    throw ConfigError(what + ": cannot read the RSA key's modulus");
                const bool weak = has_roca_fingerprint(raw);
                BN_free(raw);
                if (weak)
                    throw ConfigError(what +
                                      " refuses this RSA key: it has the ROCA fingerprint (CVE-2017-15361, keys made by "
                                      "Infineon's RSA library, whose private key can be computed from the public one)");
            }
            return;
        case KeyFamily::ecdsa: {
            if (!EVP_PKEY_is_a(key, "EC")) throw ConfigError(what + " needs an EC key");
            char group[64] = {};
            std::size_t size = 0;
            if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &size) != 1 ||
                std::string_view(group) != alg.openssl_group)
                throw ConfigError(what + " needs a key on curve " + std::string(alg.curve));
            return;
        }
        case KeyFamily::eddsa:
            if (!EVP_PKEY_is_a(key, "ED25519")) throw ConfigError(what + " needs an Ed25519 key");
            return;
        case KeyFamily::hmac: throw ConfigError(what + " is an HMAC algorithm: use Key::hmac with a secret");
    }
}

std::shared_ptr<const KeyImpl> make_pkey(const JwsAlgorithm& alg, PkeyPtr key, bool is_private, std::string kid, bool declared) {
    return std::make_shared<const PkeyImpl>(alg, std::move(key), is_private, std::move(kid), declared);
}

std::string private_pem(const KeyImpl& key) {
    const auto* pkey = dynamic_cast<const PkeyImpl*>(&key);
    if (pkey == nullptr) throw std::logic_error("fauth: an HMAC key has no PEM form");
    return pkey->private_pem();
}

}  // namespace detail

using detail::KeyFamily;

Key Key::from_pem(std::string_view algorithm, std::string_view pem, std::string kid) {
    const auto& alg = detail::algorithm_named(algorithm);
    if (alg.family == KeyFamily::hmac)
        throw ConfigError(std::string(alg.name) + " is an HMAC algorithm: a PEM key cannot be used as its secret");
    BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
    if (bio == nullptr) throw std::runtime_error("OpenSSL: cannot allocate a BIO");
    detail::PkeyPtr key(PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr));
    bool is_private = static_cast<bool>(key);
    if (!key) {
        BIO_reset(bio);
        key.reset(PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr));
    }
    BIO_free(bio);
    if (!key) throw ConfigError("no private or public key in the PEM text given for " + std::string(alg.name));
    detail::check_fits(key.get(), alg);
    return Key(detail::make_pkey(alg, std::move(key), is_private, std::move(kid)));
}

Key Key::generate(std::string_view algorithm, std::string kid) {
    const auto& alg = detail::algorithm_named(algorithm);
    EVP_PKEY* raw = nullptr;
    switch (alg.family) {
        case KeyFamily::rsa:
        case KeyFamily::rsa_pss: raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(2048)); break;
        case KeyFamily::ecdsa: raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", alg.openssl_group); break;
        case KeyFamily::eddsa: raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"); break;
        case KeyFamily::hmac: throw ConfigError("generate an HMAC secret with `openssl rand -hex 32` and use Key::hmac");
    }
    detail::PkeyPtr key(raw);
    if (!key) throw std::runtime_error("OpenSSL: key generation failed");
    return Key(detail::make_pkey(alg, std::move(key), true, std::move(kid)));
}

std::string Key::private_pem() const { return detail::private_pem(*impl_); }

Key Key::from_pem_file(std::string_view algorithm, const std::string& path, std::string kid) {
    return from_pem(algorithm, detail::read_file(path), std::move(kid));
}

}  // namespace fauth
