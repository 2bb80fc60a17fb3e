// examples/notes_api over real HTTP on a temporary SQLite database: registration (that tells no
// one who is registered) and e-mail verification, login, forgotten and changed passwords,
// ownership isolation, API keys (made, scoped, listed, revoked; by the API and notes-admin), the admin route, rehash on login, duplicates and bad input, throttled
// mail, the OpenAPI document, and two processes writing to one database. Run: node --test tests/examples/notes_api.test.mjs
// (FAUTH_NOTES and FAUTH_NOTES_ADMIN name the binaries).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startQuickstart as start, stopQuickstart as stop } from '../support/quickstart.mjs';
import { lintOpenApi, openApiProblems } from '../support/openapi_lint.mjs';
import { mails as mailsOf, mailAfter as mailAfterOf } from '../support/mail.mjs';

const notesBinary = process.env.FAUTH_NOTES ?? 'build/bin/fauth-notes';
const adminBinary = process.env.FAUTH_NOTES_ADMIN ?? 'build/bin/notes-admin';
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

async function call(path, { token, apiKey, json, form, method, rawBody, contentType, userAgent } = {}) {
  const headers = { Connection: 'close' };
  if (userAgent) headers['User-Agent'] = userAgent;
  let body;
  if (token) headers.Authorization = `Bearer ${token}`;
  if (apiKey) headers['X-API-Key'] = apiKey;
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

// The mails the example's mailer wrote to the log of `from` (the first server by default).
const mails = (to, from = server) => mailsOf(from, to);
const mailAfter = (to, before, from = server) => mailAfterOf(from, to, before);
// `action`'s result and the mail to `to` it caused.
async function mailed(to, action) {
  const before = mails(to).length;
  const result = await action();
  return { result, mail: await mailAfter(to, before) };
}

// Registers `email` and follows the verification mail: the account can log in afterwards.
async function registerVerified(email, password = 'correct horse') {
  const { result: r, mail } = await mailed(email, () => register(email, password));
  assert.equal(r.status, 202, JSON.stringify(r.body));
  assert.equal(mail.subject, 'Confirm your address');
  const verified = await call('/auth/verify', { json: { token: mail.token } });
  assert.equal(verified.status, 200, JSON.stringify(verified.body));
}

async function login(email, password = 'correct horse') {
  const r = await call('/auth/token', { form: { username: email, password } });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body.access_token;
}

test('register, verify the address, log in, see yourself', async () => {
  const { result: r, mail } = await mailed('ada@example.com', () => register('ada@example.com'));
  assert.equal(r.status, 202);
  assert.match(r.body.detail, /message with the next step/);
  const form = { username: 'ada@example.com', password: 'correct horse' };
  const early = await call('/auth/token', { form });
  assert.equal(early.status, 401, 'an unverified address cannot log in');
  const unknown = await call('/auth/token', { form: { username: 'nobody-at-all@example.com', password: 'correct horse' } });
  assert.deepEqual(early.body, unknown.body, 'as for an unknown one');
  assert.equal(mail.subject, 'Confirm your address');
  assert.equal((await call('/auth/verify', { json: { token: mail.token } })).status, 200);
  const token = await login('ada@example.com');
  const me = await call('/auth/me', { token });
  assert.equal(me.body.email, 'ada@example.com');
  assert.match(me.body.id, /^[0-9a-f]{32}$/);
  assert.deepEqual(me.body.roles, []);
  assert.equal(me.body.is_verified, true);
  assert.equal((await call('/auth/me')).status, 401);
  assert.equal((await call('/auth/token', { form: { username: 'ada@example.com', password: 'wrong password' } })).status, 401);
});

test('verification refuses bad tokens and can be asked for again', async () => {
  const verification = mails('ada@example.com').at(-1);
  for (const token of ['garbage', verification.token + 'x', verification.token.replace(/\.[^.]*$/, '.AAAA')]) {
    const r = await call('/auth/verify', { json: { token } });
    assert.equal(r.status, 400);
    assert.deepEqual(r.body, { detail: 'Invalid or expired token' });
  }
  assert.equal((await call('/auth/verify', { json: {} })).status, 422);
  const unknown = await call('/auth/request-verify-token', { json: { email: 'nobody@example.com' } });
  assert.equal(unknown.status, 202, 'the same answer for an unknown address');
  await mailed('late@example.com', () => register('late@example.com'));
  const again = await mailed('late@example.com', () => call('/auth/request-verify-token', { json: { email: 'late@example.com' } }));
  assert.equal(again.result.status, 202);
  assert.equal(again.mail.subject, 'Confirm your address');
  assert.equal(mails('nobody@example.com').length, 0, 'no mail to an unknown address (its request came first)');
  // A password-reset token is not a verification token.
  const reset = await mailed('ada@example.com', () => call('/auth/forgot-password', { json: { email: 'ada@example.com' } }));
  assert.equal(reset.mail.subject, 'Reset your password');
  assert.equal((await call('/auth/verify', { json: { token: reset.mail.token } })).status, 400);
});

test('registering a taken address tells nothing, and its owner gets a way forward', async () => {
  await registerVerified('dup@example.com');
  const first = await register('dup@example.com', 'another password');
  const { result: again, mail } = await mailed('dup@example.com', () => register('DUP@example.com', 'another password'));
  const fresh = await register('fresh-dup@example.com', 'another password');
  for (const r of [first, again]) assert.deepEqual({ status: r.status, body: r.body }, { status: fresh.status, body: fresh.body });
  assert.equal((await call('/auth/token', { form: { username: 'dup@example.com', password: 'another password' } })).status, 401,
    'the second password set nothing');
  await login('dup@example.com');  // the owner's still works
  assert.match(mail.subject, /already registered/);
  const reset = await call('/auth/reset-password', { json: { token: mail.token, password: 'owner picks this' } });
  assert.equal(reset.status, 200, 'the mail carries a reset token for the owner');
  await login('dup@example.com', 'owner picks this');
});

test('registering a known address in another letter case mails the stored address, never the spelling typed', async () => {
  await registerVerified('case-victim@example.com');
  const stored = mails('case-victim@example.com').length;
  const r = await register('CASE-VICTIM@example.com', 'attacker password');
  assert.equal(r.status, 202);
  const mail = await mailAfter('case-victim@example.com', stored);
  assert.match(mail.subject, /already registered/);
  assert.equal(mails('CASE-VICTIM@example.com').length, 0, 'the reset token never goes to the spelling typed');
  // A new address is kept in its one form (the whole address in lower case), and mailed there.
  const { mail: confirm } = await mailed('new-mixed@example.com', () => register('New-Mixed@Example.COM'));
  assert.equal(confirm.subject, 'Confirm your address');
  assert.equal(mails('New-Mixed@Example.COM').length, 0);
  assert.equal((await call('/auth/verify', { json: { token: confirm.token } })).status, 200);
  const me = await call('/auth/me', { token: await login('NEW-MIXED@example.com') });
  assert.equal(me.body.email, 'new-mixed@example.com');
});

test('an address squatted by someone else is won back by its owner', async () => {
  assert.equal((await register('victim@example.com', 'squatter password')).status, 202);
  assert.equal((await call('/auth/token', { form: { username: 'victim@example.com', password: 'squatter password' } })).status, 401);
  const { mail } = await mailed('victim@example.com', () => register('victim@example.com', 'the real owner'));
  assert.match(mail.subject, /already registered/);
  const reset = await call('/auth/reset-password', { json: { token: mail.token, password: 'the real owner' } });
  assert.equal(reset.status, 200);
  await login('victim@example.com', 'the real owner');  // verified by the mailed reset token
  assert.equal((await call('/auth/token', { form: { username: 'victim@example.com', password: 'squatter password' } })).status, 401);
});

test('forgot and reset password: the token works once and every session and API key ends', async () => {
  await registerVerified('forgot@example.com');
  const session = await call('/auth/token', { form: { username: 'forgot@example.com', password: 'correct horse' } });
  const key = (await call('/keys', { token: session.body.access_token, json: { name: 'made by a thief?', scopes: ['notes:*'] } })).body.key;
  assert.equal((await call('/notes', { apiKey: key })).status, 200);
  const unknown = await call('/auth/forgot-password', { json: { email: 'ghost@example.com' } });
  const { result: known, mail } = await mailed('forgot@example.com', () => call('/auth/forgot-password', { json: { email: 'forgot@example.com' } }));
  assert.deepEqual({ status: known.status, body: known.body }, { status: unknown.status, body: unknown.body });
  assert.equal(mails('ghost@example.com').length, 0, 'no mail to an unknown address (its request came first)');
  assert.equal(mail.subject, 'Reset your password');
  assert.equal((await call('/auth/reset-password', { json: { token: mail.token, password: 'short' } })).status, 422);
  assert.equal((await call('/auth/reset-password', { json: { password: 'long enough' } })).status, 422);
  assert.equal((await call('/auth/reset-password', { json: { token: 'garbage', password: 'long enough' } })).status, 400);
  const r = await call('/auth/reset-password', { json: { token: mail.token, password: 'brand new secret' } });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  const reused = await call('/auth/reset-password', { json: { token: mail.token, password: 'attacker secret' } });
  assert.equal(reused.status, 400, 'a reset token works once');
  assert.equal((await call('/auth/me', { token: session.body.access_token })).status, 401, 'the old session ended');
  assert.deepEqual((await call('/notes', { apiKey: key })).body, { detail: 'API key revoked' }, 'and its keys');
  assert.equal((await call('/auth/refresh', { json: { refresh_token: session.body.refresh_token } })).status, 401);
  assert.equal((await call('/auth/token', { form: { username: 'forgot@example.com', password: 'correct horse' } })).status, 401);
  await login('forgot@example.com', 'brand new secret');
});

test('mail to one address is throttled', async () => {
  await registerVerified('flood@example.com');
  const statuses = [];
  for (let i = 0; i < 4; i++) statuses.push((await call('/auth/forgot-password', { json: { email: 'flood@example.com' } })).status);
  assert.deepEqual(statuses.slice(0, 2), [202, 202]);
  const last = await fetch(`${api}/auth/forgot-password`, { method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ email: 'FLOOD@example.com' }) });
  assert.equal(last.status, 429, 'three mails at once per address (the registration mail counted), whatever its case');
  assert.ok(Number(last.headers.get('retry-after')) > 0);
  assert.equal(statuses.at(-1), 429);
  await mailAfter('flood@example.com', 2);
  assert.equal(mails('flood@example.com').length, 3, 'the refused requests mailed nothing');
});

