// The quickstart server, as docs/quickstart.md runs it: every route, its statuses and headers, and a
// clean shutdown on SIGTERM. Run: node --test tests/examples/quickstart.test.mjs (FAUTH_QUICKSTART
// names the binary).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { startQuickstart, stopQuickstart } from '../support/quickstart.mjs';
import { lintOpenApi, openApiProblems } from '../support/openapi_lint.mjs';

const binary = process.env.FAUTH_QUICKSTART ?? 'build/bin/fauth-quickstart';
let server;

before(async () => { server = await startQuickstart(binary); });
after(async () => { if (server) await stopQuickstart(server.child); });

async function call(path, { token, ...init } = {}) {
  const headers = { ...(init.headers ?? {}) };
  if (token) headers.Authorization = `Bearer ${token}`;
  const res = await fetch(server.base + path, { ...init, headers });
  const text = await res.text();
  let json;
  try { json = JSON.parse(text); } catch { json = undefined; }
  return { status: res.status, headers: res.headers, json, text };
}

// Resolves true once the server's output after offset `from` (its security events are JSON lines
// on standard error, which may arrive after the answer) holds `text`; false after 5 s.
async function logged(text, from = 0) {
  const until = Date.now() + 5000;
  while (!server.output().slice(from).includes(text)) {
    if (Date.now() > until) return false;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return true;
}

// An HMAC-signed JWT with `claims`, signed by `key` (not the server's).
function hmacToken(alg, key, claims) {
  const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const input = `${b64({ alg, typ: 'JWT' })}.${b64(claims)}`;
  const digest = { HS256: 'sha256', HS512: 'sha512' }[alg];
  return `${input}.${createHmac(digest, key).update(input).digest('base64url')}`;
}

async function login(username, password) {
  const res = await call('/login', {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ username, password }).toString(),
  });
  return res;
}

test('GET /health is public', async () => {
  const r = await call('/health');
  assert.equal(r.status, 200);
  assert.deepEqual(r.json, { status: 'ok' });
});

test('POST /login issues tokens, or 401 Invalid credentials', async () => {
  const ok = await login('alice', 's3cret');
  assert.equal(ok.status, 200);
  assert.equal(ok.json.token_type, 'bearer');
  assert.equal(ok.json.expires_in, 900);
  assert.ok(ok.json.access_token.split('.').length === 3);
  assert.ok(ok.json.refresh_token);
  const json = await call('/login', { method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username: 'bob', password: 'hunter2' }) });
  assert.equal(json.status, 200);
  const bad = await login('alice', 'nope');
  assert.equal(bad.status, 401);
  assert.deepEqual(bad.json, { detail: 'Invalid credentials' });
  assert.equal(bad.headers.get('www-authenticate'), 'Bearer');
  const carol = await login('carol', 'letmein');
  assert.equal(carol.status, 403);
  assert.deepEqual(carol.json, { detail: 'Inactive user' });
});

test('protected routes answer per user, role and permission', async () => {
  const alice = (await login('alice', 's3cret')).json.access_token;
  const bob = (await login('bob', 'hunter2')).json.access_token;
  assert.deepEqual((await call('/me', { token: alice })).json, { message: 'Hello alice' });
  assert.deepEqual((await call('/me', { token: bob })).json, { message: 'Hello bob' });
  assert.deepEqual((await call('/admin', { token: alice })).json, { secret_data: 'Top secret admin info' });
  const denied = await call('/admin', { token: bob });
  assert.equal(denied.status, 403);
  assert.deepEqual(denied.json, { detail: 'Missing role: admin' });
  assert.deepEqual((await call('/internal/dashboard', { token: bob })).json, { data: 'Secure dashboard' });
  assert.deepEqual((await call('/internal/reports', { token: alice })).json, { reports: [] });
  const reports = await call('/internal/reports', { token: bob });
  assert.equal(reports.status, 403);
  assert.deepEqual(reports.json, { detail: 'Insufficient permissions: requires write permission' });
});

