// examples/two_services as the signing-keys guide (docs/guides/signing-keys.md) runs it: an issuer that signs ES256 tokens and publishes
// its JWKS, and a resource service that knows only that URL. Covers roles and scopes carried in
// the token, refused forgeries, an issuer outage, and a restarted issuer with a new key.
// Run: node --test tests/examples/two_services.test.mjs (FAUTH_ISSUER_BIN, FAUTH_RESOURCE_BIN name the binaries).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, generateKeyPairSync, sign } from 'node:crypto';
import { createServer } from 'node:net';
import { createServer as createHttpServer } from 'node:http';
import { spawnSync } from 'node:child_process';
import { startQuickstart as start, stopQuickstart as stop } from '../support/quickstart.mjs';

const issuerBinary = process.env.FAUTH_ISSUER_BIN ?? 'build/bin/fauth-issuer';
const resourceBinary = process.env.FAUTH_RESOURCE_BIN ?? 'build/bin/fauth-resource';
const running = [];
after(async () => { for (const s of running) await stop(s.child); });

async function login(base, username, password) {
  const r = await fetch(`${base}/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Connection: 'close' },
    body: new URLSearchParams({ username, password }),
  });
  assert.equal(r.status, 200);
  return (await r.json()).access_token;
}

async function get(base, path, token) {
  const headers = { Connection: 'close' };
  if (token) headers.Authorization = `Bearer ${token}`;
  const r = await fetch(`${base}${path}`, { headers });
  return { status: r.status, body: await r.json() };
}

const freePort = () => new Promise((resolve) => {
  const s = createServer().listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(String(port))); });
});

const b64 = (s) => Buffer.from(s).toString('base64url');

test('a resource service verifies the issuer\'s tokens with nothing but its JWKS URL', async () => {
  const port = await freePort();
  const issuer = await start(issuerBinary, { PORT: port, FAUTH_KEY_ID: 'issuer-1' });
  running.push(issuer);
  const jwks = await get(issuer.base, '/.well-known/jwks.json');
  assert.equal(jwks.status, 200);
  assert.deepEqual(jwks.body.keys.map((k) => [k.kid, k.alg, k.kty, 'd' in k]), [['issuer-1', 'ES256', 'EC', false]]);
  const discovery = await get(issuer.base, '/.well-known/openid-configuration');
  assert.equal(discovery.body.jwks_uri, `${issuer.base}/.well-known/jwks.json`);

  const resource = await start(resourceBinary, {
    FAUTH_ISSUER: issuer.base,  // the JWK Set is found through its discovery document
    FAUTH_AUDIENCE: 'notes-api',
    FAUTH_PROVIDER: 'fauth',  // the issuer example's claim shape (a `scopes` array, no at+jwt)
    FAUTH_JWKS_REFRESH_SECONDS: '0',
  });
  running.push(resource);

  const alice = await login(issuer.base, 'alice', 's3cret');
  const bob = await login(issuer.base, 'bob', 'hunter2');
  assert.equal(JSON.parse(Buffer.from(alice.split('.')[0], 'base64url')).kid, 'issuer-1');

  const me = await get(resource.base, '/me', alice);
  assert.equal(me.status, 200);
  assert.deepEqual(me.body, { message: 'Hello user-123', roles: ['admin'] });
  assert.equal((await get(resource.base, '/admin', alice)).status, 200);
  assert.equal((await get(resource.base, '/reports', alice)).status, 200);
  assert.equal((await get(resource.base, '/me', bob)).status, 200);
  assert.equal((await get(resource.base, '/admin', bob)).status, 403);
  assert.equal((await get(resource.base, '/reports', bob)).status, 403);
  assert.equal((await get(resource.base, '/me')).status, 401);
  // The fauth shape takes the issuer's tokens without typ: at+jwt (a fauth issuer signs no ID
  // tokens); any other token it signs says so in token_type and is refused.
  const pair = await (await fetch(`${issuer.base}/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Connection: 'close' },
    body: new URLSearchParams({ username: 'alice', password: 's3cret' }),
  })).json();
  assert.equal(JSON.parse(Buffer.from(pair.refresh_token.split('.')[1], 'base64url')).token_type, 'refresh');
  assert.equal((await get(resource.base, '/me', pair.refresh_token)).status, 401, 'a refresh token is not an access token');

  // Forgeries: the classic algorithm confusion (HS256 keyed with the public key), alg none, a
  // token whose payload was changed.
  const header = b64(JSON.stringify({ alg: 'HS256', typ: 'JWT', kid: 'issuer-1' }));
  const payload = alice.split('.')[1];
  const confused = `${header}.${payload}.${createHmac('sha256', JSON.stringify(jwks.body.keys[0])).update(`${header}.${payload}`).digest('base64url')}`;
  assert.equal((await get(resource.base, '/me', confused)).status, 401);
  const none = `${b64(JSON.stringify({ alg: 'none', kid: 'issuer-1' }))}.${payload}.`;
  assert.equal((await get(resource.base, '/me', none)).status, 401);
  const claims = JSON.parse(Buffer.from(payload, 'base64url'));
  assert.equal(claims.iss, issuer.base);
  assert.equal(claims.aud, 'notes-api');
  const tampered = `${alice.split('.')[0]}.${b64(JSON.stringify({ ...claims, sub: 'user-456' }))}.${alice.split('.')[2]}`;
  assert.equal((await get(resource.base, '/me', tampered)).status, 401);

  // The issuer goes down: the resource service keeps verifying with the keys it has.
  await stop(issuer.child);
  running.splice(running.indexOf(issuer), 1);
  assert.equal((await get(resource.base, '/me', alice)).status, 200);

  // It comes back on the same address with a new key: the first token naming the new kid makes
  // the resource service fetch the JWKS again; tokens of the old key now fail (the key is gone).
  const restarted = await start(issuerBinary, { PORT: port, FAUTH_KEY_ID: 'issuer-2' });
  running.push(restarted);
  const fresh = await login(restarted.base, 'alice', 's3cret');
  assert.equal((await get(resource.base, '/me', fresh)).status, 200);
  assert.equal((await get(resource.base, '/me', alice)).status, 401);
});