test('change password: the old one is required, other sessions end, a new pair comes back', async () => {
  await registerVerified('change@example.com');
  const other = await call('/auth/token', { form: { username: 'change@example.com', password: 'correct horse' } });
  const mine = await login('change@example.com');
  const wrong = await call('/auth/change-password', { token: mine, json: { old_password: 'not it', new_password: 'new secret 1' } });
  assert.equal(wrong.status, 400);
  assert.deepEqual(wrong.body, { detail: 'Old password is incorrect' });
  assert.equal((await call('/auth/change-password', { token: mine, json: { old_password: 'correct horse', new_password: 'short' } })).status, 422);
  assert.equal((await call('/auth/change-password', { json: { old_password: 'correct horse', new_password: 'new secret 1' } })).status, 401);
  const r = await call('/auth/change-password', { token: mine, userAgent: 'Changer/1.0',
    json: { old_password: 'correct horse', new_password: 'new secret 1' } });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(r.body.token_type, 'bearer');
  assert.equal((await call('/auth/me', { token: r.body.access_token })).status, 200, 'the new pair works');
  const sessions = await call('/auth/sessions', { token: r.body.access_token });
  assert.deepEqual(sessions.body.map((s) => [s.user_agent, s.client, s.current]), [['Changer/1.0', '127.0.0.1', true]],
    'the new pair is the one listed session');
  assert.equal((await call('/auth/me', { token: mine })).status, 401, 'this session ended');
  assert.equal((await call('/auth/me', { token: other.body.access_token })).status, 401, 'and every other');
  assert.equal((await call('/auth/refresh', { json: { refresh_token: other.body.refresh_token } })).status, 401);
  assert.equal((await call('/auth/refresh', { json: { refresh_token: r.body.refresh_token } })).status, 200);
  await login('change@example.com', 'new secret 1');
});