test('POST /refresh rotates and POST /logout ends the session', async () => {
  const first = (await login('alice', 's3cret')).json;
  const refresh = (token) => call('/refresh', { method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ refresh_token: token }) });
  const second = await refresh(first.refresh_token);
  assert.equal(second.status, 200);
  assert.notEqual(second.json.access_token, first.access_token);
  // The same token again at once (a second tab, a retry after a lost answer): the same pair.
  const repeat = await refresh(first.refresh_token);
  assert.equal(repeat.status, 200);
  assert.deepEqual(repeat.json, second.json);
  assert.equal((await refresh(second.json.refresh_token)).status, 200, 'the session moves on');
  const reused = await refresh(first.refresh_token);
  assert.equal(reused.status, 401);
  assert.deepEqual(reused.json, { detail: 'Invalid token' });
  const third = (await login('alice', 's3cret')).json;
  const mark = server.output().length;
  const out = await call('/logout', { method: 'POST', token: third.access_token });
  assert.equal(out.status, 204);
  const after = await call('/me', { token: third.access_token });
  assert.equal(after.status, 401);
  assert.deepEqual(after.json, { detail: 'Invalid token' });
  assert.ok(await logged('"event":"token_refused","reason":"Invalid token: token revoked"', mark), server.output());
});

test('a refused token gets one fixed detail, and its reason goes to the security log (review F10)', async () => {
  // The review's reproduction: these told the client which check failed.
  const now = Math.floor(Date.now() / 1000);
  const claims = { sub: 'alice', iat: now, exp: now + 300, jti: randomBytes(16).toString('hex'), token_type: 'access' };
  const anyKey = randomBytes(64).toString('hex');
  const cases = [
    [hmacToken('HS512', anyKey, claims), 'algorithm not allowed'],
    [hmacToken('HS256', anyKey, claims), 'signature mismatch'],
  ];
  const bodies = new Set();
  for (const [token, reason] of cases) {
    const mark = server.output().length;
    const r = await call('/me', { token });
    assert.equal(r.status, 401, reason);
    assert.equal(r.headers.get('www-authenticate'), 'Bearer error="invalid_token", APIKey header="X-API-Key"');
    assert.deepEqual(r.json, { detail: 'Invalid token' }, reason);
    bodies.add(r.text);
    assert.ok(await logged(`"event":"token_refused","reason":"Invalid token: ${reason}","client":"127.0.0.1","path":"/me"`, mark),
      `${reason} not in the log:\n${server.output()}`);
  }
  assert.equal(bodies.size, 1, 'byte for byte the same answer');
  const first = (await login('alice', 's3cret')).json;
  const refresh = () => call('/refresh', { method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ refresh_token: first.refresh_token }) });
  const second = await refresh();
  assert.equal(second.status, 200);
  // Once the session has moved on (the new refresh token used), the first token is reuse.
  const moved = await call('/refresh', { method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ refresh_token: second.json.refresh_token }) });
  assert.equal(moved.status, 200);
  const mark = server.output().length;
  const reuse = await refresh();
  assert.equal(reuse.status, 401);
  assert.deepEqual(reuse.json, { detail: 'Invalid token' });
  assert.ok(await logged('"reason":"Invalid token: refresh token reuse detected","client":"127.0.0.1","path":"/refresh"', mark),
    server.output());
  assert.ok(await logged('"event":"refresh_reuse","reason":"refresh token reuse detected; session family revoked"', mark));
});

test('missing and bad tokens are 401 with WWW-Authenticate', async () => {
  for (const path of ['/me', '/admin', '/internal/dashboard', '/internal/reports']) {
    const none = await call(path);
    assert.equal(none.status, 401, path);
    assert.deepEqual(none.json, { detail: 'Not authenticated' });
    const challenge = path === '/me' ? 'Bearer, APIKey header="X-API-Key"' : 'Bearer';
    assert.equal(none.headers.get('www-authenticate'), challenge, path);
    const bad = await call(path, { token: 'a.b.c' });
    assert.equal(bad.status, 401, path);
    const apiKey = path === '/me' ? ', APIKey header="X-API-Key"' : '';
    assert.equal(bad.headers.get('www-authenticate'), `Bearer error="invalid_token"${apiKey}`, path);
    assert.deepEqual(bad.json, { detail: 'Invalid token' }, path);
  }
});