test('a resource service refuses to start without an issuer or an audience, and refuses other audiences', async () => {
  for (const [env, missing] of [[{ FAUTH_AUDIENCE: 'notes-api' }, 'FAUTH_ISSUER'], [{ FAUTH_ISSUER: 'http://127.0.0.1:1' }, 'FAUTH_AUDIENCE']]) {
    const { FAUTH_ISSUER, FAUTH_AUDIENCE, ...inherited } = process.env;
    const run = spawnSync(resourceBinary, [], { env: { ...inherited, PORT: '0', ...env }, encoding: 'utf8', timeout: 10000 });
    assert.equal(run.status, 1, run.stderr);
    assert.match(run.stderr, new RegExp(`${missing} is not set`));
  }
  const port = await freePort();
  const issuer = await start(issuerBinary, { PORT: port, FAUTH_AUDIENCE: 'billing-api' });
  running.push(issuer);
  const resource = await start(resourceBinary, {
    FAUTH_ISSUER: issuer.base, FAUTH_AUDIENCE: 'notes-api', FAUTH_PROVIDER: 'fauth', FAUTH_RESOURCE_URL: 'http://127.0.0.1:9/notes' });
  running.push(resource);
  const token = await login(issuer.base, 'alice', 's3cret');
  const r = await fetch(`${resource.base}/me`, { headers: { Authorization: `Bearer ${token}`, Connection: 'close' } });
  assert.equal(r.status, 401);
  assert.deepEqual(await r.json(), { detail: 'Invalid token' }, 'the client is not told which check failed');
  const until = Date.now() + 5000;
  while (!resource.output().includes('"reason":"Invalid token: audience mismatch"') && Date.now() < until)
    await new Promise((resolve) => setTimeout(resolve, 20));
  assert.match(resource.output(), /"event":"token_refused","reason":"Invalid token: audience mismatch"/, 'the log is');
  // RFC 9728: the 401 names the resource metadata, which names the issuer. The resource has a
  // path, so its metadata is at the well-known path followed by that path (section 3.1).
  // The example takes DPoP-bound tokens too (FAUTH_DPOP=allow): its challenge follows, with the
  // proof algorithms.
  assert.equal(r.headers.get('www-authenticate'),
    'Bearer error="invalid_token", resource_metadata="http://127.0.0.1:9/.well-known/oauth-protected-resource/notes", ' +
    'DPoP algs="ES256 ES384 PS256 PS384 PS512 RS256 RS384 RS512 EdDSA"');
  const metadata = await get(resource.base, '/.well-known/oauth-protected-resource/notes');
  assert.equal(metadata.status, 200);
  assert.deepEqual(metadata.body.authorization_servers, [issuer.base]);
  assert.deepEqual(metadata.body.dpop_signing_alg_values_supported,
    ['ES256', 'ES384', 'PS256', 'PS384', 'PS512', 'RS256', 'RS384', 'RS512', 'EdDSA']);
  assert.equal(metadata.body.resource, 'http://127.0.0.1:9/notes');
  assert.equal((await get(resource.base, '/notes/.well-known/oauth-protected-resource')).status, 404);
});

