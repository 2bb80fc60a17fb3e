// Two quickstart processes on one real redis-server (FAUTH_REDIS_URL): a logout on one is
// honoured by the other, and so is refresh-token reuse detection.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import net from 'node:net';
import { startQuickstart, stopQuickstart } from '../support/quickstart.mjs';

const binary = process.env.FAUTH_QUICKSTART ?? 'build/bin/fauth-quickstart';
let redis;
let a;
let b;

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => { const { port } = srv.address(); srv.close(() => resolve(port)); });
  });
}

async function waitForPort(port) {
  for (let i = 0; i < 200; i++) {
    const ok = await new Promise((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => { s.end(); resolve(true); });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('redis-server did not start');
}

before(async () => {
  const port = await freePort();
  redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' });
  await waitForPort(port);
  const env = { FAUTH_REDIS_URL: `redis://127.0.0.1:${port}/0`, FAUTH_SECRET_KEY: 'two-processes-share-this-32-byte-key' };
  [a, b] = await Promise.all([startQuickstart(binary, env), startQuickstart(binary, env)]);
});

after(async () => {
  for (const s of [a, b]) if (s) await stopQuickstart(s.child);
  if (redis) redis.kill('SIGTERM');
});

async function post(server, path, { token, json } = {}) {
  const headers = {};
  if (token) headers.Authorization = `Bearer ${token}`;
  if (json) headers['Content-Type'] = 'application/json';
  const res = await fetch(server.base + path, { method: 'POST', headers, body: json ? JSON.stringify(json) : undefined });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined };
}

// Resolves true once `server`'s output after offset `from` (security events are JSON lines on
// standard error, which may arrive after the answer) holds `text`; false after 5 s.
async function logged(server, text, from) {
  const until = Date.now() + 5000;
  while (!server.output().slice(from).includes(text)) {
    if (Date.now() > until) return false;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return true;
}

async function me(server, token) {
  const res = await fetch(server.base + '/me', { headers: { Authorization: `Bearer ${token}` } });
  return { status: res.status, json: await res.json() };
}

// `token`'s answer at `server` once it is refused. Another process's revocation cache may answer
// an access token until Redis's invalidation message reaches it (docs/guides/redis.md, "How
// stale": one network hop, well under a millisecond here). 250 ms, a quarter of the cache's
// max age (1 s), so that an entry expiring cannot pass for an invalidation.
async function revokedAt(server, token) {
  const sent = Date.now();
  let answer = await me(server, token);
  while (answer.status === 200 && Date.now() - sent < 250) answer = await me(server, token);
  assert.equal(answer.status, 401, `still accepted ${Date.now() - sent} ms after its revocation`);
  return answer;
}

test('a logout on one process is honoured by the other', async () => {
  const login = (await post(a, '/login', { json: { username: 'alice', password: 's3cret' } })).json;
  assert.equal((await me(b, login.access_token)).status, 200, 'B accepts what A issued');
  const mark = b.output().length;
  assert.equal((await post(a, '/logout', { token: login.access_token })).status, 204);
  const after = await revokedAt(b, login.access_token);
  assert.deepEqual(after.json, { detail: 'Invalid token' });
  assert.ok(await logged(b, '"reason":"Invalid token: token revoked"', mark), b.output());
  const refresh = await post(b, '/refresh', { json: { refresh_token: login.refresh_token } });
  assert.equal(refresh.status, 401);
});

test('refresh-token reuse across processes ends the session everywhere', async () => {
  const login = (await post(a, '/login', { json: { username: 'bob', password: 'hunter2' } })).json;
  const rotated = await post(a, '/refresh', { json: { refresh_token: login.refresh_token } });
  assert.equal(rotated.status, 200);
  // The same token at the other process at once (its answer from the first was lost): the same pair.
  const repeat = await post(b, '/refresh', { json: { refresh_token: login.refresh_token } });
  assert.equal(repeat.status, 200);
  assert.deepEqual(repeat.json, rotated.json);
  const moved = await post(b, '/refresh', { json: { refresh_token: rotated.json.refresh_token } });
  assert.equal(moved.status, 200, 'the session moves on');
  const mark = b.output().length;
  const reuse = await post(b, '/refresh', { json: { refresh_token: login.refresh_token } });
  assert.equal(reuse.status, 401);
  assert.deepEqual(reuse.json, { detail: 'Invalid token' });
  assert.ok(await logged(b, '"reason":"Invalid token: refresh token reuse detected"', mark), b.output());
  await revokedAt(a, rotated.json.access_token);
  assert.equal((await me(b, rotated.json.access_token)).status, 401, 'B wrote the revocation: its own cache forgot the key');
  await revokedAt(a, moved.json.access_token);
});
