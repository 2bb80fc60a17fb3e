// Test helper: DPoP proofs (RFC 9449) made with node:crypto alone, so that what fauth checks was
// signed by code no one here wrote a verifier for.
//   const key = makeKey();                       // ES256 (P-256); makeKey('RS256') for RSA
//   const dpop = proof({ method: 'GET', url, token, key });   // the DPoP header's value
//   thumbprint(key.jwk)                          // RFC 7638, what a bound token's cnf.jkt holds
import { createHash, generateKeyPairSync, randomUUID, sign } from 'node:crypto';

const b64url = (bytes) => Buffer.from(bytes).toString('base64url');

/** A fresh key pair: { alg, privateKey (KeyObject), jwk (the public JWK, required members only) }. */
export function makeKey(alg = 'ES256') {
  if (alg === 'ES256') {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const { kty, crv, x, y } = publicKey.export({ format: 'jwk' });
    return { alg, privateKey, jwk: { kty, crv, x, y } };
  }
  if (alg === 'RS256') {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const { kty, n, e } = publicKey.export({ format: 'jwk' });
    return { alg, privateKey, jwk: { kty, n, e } };
  }
  throw new Error(`dpop.makeKey: no ${alg} (ES256 or RS256)`);
}

/** The RFC 7638 JWK SHA-256 thumbprint, base64url: the required members in lexicographic order. */
export function thumbprint(jwk) {
  const members = jwk.kty === 'EC' ? ['crv', 'kty', 'x', 'y'] : jwk.kty === 'RSA' ? ['e', 'kty', 'n'] : null;
  if (!members) throw new Error(`dpop.thumbprint: no ${jwk.kty}`);
  const canonical = `{${members.map((m) => `${JSON.stringify(m)}:${JSON.stringify(jwk[m])}`).join(',')}}`;
  return b64url(createHash('sha256').update(canonical).digest());
}

/** ath: base64url(SHA-256(the access token's ASCII)). */
export const accessTokenHash = (token) => b64url(createHash('sha256').update(token, 'ascii').digest());

/** Signs `header`.`payload` with the key (ES256 in the JOSE r||s form, RS256 PKCS#1 v1.5). */
export function signJws(header, payload, key) {
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
  const signature = key.alg === 'ES256'
    ? sign('sha256', Buffer.from(input), { key: key.privateKey, dsaEncoding: 'ieee-p1363' })
    : sign('sha256', Buffer.from(input), key.privateKey);
  return `${input}.${b64url(signature)}`;
}

/**
 * A DPoP proof JWT for one request: typ dpop+jwt, the key's public JWK in the header; htm, htu (the
 * URL without query and fragment, RFC 9449 4.2), iat (now), a fresh jti, ath when a token is given,
 * nonce when given. `claims` and `header` override or add members (to make bad proofs).
 */
export function proof({ method, url, token, nonce, key, claims = {}, header = {} }) {
  const htu = new URL(url);
  htu.search = '';
  htu.hash = '';
  const payload = { htm: method, htu: htu.href, iat: Math.floor(Date.now() / 1000), jti: randomUUID() };
  if (token !== undefined) payload.ath = accessTokenHash(token);
  if (nonce !== undefined) payload.nonce = nonce;
  return signJws({ typ: 'dpop+jwt', alg: key.alg, jwk: key.jwk, ...header }, { ...payload, ...claims }, key);
}