test("GET /me takes alice's API key from the start-up output, and refuses bad keys without falling through", async () => {
  const key = server.output().match(/API key \(shown once\): (fauth_[0-9a-f]{16}_[A-Za-z0-9_-]{43})/)?.[1];
  assert.ok(key, 'the quickstart prints the key once');
  const ok = await call('/me', { headers: { 'X-API-Key': key } });
  assert.equal(ok.status, 200);
  assert.deepEqual(ok.json, { message: 'Hello alice' });
  const forged = key.slice(0, -1) + (key.endsWith('A') ? 'B' : 'A');
  const bad = await call('/me', { headers: { 'X-API-Key': forged } });
  assert.equal(bad.status, 401);
  assert.deepEqual(bad.json, { detail: 'Invalid API key' });
  // A bad key next to a good bearer token is still refused: the first scheme present decides.
  const token = (await login('alice', 's3cret')).json.access_token;
  const both = await call('/me', { token: 'a.b.c', headers: { 'X-API-Key': key } });
  assert.equal(both.status, 401);
  const good = await call('/me', { token, headers: { 'X-API-Key': forged } });
  assert.equal(good.status, 200);
  // Routes that take only bearer tokens do not read the key.
  const admin = await call('/admin', { headers: { 'X-API-Key': key } });
  assert.equal(admin.status, 401);
  assert.equal(admin.headers.get('www-authenticate'), 'Bearer');
  // The key is in the start-up banner (shown once, and the curl line) and nowhere else: no log
  // line of the requests above repeats it, good or forged.
  const lines = server.output().split('\n').filter((l) => l.includes(key.slice(0, 22)));
  assert.deepEqual(lines.map((l) => l.trim().split(' ')[0]), ["alice's", 'curl']);
});

test('GET /openapi.json documents every route with the security schemes', async () => {
  const doc = (await call('/openapi.json')).json;
  assert.equal(doc.openapi, '3.1.0');
  assert.equal(doc.components.securitySchemes.OAuth2PasswordBearer.flows.password.tokenUrl, '/login');
  for (const p of ['/me', '/admin', '/internal/dashboard', '/internal/reports']) assert.ok(doc.paths[p].get.security.length > 0, p);
  assert.deepEqual(doc.paths['/health'].get.security, [], 'public on purpose');
  assert.deepEqual(doc.servers, [{ url: '/' }], 'the origin it is served from');
  assert.deepEqual(doc.paths['/internal/dashboard'].get.tags, ['Protected']);
});

test('the OpenAPI document passes an independent linter (Redocly, recommended rules)', async () => {
  const doc = (await call('/openapi.json')).json;
  assert.equal(await openApiProblems(doc), '');
  // The linter fails the document as fauth served it before: no `servers`, public operations
  // without `security`.
  const before = structuredClone(doc);
  delete before.servers;
  for (const p of ['/health', '/login', '/refresh']) for (const op of Object.values(before.paths[p])) delete op.security;
  const errors = (await lintOpenApi(before)).filter((p) => p.severity === 'error').map((p) => `${p.rule} ${p.at}`);
  assert.deepEqual(errors.sort(), ['no-empty-servers #/openapi', 'security-defined #/paths/~1health/get',
    'security-defined #/paths/~1login/post', 'security-defined #/paths/~1refresh/post']);
});

test('GET /docs serves Swagger UI from disk', async () => {
  const page = await call('/docs');
  assert.equal(page.status, 200);
  assert.match(page.text, /swagger-ui-bundle\.js/);
  const bundle = await fetch(server.base + '/docs/swagger-ui-bundle.js');
  assert.equal(bundle.status, 200);
  assert.ok((await bundle.text()).length > 100000);
});

test('SIGTERM shuts it down cleanly', async () => {
  const code = await stopQuickstart(server.child);
  server = undefined;
  assert.equal(code, 0);
});