// --- An OpenID provider that issues RFC 9068 access tokens, written here with node:crypto ------

// A provider on 127.0.0.1:`port` (plain http: loopback) publishing one ES256 key; `listen()`
// starts it, `token(claims, header)` signs.
function rfc9068Provider(port) {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const issuer = `http://127.0.0.1:${port}`;
  const jwk = { ...publicKey.export({ format: 'jwk' }), kid: 'op-1', alg: 'ES256', use: 'sig' };
  const server = createHttpServer((req, res) => {
    const body = req.url === '/.well-known/openid-configuration' ? { issuer, jwks_uri: `${issuer}/jwks` }
      : req.url === '/jwks' ? { keys: [jwk] } : null;
    res.writeHead(body ? 200 : 404, { 'Content-Type': 'application/json', Connection: 'close' });
    res.end(JSON.stringify(body ?? { error: 'not found' }));
  });
  const token = (claims, header = { typ: 'at+jwt' }) => {
    const now = Math.floor(Date.now() / 1000);
    const input = `${b64(JSON.stringify({ alg: 'ES256', kid: 'op-1', ...header }))}.${b64(JSON.stringify({
      iss: issuer, aud: 'notes-client', client_id: 'notes-client', iat: now, exp: now + 300, jti: `j-${Math.random()}`, ...claims }))}`;
    return `${input}.${sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
  };
  return {
    issuer, token,
    listen: () => new Promise((resolve) => server.listen(Number(port), '127.0.0.1', resolve)),
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(resolve); }),
  };
}

test('by default a resource service takes RFC 9068 access tokens: the scope string, and typ at+jwt required', async (t) => {
  const op = rfc9068Provider(await freePort());
  await op.listen();
  t.after(() => op.close());
  const resource = await start(resourceBinary, { FAUTH_ISSUER: op.issuer, FAUTH_AUDIENCE: 'notes-client' });
  running.push(resource);
  const writer = op.token({ sub: 'alice', scope: 'read write', roles: ['admin'] });
  assert.deepEqual(await get(resource.base, '/me', writer), { status: 200, body: { message: 'Hello alice', roles: ['admin'] } });
  assert.equal((await get(resource.base, '/reports', writer)).status, 200, 'scope "read write" holds write');
  assert.equal((await get(resource.base, '/admin', writer)).status, 200);
  assert.equal((await get(resource.base, '/reports', op.token({ sub: 'bob', scope: 'read' }))).status, 403);
  assert.equal((await get(resource.base, '/reports', op.token({ sub: 'bob', scopes: ['write'] }))).status, 403,
    'a scopes array is not RFC 9068\'s');
  assert.equal((await get(resource.base, '/reports', op.token({ sub: 'alice', scope: 'read write' }, { typ: 'application/at+jwt' }))).status, 200);
  // The provider's ID token: same key, and its audience is the client id, here this API's.
  const idToken = op.token({ sub: 'alice', nonce: 'n-1', scope: 'read write' }, { typ: 'JWT' });
  assert.equal((await get(resource.base, '/me', idToken)).status, 401);
  assert.equal((await get(resource.base, '/me', op.token({ sub: 'alice', nonce: 'n-1' }, {}))).status, 401, 'no typ at all');
  const until = Date.now() + 5000;
  while (!resource.output().includes('typ must be at+jwt') && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  assert.match(resource.output(), /"reason":"Invalid token: typ must be at\+jwt"/);

  // Any shape can require at+jwt: Keycloak's (which otherwise tells its access tokens by the typ claim).
  const strict = await start(resourceBinary, {
    FAUTH_ISSUER: op.issuer, FAUTH_AUDIENCE: 'notes-client', FAUTH_PROVIDER: 'keycloak', FAUTH_REQUIRE_AT_JWT: '1' });
  running.push(strict);
  assert.equal((await get(strict.base, '/me', op.token({ sub: 'alice', typ: 'Bearer' }, { typ: 'JWT' }))).status, 401);
  assert.equal((await get(strict.base, '/me', op.token({ sub: 'alice', typ: 'Bearer' }))).status, 200);
});

test('a resource service listens at once while its provider is down, answers 503 with Retry-After, then serves', async (t) => {
  const port = await freePort();
  const op = rfc9068Provider(port);  // not listening yet
  const startedAt = Date.now();
  const resource = await start(resourceBinary, {
    FAUTH_ISSUER: op.issuer, FAUTH_AUDIENCE: 'notes-client', FAUTH_JWKS_REFRESH_SECONDS: '0', FAUTH_JWKS_RETRY_SECONDS: '2' });
  running.push(resource);
  const health = await get(resource.base, '/health');
  assert.deepEqual(health, { status: 200, body: { status: 'ok', issuer_keys: 0 } });
  assert.ok(Date.now() - startedAt < 5000, `listening took ${Date.now() - startedAt} ms`);
  const token = op.token({ sub: 'alice', scope: 'read write' });
  const waiting = await fetch(`${resource.base}/reports`, { headers: { Authorization: `Bearer ${token}`, Connection: 'close' } });
  assert.equal(waiting.status, 503);
  assert.deepEqual(await waiting.json(), { detail: 'Service unavailable' });
  const retry = Number(waiting.headers.get('retry-after'));
  assert.ok(retry >= 1 && retry <= 2, `Retry-After: ${waiting.headers.get('retry-after')}`);

  await op.listen();
  t.after(() => op.close());
  // The first token after the provider is up makes the service fetch (FAUTH_JWKS_REFRESH_SECONDS 0);
  // the background retry would within 2 s anyway.
  let served = await get(resource.base, '/reports', token);
  const until = Date.now() + 10000;
  while (served.status === 503 && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 100));
    served = await get(resource.base, '/reports', token);
  }
  assert.equal(served.status, 200);
  assert.equal((await get(resource.base, '/health')).body.issuer_keys, 1);
});

test('a resource service whose configuration cannot work says so at once, before any fetch', async () => {
  const { FAUTH_ISSUER, FAUTH_AUDIENCE, ...inherited } = process.env;
  for (const [env, message] of [
    [{ FAUTH_ALGORITHMS: 'ES256,ES257' }, /algorithm ES257 is not supported/],
    [{ FAUTH_ISSUER: 'http://login.example.com' }, /JwksOptions\.issuer: refusing plain http:\/\/ for "login\.example\.com"/],
    [{ FAUTH_PROVIDER: 'okta' }, /FAUTH_PROVIDER must be standard, fauth, keycloak, auth0, entra or cognito, not okta/],
    [{ FAUTH_RESOURCE_URL: 'https://api.example.com/v1?tenant=1' }, /has a query or a fragment/],
    [{ FAUTH_JWKS_RETRY_SECONDS: 'soon' }, /FAUTH_JWKS_RETRY_SECONDS must be a whole number of seconds/],
  ]) {
    const began = Date.now();
    const run = spawnSync(resourceBinary, [], {
      env: { ...inherited, PORT: '0', FAUTH_ISSUER: 'http://127.0.0.1:1', FAUTH_AUDIENCE: 'notes-api', ...env },
      encoding: 'utf8', timeout: 10000 });
    assert.equal(run.status, 1, `${JSON.stringify(env)}: ${run.stderr}`);
    assert.match(run.stderr, message);
    assert.ok(Date.now() - began < 3000, `${JSON.stringify(env)} took ${Date.now() - began} ms`);
  }
});