test('every account route is in the OpenAPI document', async () => {
  const doc = await (await fetch(`${server.base}/openapi.json`)).json();
  for (const path of ['register', 'request-verify-token', 'verify', 'forgot-password', 'reset-password', 'change-password',
    'session', 'token', 'refresh', 'logout', 'me', 'sessions', 'sessions/{id}']) {
    assert.ok(doc.paths[`/api/v1/auth/${path}`], path);
  }
  assert.ok(doc.paths['/api/v1/auth/change-password'].post.security.length > 0, 'change-password needs a session');
  assert.deepEqual(doc.paths['/api/v1/auth/forgot-password'].post.security, [], 'public on purpose');
  assert.deepEqual(doc.paths['/api/v1/auth/reset-password'].post.requestBody.content['application/json'].schema.required,
    ['token', 'password']);
  assert.ok(doc.components.securitySchemes.SessionCookie, 'the browser session is a scheme too');
});

test('the OpenAPI document passes an independent linter (Redocly, recommended rules)', async () => {
  const doc = await (await fetch(`${server.base}/openapi.json`)).json();
  assert.equal(await openApiProblems(doc), '');
  // The linter fails it without `servers` or with a public operation's `security` left out.
  const before = structuredClone(doc);
  delete before.servers;
  delete before.paths['/api/v1/auth/forgot-password'].post.security;
  const errors = (await lintOpenApi(before)).filter((p) => p.severity === 'error').map((p) => `${p.rule} ${p.at}`);
  assert.deepEqual(errors.sort(), ['no-empty-servers #/openapi', 'security-defined #/paths/~1api~1v1~1auth~1forgot-password/post']);
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
  await registerVerified('owner@example.com');
  await registerVerified('other@example.com');
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

test('the admin route needs role admin, granted with notes-admin', async () => {
  await registerVerified('boss@example.com');
  let token = await login('boss@example.com');
  assert.equal((await call('/admin/users', { token })).status, 403);
  execFileSync(adminBinary, ['users', 'set-roles', '--db', db, '--email', 'boss@example.com', '--role', 'admin']);
  token = await login('boss@example.com');
  const users = await call('/admin/users', { token });
  assert.equal(users.status, 200);
  assert.ok(users.body.some((u) => u.email === 'boss@example.com' && u.roles.includes('admin')));
  assert.ok(users.body.every((u) => !('hashed_password' in u)), 'hashes never leave the server');
});

test('a weaker stored hash is upgraded at login', async () => {
  // Added by notes-admin at cost 4; the server is configured for cost 5.
  execFileSync(adminBinary, ['users', 'add', '--db', db, '--email', 'old@example.com', '--cost', '4'], { input: 'correct horse\n' });
  const cost = () => execFileSync('sqlite3', [db, "SELECT substr(hashed_password, 5, 2) FROM users WHERE email = 'old@example.com'"]).toString().trim();
  assert.equal(cost(), '04');
  await login('old@example.com');
  assert.equal(cost(), '05');
  await login('old@example.com');  // and the new hash works
});

test('deactivated users cannot log in or use their tokens', async () => {
  await registerVerified('gone@example.com');
  const token = await login('gone@example.com');
  execFileSync(adminBinary, ['users', 'deactivate', '--db', db, '--email', 'gone@example.com']);
  assert.equal((await call('/auth/me', { token })).status, 403);
  assert.equal((await call('/auth/token', { form: { username: 'gone@example.com', password: 'correct horse' } })).status, 403);
});

test('refresh and logout work on the database-backed users', async () => {
  await registerVerified('sess@example.com');
  const r = await call('/auth/token', { form: { username: 'sess@example.com', password: 'correct horse' } });
  const refreshed = await call('/auth/refresh', { json: { refresh_token: r.body.refresh_token } });
  assert.equal(refreshed.status, 200);
  assert.equal((await call('/auth/logout', { token: refreshed.body.access_token, method: 'POST' })).status, 204);
  assert.equal((await call('/auth/me', { token: refreshed.body.access_token })).status, 401);
});

test('sessions: listed with where and when, ended one by one or all but the current; never another user\'s', async () => {
  await registerVerified('devices@example.com');
  const form = { username: 'devices@example.com', password: 'correct horse' };
  const before = Math.floor(Date.now() / 1000);
  const phone = (await call('/auth/token', { form, userAgent: 'NotesPhone/1.0 (Android 14)' })).body;
  const laptop = (await call('/auth/token', { form, userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0' })).body;
  const tablet = (await call('/auth/token', { form, userAgent: 'NotesTablet/2.0' })).body;
  const after = Math.floor(Date.now() / 1000);
  let listed = await call('/auth/sessions', { token: laptop.access_token });
  assert.equal(listed.status, 200, JSON.stringify(listed.body));
  assert.equal(listed.body.length, 3);
  assert.deepEqual(listed.body.map((s) => s.user_agent),
    ['NotesTablet/2.0', 'Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0', 'NotesPhone/1.0 (Android 14)'], 'newest first');
  assert.deepEqual(listed.body.map((s) => s.current), [false, true, false], 'the caller\'s own is marked');
  for (const s of listed.body) {
    assert.deepEqual(Object.keys(s).sort(),
      ['client', 'current', 'id', 'label', 'last_refreshed_at', 'origin', 'started_at', 'user_agent']);
    assert.equal(s.client, '127.0.0.1');
    assert.equal(s.origin, 'password');
    assert.equal(s.label, '');
    assert.ok(s.started_at >= before && s.started_at <= after, JSON.stringify(s));
    assert.equal(s.last_refreshed_at, s.started_at);
  }
  // A refresh moves the phone's session first.
  const phone2 = (await call('/auth/refresh', { json: { refresh_token: phone.refresh_token } })).body;
  listed = await call('/auth/sessions', { token: phone2.access_token });
  assert.equal(listed.body[0].user_agent, 'NotesPhone/1.0 (Android 14)');
  assert.equal(listed.body[0].current, true);
  assert.ok(listed.body[0].last_refreshed_at >= listed.body[0].started_at);
  const tabletId = listed.body.find((s) => s.user_agent === 'NotesTablet/2.0').id;
  // Someone else cannot end it, nor learn that it exists.
  await registerVerified('nosy@example.com');
  const nosy = await login('nosy@example.com');
  assert.deepEqual(await call(`/auth/sessions/${tabletId}`, { token: nosy, method: 'DELETE' }),
    { status: 404, body: { detail: 'Session not found' } });
  assert.equal((await call('/auth/me', { token: tablet.access_token })).status, 200);
  assert.equal((await call('/auth/sessions', { token: nosy })).body.length, 1);
  // Its owner can.
  assert.equal((await call(`/auth/sessions/${tabletId}`, { token: laptop.access_token, method: 'DELETE' })).status, 204);
  assert.equal((await call('/auth/me', { token: tablet.access_token })).status, 401);
  assert.equal((await call('/auth/refresh', { json: { refresh_token: tablet.refresh_token } })).status, 401);
  assert.equal((await call(`/auth/sessions/${tabletId}`, { token: laptop.access_token, method: 'DELETE' })).status, 404);
  // Sign out everywhere else: only the laptop's session is left.
  assert.equal((await call('/auth/sessions', { token: laptop.access_token, method: 'DELETE' })).status, 204);
  assert.equal((await call('/auth/me', { token: phone2.access_token })).status, 401);
  assert.equal((await call('/auth/me', { token: laptop.access_token })).status, 200);
  listed = await call('/auth/sessions', { token: laptop.access_token });
  assert.deepEqual(listed.body.map((s) => [s.user_agent, s.current]), [['Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0', true]]);
  assert.equal((await call('/auth/sessions', { apiKey: 'notes_nokey_x' })).status, 401, 'an API key has no session');
});

test('an admin ends every session of a user; others may not', async () => {
  await registerVerified('ended@example.com');
  const victim = await login('ended@example.com');
  const id = (await call('/auth/me', { token: victim })).body.id;
  await registerVerified('plain@example.com');
  const plain = await login('plain@example.com');
  assert.equal((await call(`/admin/users/${id}/sessions`, { token: plain, method: 'DELETE' })).status, 403);
  assert.equal((await call('/auth/me', { token: victim })).status, 200);
  await registerVerified('chief@example.com');
  execFileSync(adminBinary, ['users', 'set-roles', '--db', db, '--email', 'chief@example.com', '--role', 'admin']);
  const chief = await login('chief@example.com');
  assert.equal((await call('/admin/users/no-such-user/sessions', { token: chief, method: 'DELETE' })).status, 404);
  assert.equal((await call(`/admin/users/${id}/sessions`, { token: chief, method: 'DELETE' })).status, 204);
  assert.equal((await call('/auth/me', { token: victim })).status, 401);
  assert.deepEqual((await call('/auth/sessions', { token: await login('ended@example.com') })).body.length, 1,
    'a login afterwards is a new session');
  assert.equal((await call('/auth/me', { token: chief })).status, 200, 'the admin\'s own session is untouched');
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
    assert.deepEqual(results, Array(20).fill(202));
    // Registered through the first process (odd i); the second verifies it.
    const mail = await mailAfter('many7@example.com', 0, server);
    assert.equal(mails('many7@example.com', second).length, 0);
    const verified = await fetch(`${second.base}/api/v1/auth/verify`, { method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ token: mail.token }) });
    assert.equal(verified.status, 200, 'either process verifies it');
    const token = await login('many7@example.com');
    assert.equal((await call('/auth/me', { token })).status, 200);
  } finally {
    await stop(second.child);
  }
});

// The database files (WAL included) as bytes, to show what is and is not stored.
function databaseBytes() {
  return Buffer.concat([db, `${db}-wal`].filter(existsSync).map((f) => readFileSync(f)));
}
const keyPattern = /^notes_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

test('API keys: made by a logged-in user and shown once, stored as a hash, scoped, listed and revoked', async () => {
  await registerVerified('kay@example.com');
  const token = await login('kay@example.com');
  const reader = await call('/keys', { token, json: { name: 'backup job', scopes: ['notes:read'] } });
  assert.equal(reader.status, 201, JSON.stringify(reader.body));
  const [, readerId, readerSecret] = reader.body.key.match(keyPattern);
  assert.equal(reader.body.id, readerId);
  assert.deepEqual(reader.body.scopes, ['notes:read']);
  assert.equal(reader.body.expires_at, null);
  const writer = await call('/keys', { token, json: { name: 'importer', scopes: ['notes:*'], expires_in_days: 30 } });
  assert.equal(writer.status, 201);
  assert.equal(writer.body.expires_at - writer.body.created_at, 30 * 86400);

  const note = await call('/notes', { token, json: { title: 'from a person' } });
  assert.equal(note.status, 201);
  const read = await call('/notes', { apiKey: reader.body.key });
  assert.equal(read.status, 200);
  assert.deepEqual(read.body.map((n) => n.title), ['from a person']);
  const me = await call('/auth/me', { apiKey: reader.body.key });
  assert.equal(me.status, 200);
  assert.equal(me.body.email, 'kay@example.com');
  const refused = await call('/notes', { apiKey: reader.body.key, json: { title: 'from a reader' } });
  assert.equal(refused.status, 403);
  assert.deepEqual(refused.body, { detail: 'Insufficient scope: requires notes:write scope' });
  const wrote = await call('/notes', { apiKey: writer.body.key, json: { title: 'from a program' } });
  assert.equal(wrote.status, 201, 'notes:* grants notes:write');
  assert.equal((await call(`/notes/${wrote.body.id}`, { apiKey: writer.body.key, method: 'DELETE' })).status, 204);

  // Making a key needs a fresh login: a refreshed token (or a stolen, refreshed session) cannot.
  const pair = await call('/auth/token', { form: { username: 'kay@example.com', password: 'correct horse' } });
  const refreshed = await call('/auth/refresh', { json: { refresh_token: pair.body.refresh_token } });
  const stale = await call('/keys', { token: refreshed.body.access_token, json: { name: 'late', scopes: ['notes:read'] } });
  assert.equal(stale.status, 401);
  assert.deepEqual(stale.body, { detail: 'Fresh token required' });
  assert.equal((await call('/keys', { token: refreshed.body.access_token })).status, 200, 'listing needs no fresh login');

  // A key manages nothing: the key routes take a person's token or session only.
  assert.equal((await call('/keys', { apiKey: writer.body.key, json: { name: 'child', scopes: ['notes:*'] } })).status, 401);
  assert.equal((await call('/keys', { apiKey: writer.body.key })).status, 401);

  const list = await call('/keys', { token });
  assert.equal(list.status, 200);
  assert.deepEqual(list.body.map((k) => k.name).sort(), ['backup job', 'importer'], 'the stale token made none');
  for (const k of list.body) {
    assert.deepEqual(Object.keys(k).sort(), ['created_at', 'expires_at', 'id', 'last_used_at', 'name', 'revoked', 'scopes']);
    assert.equal(k.revoked, false);
  }
  assert.ok(list.body.find((k) => k.id === readerId).last_used_at >= reader.body.created_at, 'last use recorded');
  const secrets = [readerSecret, writer.body.key.match(keyPattern)[2]];
  for (const secret of secrets) {
    assert.ok(!JSON.stringify(list.body).includes(secret), 'the list never shows a key');
    assert.ok(!databaseBytes().includes(secret), 'the database never holds a key');
    assert.ok(!server.output().includes(secret), 'the log never holds a key');
  }
  assert.ok(databaseBytes().includes(readerId), 'the lookup part is stored');

  // Revoked: that key never works again, with the reason; the other still does.
  assert.equal((await call(`/keys/${readerId}`, { token, method: 'DELETE' })).status, 204);
  const revoked = await call('/notes', { apiKey: reader.body.key });
  assert.equal(revoked.status, 401);
  assert.deepEqual(revoked.body, { detail: 'API key revoked' });
  assert.equal((await call('/notes', { apiKey: writer.body.key })).status, 200);
  assert.equal((await call('/keys', { token })).body.find((k) => k.id === readerId).revoked, true);
});

test('API keys: forged, unknown and malformed keys are refused, and a bad bearer token is not rescued by a key', async () => {
  await registerVerified('kim@example.com');
  const token = await login('kim@example.com');
  const made = (await call('/keys', { token, json: { name: 'ci', scopes: ['notes:read'] } })).body;
  const flip = (c) => (c === 'A' ? 'B' : 'A');
  const forged = made.key.slice(0, -1) + flip(made.key.at(-1));
  const unknown = `notes_${'0'.repeat(16)}_${made.key.match(keyPattern)[2]}`;
  for (const bad of [forged, unknown, 'notes_short', `fauth_${made.key.slice(6)}`, `${made.key}x`]) {
    const r = await call('/notes', { apiKey: bad });
    assert.equal(r.status, 401, bad);
    assert.deepEqual(r.body, { detail: 'Invalid API key' }, bad);
  }
  const both = await call('/notes', { token: 'not.a.token', apiKey: made.key });
  assert.equal(both.status, 401);
  assert.deepEqual(both.body, { detail: 'Invalid token' });
  assert.equal((await call('/notes', { token, apiKey: forged })).status, 200, 'the bearer token decides when present');
});

test("API keys: a user revokes only their own, bad key requests are 422, and a user holds at most 20 live keys", async () => {
  await registerVerified('key-own@example.com');
  await registerVerified('key-other@example.com');
  const own = await login('key-own@example.com');
  const other = await login('key-other@example.com');
  const theirs = (await call('/keys', { token: other, json: { name: 'theirs', scopes: ['notes:read'] } })).body;
  assert.equal((await call(`/keys/${theirs.id}`, { token: own, method: 'DELETE' })).status, 404);
  assert.equal((await call('/keys/0000000000000000', { token: own, method: 'DELETE' })).status, 404);
  assert.deepEqual((await call('/keys', { token: own })).body, []);
  assert.equal((await call('/notes', { apiKey: theirs.key })).status, 200, 'still works for its owner');
  for (const body of [{}, { name: '', scopes: ['notes:read'] }, { name: 'x'.repeat(65), scopes: ['notes:read'] },
    { name: 'tab\there', scopes: ['notes:read'] }, { name: 'x', scopes: [] }, { name: 'x', scopes: ['admin'] },
    { name: 'x', scopes: ['notes:read', 7] }, { name: 'x', scopes: 'notes:read' }, { name: 'x', scopes: ['notes:read'], expires_in_days: 0 },
    { name: 'x', scopes: ['notes:read'], expires_in_days: 1.5 }, { name: 'x', scopes: ['notes:read'], expires_in_days: 3651 }]) {
    const r = await call('/keys', { token: own, json: body });
    assert.equal(r.status, 422, JSON.stringify(body));
    assert.equal(typeof r.body.detail, 'string');
  }
  // 25 at once: the count and the insert are one statement, so exactly 20 are made.
  const burst = await Promise.all(Array.from({ length: 25 }, (_, i) => call('/keys', { token: own, json: { name: `k${i}`, scopes: ['notes:read'] } })));
  assert.deepEqual(burst.map((r) => r.status).sort(), [...Array(20).fill(201), ...Array(5).fill(409)]);
  assert.equal((await call('/keys', { token: own })).body.length, 20);
  const full = await call('/keys', { token: own, json: { name: 'one more', scopes: ['notes:read'] } });
  assert.equal(full.status, 409);
  assert.deepEqual(full.body, { detail: 'Too many API keys; revoke one first' });
  const first = (await call('/keys', { token: own })).body[0];
  assert.equal((await call(`/keys/${first.id}`, { token: own, method: 'DELETE' })).status, 204);
  assert.equal((await call('/keys', { token: own, json: { name: 'one more', scopes: ['notes:read'] } })).status, 201);
});

test('API keys made with notes-admin work on the server; notes-admin lists and revokes them', async () => {
  await registerVerified('bot-owner@example.com');
  const admin = (args) => execFileSync(adminBinary, ['api-keys', ...args, '--db', db], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const key = admin(['create', '--email', 'bot-owner@example.com', '--name', 'nightly', '--scope', 'notes:read']).trim();
  const [, id, secret] = key.match(keyPattern);
  const r = await call('/notes', { apiKey: key });
  assert.equal(r.status, 200);
  const listed = admin(['list', '--email', 'bot-owner@example.com']).trim().split('\n');
  assert.equal(listed.length, 2);
  const [keyId, owner, name, scopes, created, expires, lastUsed, state] = listed[1].split('\t');
  assert.deepEqual([keyId, name, scopes, expires, state], [id, 'nightly', 'notes:read', '-', 'live']);
  assert.match(owner, /^[0-9a-f]{32}$/);
  assert.match(created, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.match(lastUsed, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/, 'the server recorded its use');
  assert.ok(!listed.join('\n').includes(secret));
  const token = await login('bot-owner@example.com');
  assert.equal((await call('/keys', { token })).body[0].id, id, 'the API lists it too');
  assert.equal(admin(['revoke', '--key-id', id]).trim(), id);
  assert.deepEqual((await call('/notes', { apiKey: key })).body, { detail: 'API key revoked' });
  assert.match(admin(['list']), new RegExp(`${id}\\t.*\\trevoked\\n`));
});

// The example's own instruments beside fauth's, at /metrics for admins only: registrations (new
// and taken addresses alike: a split would tell what /register's answer hides) and every mail
// handed to the mailer.
test('/metrics, for admins, counts registrations and mails', async () => {
  await registerVerified('metrics-admin@example.com');
  execFileSync(adminBinary, ['users', 'set-roles', '--db', db, '--email', 'metrics-admin@example.com', '--role', 'admin']);
  const admin = await login('metrics-admin@example.com');
  await registerVerified('metrics-member@example.com');
  const member = await login('metrics-member@example.com');
  const get = (token) => fetch(`${server.base}/metrics`,
    { headers: { Connection: 'close', ...(token ? { Authorization: `Bearer ${token}` } : {}) } });
  assert.equal((await get()).status, 401);
  assert.equal((await get(member)).status, 403);
  const metrics = async () => {
    const r = await get(admin);
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
    return r.text();
  };
  const value = (text, series) => {
    const line = text.split('\n').find((l) => l.startsWith(`${series} `));
    return line === undefined ? 0 : Number(line.slice(series.length + 1));
  };
  const before = await metrics();
  assert.match(before, /^# TYPE notes_registrations_total counter$/m);
  assert.match(before, /^# TYPE notes_mails_total counter$/m);
  assert.match(before, /^# TYPE fauth_sign_ins_total counter$/m, "fauth's instruments are in the same registry");
  await registerVerified('metrics@example.com');  // a new address: one verification mail
  await mailed('metrics@example.com', () => register('metrics@example.com', 'another password'));  // taken: one mail
  const after = await metrics();
  assert.equal(value(after, 'notes_registrations_total') - value(before, 'notes_registrations_total'), 2);
  assert.equal(value(after, 'notes_mails_total') - value(before, 'notes_mails_total'), 2);
  assert.doesNotMatch(after, /notes_registration_address/, 'no label tells a new address from a taken one');
});
