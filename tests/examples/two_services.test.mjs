// examples/two_services as the README runs it: an issuer that signs ES256 tokens and publishes
// its JWKS, and a resource service that knows only that URL. Covers roles and scopes carried in
// the token, refused forgeries, an issuer outage, and a restarted issuer with a new key.
// Run: node --test tests/examples/two_services.test.mjs (FAUTH_ISSUER_BIN, FAUTH_RESOURCE_BIN name the binaries).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createServer } from 'node:net';
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
    FAUTH_ISSUER: issuer.base, FAUTH_AUDIENCE: 'notes-api', FAUTH_RESOURCE_URL: 'http://127.0.0.1:9/notes' });
  running.push(resource);
  const token = await login(issuer.base, 'alice', 's3cret');
  const r = await fetch(`${resource.base}/me`, { headers: { Authorization: `Bearer ${token}`, Connection: 'close' } });
  assert.equal(r.status, 401);
  assert.deepEqual(await r.json(), { detail: 'Invalid token' }, 'the client is not told which check failed');
  const until = Date.now() + 5000;
  while (!resource.output().includes('"reason":"Invalid token: audience mismatch"') && Date.now() < until)
    await new Promise((resolve) => setTimeout(resolve, 20));
  assert.match(resource.output(), /"event":"token_refused","reason":"Invalid token: audience mismatch"/, 'the log is');
  // RFC 9728: the 401 names the resource metadata, which names the issuer.
  assert.equal(r.headers.get('www-authenticate'),
    'Bearer error="invalid_token", resource_metadata="http://127.0.0.1:9/notes/.well-known/oauth-protected-resource"');
  const metadata = await get(resource.base, '/.well-known/oauth-protected-resource');
  assert.equal(metadata.status, 200);
  assert.deepEqual(metadata.body.authorization_servers, [issuer.base]);
  assert.equal(metadata.body.resource, 'http://127.0.0.1:9/notes');
});
