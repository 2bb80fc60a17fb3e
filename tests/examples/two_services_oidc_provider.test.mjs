// examples/two_services/resource in front of a real OpenID provider that no one here wrote:
// panva's oidc-provider (tests/support/oidc_provider.mjs) over HTTPS with a CA made for the test,
// which the resource service trusts through FAUTH_CA_FILE and finds through OpenID discovery. The
// resource runs with its default claim shape (RFC 9068: `scope` string, typ at+jwt required) and
// its default DPoP setting (FAUTH_DPOP=allow). Covers: client-credentials JWT access tokens and their
// scopes, a missing token, a forged scope, the provider's ID token (authorization code + PKCE,
// driven through the provider's development login and consent pages), an opaque token, and
// DPoP-bound tokens (RFC 9449) with good and bad proofs made by tests/support/dpop.mjs. A second
// resource instance introspects opaque tokens (FAUTH_INTROSPECTION, RFC 7662) at the provider:
// accepted with their scopes, DPoP-bound ones too, one introspection for many concurrent requests,
// refused once revoked, and 503 with Retry-After while the provider is down (the last test). The
// provider runs with RFC 8705 on (mtls): a third instance (FAUTH_CERTIFICATE_BINDING=allow, with
// 127.0.0.1 as its trusted TLS-terminating proxy passing the client certificate in an RFC 9440
// Client-Cert header) takes the provider's certificate-bound tokens with their certificate only.
// Run: node --test tests/examples/two_services_oidc_provider.test.mjs (FAUTH_RESOURCE_BIN names the
// binary; FAUTH_OIDC_PROVIDER_TEST_ENV, a JSON object, adds to the resource's environment, e.g.
// '{"FAUTH_PROVIDER": "auth0"}' to try another claim shape by hand).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { X509Certificate, createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { basicAuth, pkce, startProvider } from '../support/oidc_provider.mjs';
import { makeKey, proof, thumbprint } from '../support/dpop.mjs';
import { startQuickstart as start, stopQuickstart as stop } from '../support/quickstart.mjs';

const resourceBinary = process.env.FAUTH_RESOURCE_BIN ?? 'build/bin/fauth-resource';
const OPAQUE = 'urn:fauth:test:opaque';

const freePort = () => new Promise((resolve) => {
  const s = createServer().listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
});
const decode = (jwt, part) => JSON.parse(Buffer.from(jwt.split('.')[part], 'base64url'));
const b64 = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');

