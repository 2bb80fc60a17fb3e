#!/usr/bin/python3
"""A test identity provider that no one on the fauth project wrote the JOSE code of: keys, JWK Set
and signatures come from jwcrypto (Debian python3-jwcrypto), certificates from pyca/cryptography.

    /usr/bin/python3 tests/support/idp.py WORKDIR

Makes a CA (WORKDIR/ca.pem) and serves, on 127.0.0.1 ports of its choosing:
  - HTTPS with a certificate from that CA for 127.0.0.1 and localhost: OpenID discovery and the
    JWK Set of several issuers ("realms"), redirects, an oversized and a slow document;
  - HTTPS with a certificate from a CA nobody trusts (the "untrusted" port), and with one from the
    test CA for another name (the "misnamed" port), the same documents;
  - plain HTTP control on loopback: POST /mint signs a token with a named key, POST /rotate adds a
    key, POST /verify checks a token against a JWK Set (fauth's tokens, read by jwcrypto).
Prints one JSON line {"https": port, "untrusted": port, "misnamed": port, "control": port,
"ca": path} once
listening, and exits when its standard input closes (the test that started it is gone).
"""
import datetime
import ipaddress
import json
import os
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID
from jwcrypto import jwk, jws
from jwcrypto.common import json_encode

WORK = sys.argv[1]
os.makedirs(WORK, exist_ok=True)


def make_ca(name):
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
                                         key_encipherment=False, data_encipherment=False, key_agreement=False,
                                         encipher_only=False, decipher_only=False), critical=True)
            .sign(key, hashes.SHA256()))
    return key, cert


