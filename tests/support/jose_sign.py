"""Keys and signed JWSs made with jwcrypto (Debian python3-jwcrypto), code no one here wrote, for
tests that need tokens from an independent implementation without a running identity provider.

    python3 jose_sign.py REQUEST.json

REQUEST: {"keys": [{"kid": ..., "kty": "RSA"|"EC"|"OKP", "crv": ..., "alg": ... (published in the
JWK unless "publish_alg" is false), "key_ops": [...] (published when given)}],
          "tokens": [{"kid": ..., "alg": ... (default: the key's), "header": {...} (more members;
          "kid": null leaves the kid out; "$jwk" stands for the signing key's public JWK and
          "$private_jwk" for the whole key, as DPoP proofs carry theirs), "payload": "..."}]}
Prints {"jwks": {"keys": [public JWKs]}, "tokens": ["compact JWS", ...]}.

jwcrypto 1.1 signs EdDSA but does not know RFC 9864's name Ed25519: for alg Ed25519 the signature
is made with the same key through `cryptography`, which jwcrypto itself uses.
"""
import base64
import json
import sys

from jwcrypto import jwk, jws
from jwcrypto.common import json_encode


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def make_key(spec):
    if spec["kty"] == "RSA":
        return jwk.JWK.generate(kty="RSA", size=spec.get("size", 2048), kid=spec["kid"])
    return jwk.JWK.generate(kty=spec["kty"], crv=spec["crv"], kid=spec["kid"])


def sign(key, kid, alg, header, payload):
    protected = {"alg": alg, "kid": kid}
    protected.update(header)
    protected = {k: v for k, v in protected.items() if v is not None}
    for name, value in protected.items():
        if value == "$jwk":
            protected[name] = json.loads(key.export_public())
        elif value == "$private_jwk":
            protected[name] = json.loads(key.export_private())
    if alg == "Ed25519":
        signing_input = (b64(json.dumps(protected).encode()) + "." + b64(payload.encode())).encode()
        return signing_input.decode() + "." + b64(key.get_op_key("sign").sign(signing_input))
    token = jws.JWS(payload.encode())
    token.add_signature(key, alg=alg, protected=json_encode(protected))
    return token.serialize(compact=True)


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        request = json.load(f)
    keys, published, algs = {}, [], {}
    for spec in request.get("keys", []):
        key = make_key(spec)
        keys[spec["kid"]] = key
        algs[spec["kid"]] = spec.get("alg")
        public = json.loads(key.export_public())
        if spec.get("alg") and spec.get("publish_alg", True):
            public["alg"] = spec["alg"]
        if "key_ops" in spec:
            public["key_ops"] = spec["key_ops"]
        published.append(public)
    tokens = [sign(keys[t["kid"]], t["kid"], t.get("alg") or algs[t["kid"]], t.get("header", {}), t.get("payload", "{}"))
              for t in request.get("tokens", [])]
    print(json.dumps({"jwks": {"keys": published}, "tokens": tokens}))


main()
