// examples/notes_api over real HTTP on a temporary SQLite database: registration, login,
// ownership isolation, the admin route, rehash on login, duplicates and bad input, and two
// processes writing to one database. Run: node --test tests/examples/notes_api.test.mjs
// (FAUTH_NOTES and FAUTH_CLI name the binaries).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startQuickstart as start, stopQuickstart as stop } from '../support/quickstart.mjs';

const notesBinary = process.env.FAUTH_NOTES ?? 'build/bin/fauth-notes';
const cliBinary = process.env.FAUTH_CLI ?? 'build/bin/fauth';
const dir = mkdtempSync(join(tmpdir(), 'fauth-notes-'));
const db = join(dir, 'notes.db');
const env = { FAUTH_DB: db, FAUTH_BCRYPT_COST: '5', FAUTH_SECRET_KEY: 'notes-test-secret-key-of-32-bytes!!' };
let server;
let api;

before(async () => {
  server = await start(notesBinary, env);
  api = `${server.base}/api/v1`;
});
after(async () => {
  if (server) await stop(server.child);
  rmSync(dir, { recursive: true, force: true });
});

async function call(path, { token, json, form, method, rawBody, contentType } = {}) {
  const headers = { Connection: 'close' };
  let body;
  if (token) headers.Authorization = `Bearer ${token}`;
  if (json !== undefined) { headers['Content-Type'] = 'application/json'; body = JSON.stringify(json); }
  if (form) { headers['Content-Type'] = 'application/x-www-form-urlencoded'; body = new URLSearchParams(form); }
  if (rawBody !== undefined) { headers['Content-Type'] = contentType ?? 'application/json'; body = rawBody; }
  const r = await fetch(`${api}${path}`, { method: method ?? (body === undefined ? 'GET' : 'POST'), headers, body });
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : null };
}

async function register(email, password = 'correct horse') {
  return call('/auth/register', { json: { email, password } });
}

async function login(email, password = 'correct horse') {
  const r = await call('/auth/token', { form: { username: email, password } });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body.access_token;
}

test('register, log in, see yourself', async () => {
  const r = await register('ada@example.com');
  assert.equal(r.status, 201);
  assert.equal(r.body.email, 'ada@example.com');
  assert.match(r.body.id, /^[0-9a-f]{32}$/);
  const token = await login('ada@example.com');
  const me = await call('/auth/me', { token });
  assert.deepEqual(me.body, { id: r.body.id, email: 'ada@example.com', roles: [] });
  assert.equal((await call('/auth/me')).status, 401);
  assert.equal((await call('/auth/token', { form: { username: 'ada@example.com', password: 'wrong password' } })).status, 401);
});

test('a duplicate email is a 409, whatever its case', async () => {
  assert.equal((await register('dup@example.com')).status, 201);
  const again = await register('DUP@example.com');
  assert.equal(again.status, 409);
  assert.deepEqual(again.body, { detail: 'Email already registered' });
});

test('bad registrations are refused with a reason', async () => {
  for (const [body, detail] of [
    [{ email: 'not-an-email', password: 'correct horse' }, 'email is not a valid address'],
    [{ email: 'a b@example.com', password: 'correct horse' }, 'email is not a valid address'],
    [{ email: 'x@nodot', password: 'correct horse' }, 'email is not a valid address'],
    [{ email: 'e@example.com', password: '' }, 'password must not be empty'],
    [{ email: 'e@example.com', password: 'short' }, 'password must be at least 8 characters'],
    [{ email: 'e@example.com' }, 'password is required'],
    [{ password: 'correct horse' }, 'email is required'],
    [{ email: 42, password: 'correct horse' }, 'email is required'],
  ]) {
    const r = await call('/auth/register', { json: body });
    assert.equal(r.status, 422, JSON.stringify(body));
    assert.equal(r.body.detail, detail);
  }
  assert.equal((await call('/auth/register', { rawBody: '{"email": ' })).status, 422, 'invalid JSON');
  assert.equal((await call('/auth/register', { rawBody: '[1,2]' })).status, 422, 'not an object');
  assert.equal((await call('/auth/register', { rawBody: '{}', contentType: 'text/plain' })).status, 415);
  const huge = JSON.stringify({ email: 'h@example.com', password: 'x'.repeat(20000) });
  assert.equal((await call('/auth/register', { rawBody: huge })).status, 413);
  assert.equal((await register('long@example.com', 'x'.repeat(2000))).status, 422, 'password too long');
});