let dir;
let op;
let resource;
let resourceUrl;  // the resource's URL, which is also its RFC 8707 resource indicator and the tokens' aud
let introspecting;     // a second resource instance, which introspects opaque tokens
let introspectingUrl;  // its URL, resource indicator and the opaque tokens' aud
let boundPort;  // a third instance's port (started by its test), which takes certificate-bound tokens
let boundUrl;   // its URL, resource indicator and its tokens' aud

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fauth-oidc-provider-'));
  const port = await freePort();
  resourceUrl = `http://127.0.0.1:${port}`;
  const introspectingPort = await freePort();
  introspectingUrl = `http://127.0.0.1:${introspectingPort}`;
  boundPort = await freePort();
  boundUrl = `http://127.0.0.1:${boundPort}`;
  op = await startProvider({
    dir,
    resources: {
      [resourceUrl]: { scope: 'read write', format: 'jwt' },
      [OPAQUE]: { scope: 'read', format: 'opaque' },
      [introspectingUrl]: { scope: 'read write', format: 'opaque' },
      [boundUrl]: { scope: 'read write', format: 'jwt' },
    },
    mtls: true,  // certificate-bound tokens for op.clients.bound; the other clients present no certificate
    // As in Keycloak, where an API is itself a client: the web client's id is the API's audience,
    // so the provider's ID tokens for it pass the audience check and only `typ` tells them apart.
    webClientId: resourceUrl,
  });
  resource = await start(resourceBinary, {
    PORT: String(port),
    FAUTH_ISSUER: op.issuer,  // the JWK Set is found through the provider's discovery document
    FAUTH_AUDIENCE: resourceUrl,
    FAUTH_CA_FILE: op.caFile,
    FAUTH_RESOURCE_URL: resourceUrl,
    FAUTH_JWKS_REFRESH_SECONDS: '0',
    // The example's defaults, whatever the calling shell sets (spawn leaves undefined values out).
    FAUTH_PROVIDER: undefined, FAUTH_DPOP: undefined, FAUTH_ALGORITHMS: undefined, FAUTH_JWKS_URL: undefined,
    FAUTH_REQUIRE_AT_JWT: undefined,
    ...JSON.parse(process.env.FAUTH_OIDC_PROVIDER_TEST_ENV ?? '{}'),
  });
  assert.equal(resource.base, resourceUrl);
  // The example listens before the provider's keys arrive (tokens get 503 until then): wait for
  // /health to count them. An example without /health loads its keys before it listens.
  for (const until = Date.now() + 10000; ;) {
    const r = await fetch(`${resourceUrl}/health`, { headers: { Connection: 'close' } });
    if (r.status === 404) break;
    const body = await r.json();
    if (r.status === 200 && body.issuer_keys > 0) break;
    assert.ok(Date.now() < until, `the provider's keys never arrived: ${r.status} ${JSON.stringify(body)}\n${resource.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  introspecting = await start(resourceBinary, {
    PORT: String(introspectingPort),
    FAUTH_ISSUER: op.issuer,
    FAUTH_AUDIENCE: introspectingUrl,
    FAUTH_CA_FILE: op.caFile,
    FAUTH_INTROSPECTION_CLIENT_ID: op.clients.resource.id,  // FAUTH_INTROSPECTION: opaque, the default with a client id
    FAUTH_INTROSPECTION_CLIENT_SECRET: op.clients.resource.secret,
    FAUTH_INTROSPECTION_CACHE_SECONDS: '1',
    FAUTH_INTROSPECTION_NEGATIVE_SECONDS: '3',
    FAUTH_PROVIDER: undefined, FAUTH_DPOP: undefined, FAUTH_ALGORITHMS: undefined, FAUTH_JWKS_URL: undefined,
    FAUTH_REQUIRE_AT_JWT: undefined, FAUTH_INTROSPECTION: undefined, FAUTH_INTROSPECTION_ENDPOINT: undefined,
  });
}, { timeout: 60000 });

after(async () => {
  if (introspecting) await stop(introspecting.child);
  if (resource) await stop(resource.child);
  if (op) await op.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
  if (op) assert.deepEqual(op.errors, [], 'the provider had no internal errors');
  introspecting = null;
}, { timeout: 60000 });

// POST to the provider's token endpoint as the confidential client; `dpop` is the proof header.
async function clientCredentials({ scope, resource: indicator = resourceUrl, dpop }) {
  const headers = { authorization: basicAuth(op.clients.service), 'content-type': 'application/x-www-form-urlencoded' };
  if (dpop) headers.dpop = dpop;
  const r = await op.request(op.metadata.token_endpoint, {
    method: 'POST', headers, body: new URLSearchParams({ grant_type: 'client_credentials', scope, resource: indicator }).toString(),
  });
  assert.equal(r.status, 200, r.text);
  return r.json();
}

async function call(path, { authorization, dpop, method = 'GET', base = resourceUrl } = {}) {
  const headers = { Connection: 'close' };
  if (authorization) headers.Authorization = authorization;
  if (dpop) headers.DPoP = dpop;
  const r = await fetch(`${base}${path}`, { method, headers });
  const text = await r.text();
  return { status: r.status, challenge: r.headers.get('www-authenticate'), body: text ? JSON.parse(text) : null };
}

// The authorization code flow with PKCE for the web client, as a browser would drive the provider's
// development login and consent pages (cookies kept by name); resolves to the token response.
async function authorizationCode(login, { dpopKey } = {}) {
  const jar = new Map();
  const go = async (url, init = {}) => {
    const cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
    const r = await op.request(url, { ...init, headers: { ...init.headers, ...(cookie ? { cookie } : {}) } });
    for (const c of r.setCookies) {
      const pair = c.split(';')[0];
      const at = pair.indexOf('=');
      const [name, value] = [pair.slice(0, at), pair.slice(at + 1)];
      if (value) jar.set(name, value); else jar.delete(name);
    }
    return r;
  };
  const form = (fields) => ({
    method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString(),
  });
  const redirected = (r) => {
    assert.ok([302, 303].includes(r.status), `a redirect, not ${r.status}: ${r.text}`);
    return new URL(r.headers.location, op.issuer);
  };
  const { verifier, challenge } = pkce();
  const web = op.clients.web;
  const authorize = new URL(op.metadata.authorization_endpoint);
  authorize.search = new URLSearchParams({
    client_id: web.id, response_type: 'code', scope: 'openid', redirect_uri: web.redirectUri,
    code_challenge: challenge, code_challenge_method: 'S256', state: 'state-1', nonce: 'nonce-1',
  }).toString();
  let at = redirected(await go(authorize));  // to the login page
  assert.match((await go(at)).text, /name="login"/);
  at = redirected(await go(at, form({ prompt: 'login', login, password: 'any' })));  // back to /auth
  at = redirected(await go(at));  // to the consent page
  at = redirected(await go(at, form({ prompt: 'consent' })));  // back to /auth
  const callback = redirected(await go(at));
  assert.equal(`${callback.origin}${callback.pathname}`, web.redirectUri);
  assert.equal(callback.searchParams.get('state'), 'state-1');
  const code = callback.searchParams.get('code');
  assert.ok(code, `a code: ${callback}`);
  const exchange = form({ grant_type: 'authorization_code', code, redirect_uri: web.redirectUri, code_verifier: verifier, client_id: web.id });
  if (dpopKey) exchange.headers.dpop = proof({ method: 'POST', url: op.metadata.token_endpoint, key: dpopKey });
  const r = await op.request(op.metadata.token_endpoint, exchange);
  assert.equal(r.status, 200, r.text);
  return r.json();
}

test('the provider\'s RFC 9068 access tokens open the routes their scope allows, and nothing else passes', { timeout: 60000 }, async () => {
  const full = await clientCredentials({ scope: 'read write' });
  assert.equal(full.token_type, 'Bearer');
  const header = decode(full.access_token, 0);
  const claims = decode(full.access_token, 1);
  assert.equal(header.typ, 'at+jwt');
  assert.equal(claims.scope, 'read write', 'a space-separated scope string, as RFC 9068 says');
  assert.equal(claims.aud, resourceUrl);
  assert.equal(claims.iss, op.issuer);
  assert.equal(claims.sub, op.clients.service.id);

  assert.deepEqual(await call('/me', { authorization: `Bearer ${full.access_token}` }),
    { status: 200, challenge: null, body: { message: `Hello ${op.clients.service.id}`, roles: [] } });
  assert.equal((await call('/reports', { authorization: `Bearer ${full.access_token}` })).status, 200, 'write is in the scope string');

  const readOnly = (await clientCredentials({ scope: 'read' })).access_token;
  assert.equal(decode(readOnly, 1).scope, 'read');
  assert.equal((await call('/me', { authorization: `Bearer ${readOnly}` })).status, 200);
  assert.equal((await call('/reports', { authorization: `Bearer ${readOnly}` })).status, 403, 'read does not grant write');

  const none = await call('/reports');
  assert.equal(none.status, 401);
  assert.match(none.challenge ?? '', /\bBearer\b/, 'a 401 names the scheme to use');

  // The read-only token with `write` written into its payload: the signature no longer matches.
  const [h, , s] = readOnly.split('.');
  const forged = `${h}.${b64({ ...decode(readOnly, 1), scope: 'read write' })}.${s}`;
  assert.equal((await call('/reports', { authorization: `Bearer ${forged}` })).status, 401);
  assert.equal((await call('/me', { authorization: `Bearer ${forged}` })).status, 401);

  // An opaque token of the same provider (for another resource) is no JWT this service can read.
  const opaque = (await clientCredentials({ scope: 'read', resource: OPAQUE })).access_token;
  assert.equal(opaque.split('.').length, 1);
  assert.equal((await call('/me', { authorization: `Bearer ${opaque}` })).status, 401);
  // ... which the provider's introspection endpoint answers for (RFC 7662), for later work.
  const introspected = await op.request(op.metadata.introspection_endpoint, {
    method: 'POST',
    headers: { authorization: basicAuth(op.clients.resource), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token: opaque }).toString(),
  });
  assert.equal(introspected.status, 200, introspected.text);
  assert.deepEqual([introspected.json().active, introspected.json().aud, introspected.json().scope], [true, OPAQUE, 'read']);
});

test('the provider\'s ID token is no access token, though its audience is the service\'s', { timeout: 60000 }, async () => {
  const tokens = await authorizationCode('user-123');
  const header = decode(tokens.id_token, 0);
  const claims = decode(tokens.id_token, 1);
  assert.notEqual(header.typ, 'at+jwt');
  assert.deepEqual([claims.iss, claims.aud, claims.sub, claims.nonce], [op.issuer, resourceUrl, 'user-123', 'nonce-1']);
  const r = await call('/me', { authorization: `Bearer ${tokens.id_token}` });
  assert.equal(r.status, 401, 'only typ: at+jwt refuses it: issuer, audience and signature are right');
  assert.match(r.challenge ?? '', /invalid_token/);
});

// The same requests, good and bad, for a DPoP-bound token at `url` (GET): [what, headers, the
// statuses allowed]. A DPoP request without a proof, and a Bearer request with one, are malformed
// requests: 400 (invalid_request, as oidc-provider answers) or 401.
function dpopCases(url, token, key) {
  const good = proof({ method: 'GET', url, token, key });
  const other = new URL(url);
  other.pathname += '-other';
  return [
    ['a fresh proof by the bound key', { authorization: `DPoP ${token}`, dpop: good }, 200],
    ['a bound token as Bearer', { authorization: `Bearer ${token}` }, 401],
    ['a bound token as Bearer, with a proof', { authorization: `Bearer ${token}`, dpop: proof({ method: 'GET', url, token, key }) }, [400, 401]],
    ['no proof', { authorization: `DPoP ${token}` }, [400, 401]],
    ['a replayed proof (same jti)', { authorization: `DPoP ${token}`, dpop: good }, 401],
    ['a proof for another URL', { authorization: `DPoP ${token}`, dpop: proof({ method: 'GET', url: other.href, token, key }) }, 401],
    ['a proof for another method', { authorization: `DPoP ${token}`, dpop: proof({ method: 'POST', url, token, key }) }, 401],
    ['a proof by another key', { authorization: `DPoP ${token}`, dpop: proof({ method: 'GET', url, token, key: makeKey() }) }, 401],
    ['a proof for another token (ath)', { authorization: `DPoP ${token}`, dpop: proof({ method: 'GET', url, token: 'another-token', key }) }, 401],
    ['a proof from ten minutes ago', { authorization: `DPoP ${token}`, dpop: proof({ method: 'GET', url, token, key, claims: { iat: Math.floor(Date.now() / 1000) - 600 } }) }, 401],
    ['a second fresh proof (nothing above spent the token)', { authorization: `DPoP ${token}`, dpop: proof({ method: 'GET', url, token, key }) }, 200],
  ];
}

test('the DPoP cases are right: the provider\'s own userinfo endpoint answers them as expected', { timeout: 60000 }, async () => {
  // An independent check of tests/support/dpop.mjs and of the cases below: oidc-provider's
  // userinfo endpoint is a DPoP resource server no one here wrote.
  const key = makeKey();
  const tokens = await authorizationCode('user-123', { dpopKey: key });
  assert.equal(tokens.token_type, 'DPoP');
  for (const [what, { authorization, dpop }, status] of dpopCases(op.metadata.userinfo_endpoint, tokens.access_token, key)) {
    const headers = { authorization };
    if (dpop) headers.dpop = dpop;
    const r = await op.request(op.metadata.userinfo_endpoint, { headers });
    assert.ok([status].flat().includes(r.status), `${what}: ${r.status} ${r.text} ${r.headers['www-authenticate'] ?? ''}`);
    if (status === 200) assert.equal(r.json().sub, 'user-123');
  }
});

test('a DPoP-bound token works with a fresh proof by its key, and with nothing else', { timeout: 60000 }, async () => {
  const key = makeKey();
  const issued = await clientCredentials({ scope: 'read write', dpop: proof({ method: 'POST', url: op.metadata.token_endpoint, key }) });
  assert.equal(issued.token_type, 'DPoP');
  const token = issued.access_token;
  assert.equal(decode(token, 0).typ, 'at+jwt');
  assert.deepEqual(decode(token, 1).cnf, { jkt: thumbprint(key.jwk) }, 'the provider bound the token to the key');

  for (const [what, request, status] of dpopCases(`${resourceUrl}/reports`, token, key)) {
    const r = await call('/reports', request);
    assert.ok([status].flat().includes(r.status), `${what}: ${r.status} ${JSON.stringify(r.body)}`);
    // Refusals carry a DPoP challenge (RFC 9449 7.1).
    if (r.status === 401) assert.match(r.challenge ?? '', /\bDPoP\b/, `${what}: the challenge names DPoP`);
  }
  const me = await call('/me', { authorization: `DPoP ${token}`, dpop: proof({ method: 'GET', url: `${resourceUrl}/me`, token, key }) });
  assert.equal(me.status, 200);
});

// The introspecting instance (FAUTH_INTROSPECTION): opaque tokens asked about at the provider.
const atIntrospecting = (path, init = {}) => call(path, { ...init, base: introspectingUrl });

test('opaque tokens are introspected: their scopes open the routes they allow', { timeout: 60000 }, async () => {
  const full = (await clientCredentials({ scope: 'read write', resource: introspectingUrl })).access_token;
  assert.equal(full.split('.').length, 1, 'an opaque token');
  const me = await atIntrospecting('/me', { authorization: `Bearer ${full}` });
  assert.deepEqual([me.status, me.body], [200, { message: `Hello ${op.clients.service.id}`, roles: [] }],
    'client credentials: the client id stands for sub');
  assert.equal((await atIntrospecting('/reports', { authorization: `Bearer ${full}` })).status, 200);
  const readOnly = (await clientCredentials({ scope: 'read', resource: introspectingUrl })).access_token;
  const denied = await atIntrospecting('/reports', { authorization: `Bearer ${readOnly}` });
  assert.equal(denied.status, 403);
  assert.match(denied.challenge ?? '', /insufficient_scope/);
  // An opaque token for another resource: active, but not for this API.
  const foreign = (await clientCredentials({ scope: 'read', resource: OPAQUE })).access_token;
  assert.equal((await atIntrospecting('/me', { authorization: `Bearer ${foreign}` })).status, 401);
  // Something the provider never issued.
  const unknown = await atIntrospecting('/me', { authorization: 'Bearer never-issued-by-the-provider' });
  assert.equal(unknown.status, 401);
  assert.match(unknown.challenge ?? '', /invalid_token/);
});

test('many concurrent requests with one opaque token make one introspection', { timeout: 60000 }, async () => {
  const token = (await clientCredentials({ scope: 'read', resource: introspectingUrl })).access_token;
  const before = op.introspections();
  const answers = await Promise.all(Array.from({ length: 24 }, () => atIntrospecting('/me', { authorization: `Bearer ${token}` })));
  assert.deepEqual(answers.map((a) => a.status), Array(24).fill(200));
  assert.equal(op.introspections() - before, 1, 'the provider was asked once');
});

test('a revoked opaque token is refused once its cached answer expires, and the refusal is cached', { timeout: 60000 }, async () => {
  const token = (await clientCredentials({ scope: 'read', resource: introspectingUrl })).access_token;
  assert.equal((await atIntrospecting('/me', { authorization: `Bearer ${token}` })).status, 200);
  const revoked = await op.request(op.metadata.revocation_endpoint, {
    method: 'POST',
    headers: { authorization: basicAuth(op.clients.service), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token }).toString(),
  });
  assert.equal(revoked.status, 200, revoked.text);
  await new Promise((resolve) => setTimeout(resolve, 1200));  // FAUTH_INTROSPECTION_CACHE_SECONDS=1
  const refused = await atIntrospecting('/me', { authorization: `Bearer ${token}` });
  assert.equal(refused.status, 401);
  assert.match(refused.challenge ?? '', /invalid_token/);
  const asked = op.introspections();
  assert.equal((await atIntrospecting('/me', { authorization: `Bearer ${token}` })).status, 401);
  assert.equal(op.introspections(), asked, 'within FAUTH_INTROSPECTION_NEGATIVE_SECONDS the refusal is not asked again');
});

test('a DPoP-bound opaque token works with a proof by its key, and not as Bearer', { timeout: 60000 }, async () => {
  const key = makeKey();
  const issued = await clientCredentials({
    scope: 'read write', resource: introspectingUrl, dpop: proof({ method: 'POST', url: op.metadata.token_endpoint, key }),
  });
  assert.equal(issued.token_type, 'DPoP');
  const token = issued.access_token;
  assert.equal(token.split('.').length, 1, 'an opaque token');
  const url = `${introspectingUrl}/reports`;
  const good = await atIntrospecting('/reports', { authorization: `DPoP ${token}`, dpop: proof({ method: 'GET', url, token, key }) });
  assert.equal(good.status, 200, JSON.stringify(good.body));
  assert.equal((await atIntrospecting('/reports', { authorization: `Bearer ${token}` })).status, 401, 'cnf.jkt from the answer binds it');
  const otherKey = await atIntrospecting('/reports', { authorization: `DPoP ${token}`, dpop: proof({ method: 'GET', url, token, key: makeKey() }) });
  assert.equal(otherKey.status, 401);
});

// A self-signed client certificate (openssl CLI; RFC 8705 binding needs no CA): { cert, key } PEM,
// its DER and its SHA-256 thumbprint (base64url), computed here, not by the provider or by fauth.
function clientCertificate(name) {
  const [key, cert] = [join(dir, `${name}.key`), join(dir, `${name}.crt`)];
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1',
    '-subj', `/CN=fauth test client ${name}`, '-keyout', key, '-out', cert], { stdio: ['ignore', 'ignore', 'pipe'] });
  const pem = readFileSync(cert);
  const der = new X509Certificate(pem).raw;
  return { cert: pem, key: readFileSync(key), der, thumbprint: createHash('sha256').update(der).digest('base64url') };
}

// A GET from `localAddress` (another loopback address than the trusted proxy's, say).
function getFrom(localAddress, url, headers) {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { localAddress, headers: { connection: 'close', ...headers }, timeout: 10000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url}: no answer in 10 s`)));
    req.on('error', reject);
    req.end();
  });
}

