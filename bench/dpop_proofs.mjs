// DPoP proofs for scripts/bench, made before a run because a proof is good for one request and
// wrk's Lua cannot sign: one ES256 key, then as many proofs of GET URL for TOKEN as asked, each
// with its own jti and iat now (the bench server accepts an hour-old iat), one per line.
//   node bench/dpop_proofs.mjs key KEY_FILE              -> writes the key, prints its public JWK
//   node bench/dpop_proofs.mjs proofs KEY_FILE TOKEN URL COUNT OUT_FILE
import { createPrivateKey } from 'node:crypto';
import { closeSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';

import { makeKey, proof } from '../tests/support/dpop.mjs';

const [command, keyFile, ...rest] = process.argv.slice(2);
if (command === 'key') {
  const key = makeKey('ES256');
  writeFileSync(keyFile, JSON.stringify(key.privateKey.export({ format: 'jwk' })), { mode: 0o600 });
  console.log(JSON.stringify(key.jwk));
} else if (command === 'proofs') {
  const [token, url, count, out] = rest;
  const privateJwk = JSON.parse(readFileSync(keyFile, 'utf8'));
  const { kty, crv, x, y } = privateJwk;
  const key = { alg: 'ES256', privateKey: createPrivateKey({ key: privateJwk, format: 'jwk' }), jwk: { kty, crv, x, y } };
  const fd = openSync(out, 'w');
  let chunk = [];
  for (let i = 0; i < Number(count); ++i) {
    chunk.push(proof({ method: 'GET', url, token, key }));
    if (chunk.length === 4096) {
      writeSync(fd, `${chunk.join('\n')}\n`);
      chunk = [];
    }
  }
  if (chunk.length) writeSync(fd, `${chunk.join('\n')}\n`);
  closeSync(fd);
} else {
  console.error('usage: dpop_proofs.mjs key KEY_FILE | proofs KEY_FILE TOKEN URL COUNT OUT_FILE');
  process.exit(2);
}