test('each user sees and changes only their own notes; others get 404, never 403', async () => {
  await register('owner@example.com');
  await register('other@example.com');
  const owner = await login('owner@example.com');
  const other = await login('other@example.com');
  const created = await call('/notes', { token: owner, json: { title: 'mine', body: 'secret' } });
  assert.equal(created.status, 201);
  const id = created.body.id;
  assert.equal((await call(`/notes/${id}`, { token: owner })).body.body, 'secret');
  assert.deepEqual((await call('/notes', { token: other })).body, []);
  for (const [method, json] of [['GET'], ['PUT', { title: 'stolen' }], ['DELETE']]) {
    const r = await call(`/notes/${id}`, { token: other, method, json });
    assert.equal(r.status, 404, method);
    assert.deepEqual(r.body, { detail: 'Note not found' });
  }
  assert.equal((await call(`/notes/${id + 1000}`, { token: owner })).status, 404, 'absent is the same 404');
  assert.equal((await call('/notes/abc', { token: owner })).status, 404);
  const updated = await call(`/notes/${id}`, { token: owner, method: 'PUT', json: { title: 'renamed', body: 'b2' } });
  assert.equal(updated.status, 200);
  assert.equal(updated.body.title, 'renamed');
  assert.equal((await call(`/notes/${id}`, { token: owner })).body.title, 'renamed', 'the other user changed nothing');
  assert.equal((await call('/notes', { token: owner, json: { body: 'no title' } })).status, 422);
  assert.equal((await call('/notes', { token: owner, rawBody: 'nope' })).status, 422);
  assert.equal((await call(`/notes/${id}`, { token: owner, method: 'DELETE' })).status, 204);
  assert.equal((await call(`/notes/${id}`, { token: owner })).status, 404);
  assert.equal((await call('/notes')).status, 401);
});

test('the admin route needs role admin, granted with the CLI', async () => {
  await register('boss@example.com');
  let token = await login('boss@example.com');
  assert.equal((await call('/admin/users', { token })).status, 403);
  execFileSync(cliBinary, ['users', 'set-roles', '--db', db, '--email', 'boss@example.com', '--role', 'admin']);
  token = await login('boss@example.com');
  const users = await call('/admin/users', { token });
  assert.equal(users.status, 200);
  assert.ok(users.body.some((u) => u.email === 'boss@example.com' && u.roles.includes('admin')));
  assert.ok(users.body.every((u) => !('hashed_password' in u)), 'hashes never leave the server');
});

test('a weaker stored hash is upgraded at login', async () => {
  // Added by the CLI at cost 4; the server is configured for cost 5.
  execFileSync(cliBinary, ['users', 'add', '--db', db, '--email', 'old@example.com', '--cost', '4'], { input: 'correct horse\n' });
  const cost = () => execFileSync('sqlite3', [db, "SELECT substr(hashed_password, 5, 2) FROM users WHERE email = 'old@example.com'"]).toString().trim();
  assert.equal(cost(), '04');
  await login('old@example.com');
  assert.equal(cost(), '05');
  await login('old@example.com');  // and the new hash works
});

test('deactivated users cannot log in or use their tokens', async () => {
  await register('gone@example.com');
  const token = await login('gone@example.com');
  execFileSync(cliBinary, ['users', 'deactivate', '--db', db, '--email', 'gone@example.com']);
  assert.equal((await call('/auth/me', { token })).status, 403);
  assert.equal((await call('/auth/token', { form: { username: 'gone@example.com', password: 'correct horse' } })).status, 403);
});

test('refresh and logout work on the database-backed users', async () => {
  await register('sess@example.com');
  const r = await call('/auth/token', { form: { username: 'sess@example.com', password: 'correct horse' } });
  const refreshed = await call('/auth/refresh', { json: { refresh_token: r.body.refresh_token } });
  assert.equal(refreshed.status, 200);
  assert.equal((await call('/auth/logout', { token: refreshed.body.access_token, method: 'POST' })).status, 204);
  assert.equal((await call('/auth/me', { token: refreshed.body.access_token })).status, 401);
});

test('two processes write to one database at once', async () => {
  const second = await start(notesBinary, env);
  try {
    const other = `${second.base}/api/v1`;
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) =>
      fetch(`${i % 2 ? api : other}/auth/register`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Connection: 'close' },
        body: JSON.stringify({ email: `many${i}@example.com`, password: 'correct horse' }),
      }).then((r) => r.status)));
    assert.deepEqual(results, Array(20).fill(201));
    const token = await login('many7@example.com');
    assert.equal((await call('/auth/me', { token })).status, 200);
  } finally {
    await stop(second.child);
  }
});