test('a certificate-bound token (RFC 8705) works with its certificate from a trusted proxy, and with nothing else', { timeout: 60000 }, async () => {
  const mine = clientCertificate('client');
  const other = clientCertificate('other');
  assert.notEqual(mine.thumbprint, other.thumbprint);
  const tokenRequest = (tls, indicator = boundUrl) => op.request(op.metadata.token_endpoint, {
    method: 'POST',
    headers: { authorization: basicAuth(op.clients.bound), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'read write', resource: indicator }).toString(),
    ...tls,
  });
  // The provider binds this client's tokens: without a certificate on the connection it issues none.
  const refused = await tokenRequest({});
  assert.equal(refused.status, 400, refused.text);
  assert.equal(refused.json().error, 'invalid_grant');
  const issued = await tokenRequest({ cert: mine.cert, key: mine.key });
  assert.equal(issued.status, 200, issued.text);
  const { access_token: token, token_type: type } = issued.json();
  assert.equal(type, 'Bearer');
  assert.equal(decode(token, 0).typ, 'at+jwt');
  const claims = decode(token, 1);
  assert.deepEqual(claims.cnf, { 'x5t#S256': mine.thumbprint }, 'the provider bound the token to the certificate presented');
  assert.equal(claims.aud, boundUrl);

  const bound = await start(resourceBinary, {
    PORT: String(boundPort),
    FAUTH_ISSUER: op.issuer,
    FAUTH_AUDIENCE: boundUrl,
    FAUTH_CA_FILE: op.caFile,
    FAUTH_CERTIFICATE_BINDING: 'allow',
    FAUTH_TRUSTED_PROXIES: '127.0.0.1',  // the test client stands in for a TLS-terminating proxy
    FAUTH_CLIENT_CERT_HEADER: '1',
    FAUTH_PROVIDER: undefined, FAUTH_DPOP: undefined, FAUTH_ALGORITHMS: undefined, FAUTH_JWKS_URL: undefined,
    FAUTH_REQUIRE_AT_JWT: undefined, FAUTH_INTROSPECTION: undefined, FAUTH_INTROSPECTION_CLIENT_ID: undefined,
  });
  try {
    assert.equal(bound.base, boundUrl);
    for (const until = Date.now() + 10000; ;) {
      const r = await fetch(`${boundUrl}/health`, { headers: { Connection: 'close' } });
      const body = await r.json();
      if (r.status === 200 && body.issuer_keys > 0) break;
      assert.ok(Date.now() < until, `the provider's keys never arrived: ${r.status} ${JSON.stringify(body)}\n${bound.output()}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const at = (path, clientCert) => {
      const headers = { Connection: 'close', Authorization: `Bearer ${token}` };
      if (clientCert !== undefined) headers['Client-Cert'] = clientCert;
      return fetch(`${boundUrl}${path}`, { headers }).then(async (r) => ({ status: r.status, challenge: r.headers.get('www-authenticate'), text: await r.text() }));
    };
    const sf = (der) => `:${der.toString('base64')}:`;  // an RFC 8941 byte sequence, as RFC 9440 sends it
    const good = await at('/reports', sf(mine.der));
    assert.equal(good.status, 200, good.text);
    assert.equal((await at('/me', sf(mine.der))).status, 200);
    for (const [what, header] of [
      ['no Client-Cert', undefined],
      ['another certificate', sf(other.der)],
      ['a malformed header (no colons)', mine.der.toString('base64')],
      ['a malformed header (not base64)', ':not base64!:'],
      ['an empty byte sequence', '::'],
      ['the PEM, not the DER', sf(mine.cert)],
    ]) {
      const r = await at('/reports', header);
      assert.equal(r.status, 401, `${what}: ${r.status} ${r.text}`);
      assert.match(r.challenge ?? '', /invalid_token/, `${what}: ${r.challenge}`);
    }
    // From a peer that is not the trusted proxy, Client-Cert is nobody's word: not read.
    assert.equal(await getFrom('127.0.0.2', `${boundUrl}/reports`, { authorization: `Bearer ${token}`, 'client-cert': sf(mine.der) }), 401);
    assert.equal(await getFrom('127.0.0.1', `${boundUrl}/reports`, { authorization: `Bearer ${token}`, 'client-cert': sf(mine.der) }), 200);
    // An unbound token of the same provider goes on as ever under allow.
    const unbound = (await clientCredentials({ scope: 'read write', resource: boundUrl })).access_token;
    assert.equal(decode(unbound, 1).cnf, undefined);
    const plain = await fetch(`${boundUrl}/reports`, { headers: { Connection: 'close', Authorization: `Bearer ${unbound}` } });
    assert.equal(plain.status, 200, await plain.text());
  } finally {
    await stop(bound.child);
  }
  // The first instance keeps FAUTH_CERTIFICATE_BINDING's default, off: a bound token is refused there.
  const forFirst = await tokenRequest({ cert: mine.cert, key: mine.key }, resourceUrl);
  assert.equal(forFirst.status, 200, forFirst.text);
  const elsewhere = forFirst.json().access_token;
  assert.deepEqual(decode(elsewhere, 1).cnf, { 'x5t#S256': mine.thumbprint });
  const off = await fetch(`${resourceUrl}/me`, { headers: { Connection: 'close', Authorization: `Bearer ${elsewhere}`, 'Client-Cert': `:${mine.der.toString('base64')}:` } });
  assert.equal(off.status, 401, await off.text());
});

// Last: it stops the provider.
test('while the provider is down, an opaque token gets 503 with Retry-After, never 200', { timeout: 60000 }, async () => {
  await op.stop();
  const r = await fetch(`${introspectingUrl}/me`, { headers: { Connection: 'close', Authorization: 'Bearer an-opaque-token-not-cached-yet' } });
  assert.equal(r.status, 503, await r.text());
  assert.ok(Number(r.headers.get('retry-after')) > 0, `Retry-After: ${r.headers.get('retry-after')}`);
});