def make_server_cert(ca_key, ca_cert, stem, names):
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "fauth test")]))
            .issuer_name(ca_cert.subject).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(names), critical=False)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    cert_path, key_path = os.path.join(WORK, stem + ".crt"), os.path.join(WORK, stem + ".key")
    with open(cert_path, "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM) + ca_cert.public_bytes(serialization.Encoding.PEM))
    with open(key_path, "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
    return cert_path, key_path


ca_key, ca_cert = make_ca("fauth test CA")
ca_path = os.path.join(WORK, "ca.pem")
with open(ca_path, "wb") as f:
    f.write(ca_cert.public_bytes(serialization.Encoding.PEM))
rogue_key, rogue_cert = make_ca("a CA nobody trusts")


# The signing keys, by kid. "entra" is published without "alg", as Microsoft Entra ID does.
def rsa_key(kid, alg):
    key = jwk.JWK.generate(kty="RSA", size=2048, kid=kid)
    return key, alg


KEYS = {
    "rsa1": rsa_key("rsa1", "RS256"),
    "ps1": rsa_key("ps1", "PS256"),
    "entra": rsa_key("entra", None),
    "ec1": (jwk.JWK.generate(kty="EC", crv="P-256", kid="ec1"), "ES256"),
    "ed1": (jwk.JWK.generate(kty="OKP", crv="Ed25519", kid="ed1"), "EdDSA"),
}
LOCK = threading.Lock()
STATS = {"certs": 0}  # JWK Set requests served
OUTAGE = {"down": False}  # while down, discovery and the JWK Sets answer 503


def public_jwk(kid):
    key, alg = KEYS[kid]
    published = json.loads(key.export_public())
    published["use"] = "sig"
    if alg:
        published["alg"] = alg
    return published


def junk_keys():
    """Keys a verifier must skip without losing the others."""
    weak = json.loads(jwk.JWK.generate(kty="RSA", size=1024, kid="weak").export_public())
    weak["alg"] = "RS256"
    exponent_one = dict(public_jwk("rsa1"), kid="e1", e="AQ")
    # A curve no JWS algorithm fauth verifies uses (ES256K, RFC 8812, is not one of them).
    k256 = json.loads(jwk.JWK.generate(kty="EC", crv="secp256k1", kid="k256").export_public())
    return [
        {"kty": "oct", "kid": "secret", "k": "c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0"},
        dict(public_jwk("rsa1"), kid="enc", use="enc"),
        {"kty": "XYZ", "kid": "odd"},
        weak,
        exponent_one,
        k256,
        "not an object",
        # A kty that would forge a security-event line in a log that wrote it raw.
        {"kty": "X\n{\"time\":\"2026-12-01T00:00:00.000Z\",\"event\":\"login_success\",\"subject\":\"user-123\"}",
         "kid": "forged"},
    ]


JUNK = junk_keys()


def jwk_set():
    with LOCK:
        return {"keys": [public_jwk(kid) for kid in KEYS] + JUNK}


def mint(request):
    """Signs request["claims"] with request["kid"]'s key (or as told: alg, extra header members,
    an HMAC keyed with a public key's PEM)."""
    header = {"alg": request["alg"], "kid": request["kid"]}
    header.update(request.get("header", {}))
    payload = json_encode(request["claims"])
    with LOCK:
        if request.get("hmac_with_public_of"):
            pem = KEYS[request["hmac_with_public_of"]][0].export_to_pem()
            key = jwk.JWK(kty="oct", k=jwk.base64url_encode(pem))
        elif request.get("foreign"):
            key = jwk.JWK.generate(kty="RSA", size=2048) if request["alg"][0] in "RP" else \
                jwk.JWK.generate(kty="EC", crv="P-256")
        else:
            key = KEYS[request["kid"]][0]
    token = jws.JWS(payload.encode())
    token.allowed_algs = [request["alg"]]
    token.add_signature(key, alg=None, protected=json_encode(header))
    return token.serialize(compact=True)


def verify(request):
    keys = jwk.JWKSet.from_json(json.dumps(request["jwks"]))
    token = jws.JWS()
    token.deserialize(request["token"])
    kid = token.jose_header.get("kid")
    key = keys.get_key(kid)
    token.allowed_algs = [token.jose_header["alg"]]
    token.verify(key)
    return json.loads(token.payload)


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def answer(self, status, body, headers=()):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def origin(self):
        return "https://127.0.0.1:%d" % self.server.server_address[1]

    def do_GET(self):
        path = self.path
        realm_prefix = "/realms/"
        if path.startswith(realm_prefix) and OUTAGE["down"]:
            return self.answer(503, {"error": "temporarily_unavailable"}, [("Retry-After", "60")])
        if path.startswith(realm_prefix) and path.endswith("/.well-known/openid-configuration"):
            realm = path[len(realm_prefix):-len("/.well-known/openid-configuration")]
            issuer = self.origin() + realm_prefix + realm
            named = {"wrong-issuer": self.origin() + "/realms/somebody-else"}.get(realm, issuer)
            jwks_uri = {"cross-origin-jwks": "https://localhost:%d/realms/test/certs" % self.server.server_address[1],
                        "plain-jwks": "http://203.0.113.7/certs",
                        "loopback-http-jwks": "http://127.0.0.1:%d/realms/test/certs" % self.server.server_address[1]
                        }.get(realm, issuer + "/certs")
            return self.answer(200, {"issuer": named, "jwks_uri": jwks_uri,
                                     "id_token_signing_alg_values_supported": ["RS256", "PS256", "ES256", "EdDSA"]})
        if path == "/stats":
            with LOCK:
                return self.answer(200, dict(STATS))
        if path.startswith(realm_prefix) and path.endswith("/certs"):
            with LOCK:
                STATS["certs"] += 1
            return self.answer(200, jwk_set(), [("Cache-Control", "public, max-age=120")])
        if path == "/no-cache/certs":
            return self.answer(200, jwk_set(), [("Cache-Control", "no-store")])
        if path == "/redirect/same-origin":
            return self.answer(302, {}, [("Location", "/realms/test/certs")])
        if path == "/redirect/other-origin":
            return self.answer(302, {}, [("Location", "https://localhost:%d/realms/test/certs" % self.server.server_address[1])])
        if path == "/redirect/loop":
            return self.answer(302, {}, [("Location", "/redirect/loop")])
        if path == "/big":
            return self.answer(200, b"[" + b"0," * (1024 * 1024) + b"0]")
        if path == "/slow":
            time.sleep(8)
            return self.answer(200, jwk_set())
        return self.answer(404, {"error": "not found"})

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))) or b"{}")
        try:
            if self.path == "/mint":
                return self.answer(200, {"token": mint(body)})
            if self.path == "/rotate":
                with LOCK:
                    KEYS[body["kid"]] = (jwk.JWK.generate(kty="EC", crv="P-256", kid=body["kid"]), "ES256")
                return self.answer(200, {"kid": body["kid"]})
            if self.path == "/outage":
                with LOCK:
                    OUTAGE["down"] = bool(body["down"])
                return self.answer(200, OUTAGE)
            if self.path == "/verify":
                return self.answer(200, {"claims": verify(body)})
        except Exception as e:  # the test reads the reason
            return self.answer(400, {"error": "%s: %s" % (type(e).__name__, e)})
        return self.answer(404, {"error": "not found"})


def serve_tls(ca_key_, ca_cert_, stem, names):
    cert_path, key_path = make_server_cert(ca_key_, ca_cert_, stem, names)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


LOCAL = [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
trusted = serve_tls(ca_key, ca_cert, "server", LOCAL)
untrusted = serve_tls(rogue_key, rogue_cert, "rogue", LOCAL)
misnamed = serve_tls(ca_key, ca_cert, "misnamed", [x509.DNSName("other.example")])
control = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
control.daemon_threads = True
threading.Thread(target=control.serve_forever, daemon=True).start()

print(json.dumps({"https": trusted.server_address[1], "untrusted": untrusted.server_address[1],
                  "misnamed": misnamed.server_address[1],
                  "control": control.server_address[1], "ca": ca_path}), flush=True)
sys.stdin.read()  # until the test closes the pipe (or dies)
