// The `fauth` command-line tool, run as a user runs it: every command, its help, its errors and
// exit codes (0 success, 1 failure, 2 usage), and a minted token accepted by a real server.
// Run: node --test tests/cli/cli.test.mjs (FAUTH_CLI, FAUTH_QUICKSTART name the binaries).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startQuickstart, stopQuickstart } from '../support/quickstart.mjs';

const cli = process.env.FAUTH_CLI ?? 'build/bin/fauth';
const quickstart = process.env.FAUTH_QUICKSTART ?? 'build/bin/fauth-quickstart';
const secret = 'cli-test-secret-key-of-at-least-32-bytes';
const dir = mkdtempSync(join(tmpdir(), 'fauth-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function run(args, { input = '', env = {} } = {}) {
  const { FAUTH_SECRET_KEY, ...rest } = process.env;  // each test says whether a secret is set
  const r = spawnSync(cli, args, { input, env: { ...rest, ...env }, encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test('help and usage errors', () => {
  const none = run([]);
  assert.equal(none.code, 2);
  assert.match(none.err, /usage: fauth COMMAND/);
  assert.equal(run(['--help']).code, 0);
  for (const command of ['hash-password', 'mint', 'decode', 'users', 'api-keys']) {
    const r = run([command, '--help']);
    assert.equal(r.code, 0, command);
    assert.match(r.out, new RegExp(`usage: fauth ${command}`), command);
  }
  assert.equal(run(['frobnicate']).code, 2);
  assert.equal(run(['mint', '--sub']).code, 2, 'missing value');
  assert.equal(run(['mint', '--bogus', 'x']).code, 2, 'unknown option');
});

test('hash-password reads stdin, never argv', () => {
  const r = run(['hash-password', '--cost', '4'], { input: 'correct horse\n' });
  assert.equal(r.code, 0, r.err);
  assert.match(r.out.trim(), /^\$2b\$04\$[./A-Za-z0-9]{53}$/);
  const refused = run(['hash-password', 'correct horse']);
  assert.equal(refused.code, 2);
  assert.match(refused.err, /never read from the command line/);
  assert.equal(run(['hash-password', '--cost', '4'], { input: '' }).code, 1, 'no password');
  assert.equal(run(['hash-password', '--cost', '99'], { input: 'x\n' }).code, 2);
  for (const cost of ['abc', '5x', '', '12.5', '99999999999']) {
    const bad = run(['hash-password', '--cost', cost], { input: 'x\n' });
    assert.equal(bad.code, 2, `--cost '${cost}'`);
    assert.match(bad.err, /--cost must be a whole number from 4 to 31/, `--cost '${cost}'`);
  }
});

test('mint makes tokens a real server accepts, and decode explains them', async () => {
  assert.equal(run(['mint', '--sub', 'user-123']).code, 1, 'no FAUTH_SECRET_KEY');
  const env = { FAUTH_SECRET_KEY: secret };
  const minted = run(['mint', '--sub', 'user-123', '--role', 'admin', '--role', 'ops', '--scope', 'read', '--ttl', '10m'], { env });
  assert.equal(minted.code, 0, minted.err);
  const token = minted.out.trim();
  assert.equal(token.split('.').length, 3);

  const decoded = run(['decode'], { input: `${token}\n`, env });
  assert.equal(decoded.code, 0, decoded.out);
  assert.match(decoded.out, /"sub": "user-123"/);
  assert.match(decoded.out, /"roles": \[\s*"admin",\s*"ops"\s*\]/);
  assert.match(decoded.out, /signature: valid \(HS256\)/);
  assert.match(decoded.out, /expiry: valid for another (9|10)m/);
  const wrong = run(['decode'], { input: token, env: { FAUTH_SECRET_KEY: 'another-secret-key-of-at-least-32-bytes' } });
  assert.equal(wrong.code, 1);
  assert.match(wrong.out, /signature: INVALID/);
  const unchecked = run(['decode'], { input: token });
  assert.equal(unchecked.code, 1);
  assert.match(unchecked.out, /not checked/);
  assert.equal(run(['decode'], { input: 'not.a-token', env }).code, 1);
  assert.equal(run(['decode'], { input: 'a.b.c', env }).code, 1);
  assert.equal(run(['decode'], { env }).code, 2);

  // The quickstart, sharing the secret, takes the minted token as one of its own.
  const server = await startQuickstart(quickstart, { FAUTH_SECRET_KEY: secret });
  try {
    const r = await fetch(`${server.base}/me`, { headers: { Authorization: `Bearer ${token}`, Connection: 'close' } });
    assert.equal(r.status, 200);
    assert.deepEqual(await r.json(), { message: 'Hello alice' });
    const refresh = run(['mint', '--sub', 'user-123', '--type', 'refresh'], { env }).out.trim();
    const asAccess = await fetch(`${server.base}/me`, { headers: { Authorization: `Bearer ${refresh}`, Connection: 'close' } });
    assert.equal(asAccess.status, 401, 'a refresh token is not an access token');
  } finally {
    await stopQuickstart(server.child);
  }

  assert.equal(run(['mint', '--sub', 'u', '--type', 'reset'], { env }).code, 2);
  assert.equal(run(['mint', '--sub', 'u', '--ttl', '15x'], { env }).code, 2);
  assert.equal(run(['mint', '--role', 'admin'], { env }).code, 2, '--sub is required');
  assert.equal(run(['mint', '--sub', 'u'], { env: { FAUTH_SECRET_KEY: 'short' } }).code, 1, 'weak secret');
});

test('decode says when a token has expired', () => {
  // A token that expired a minute ago, signed here with Node's own HMAC (no waiting for a clock).
  const now = Math.floor(Date.now() / 1000);
  const b64 = (v) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const input = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ sub: 'u', iat: now - 120, exp: now - 60, jti: 'j', token_type: 'access' })}`;
  const token = `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
  const r = run(['decode'], { input: token, env: { FAUTH_SECRET_KEY: secret } });
  assert.equal(r.code, 1);
  assert.match(r.out, /signature: valid/);
  assert.match(r.out, /expiry: EXPIRED 6[0-2]s ago/);
});

test('decode reads the token from stdin, never argv', () => {
  const now = Math.floor(Date.now() / 1000);
  const b64 = (v) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const input = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ sub: 'u', iat: now, exp: now + 600, jti: 'j', token_type: 'access' })}`;
  const token = `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
  const env = { FAUTH_SECRET_KEY: secret };
  const refused = run(['decode', token], { input: token, env });
  assert.equal(refused.code, 2, 'a token in argv is refused even when stdin holds one');
  assert.match(refused.err, /tokens are never read from the command line/);
  assert.match(refused.err, /standard input/);
  assert.equal(refused.out, '', 'nothing of it is decoded');
  const piped = run(['decode'], { input: `  ${token}\r\n`, env });
  assert.equal(piped.code, 0, piped.err);
  assert.match(piped.out, /"sub": "u"/);
  const empty = run(['decode'], { input: ' \n', env });
  assert.equal(empty.code, 2);
  assert.match(empty.err, /no token on standard input/);
  const two = run(['decode'], { input: `${token}\n${token}\n`, env });
  assert.equal(two.code, 2);
  assert.match(two.err, /more than one token/);
});

test('users add, list, set-roles and deactivate a notes database', () => {
  const db = join(dir, 'users.db');
  const added = run(['users', 'add', '--db', db, '--email', 'root@example.com', '--role', 'admin', '--cost', '4'],
    { input: 'correct horse\n' });
  assert.equal(added.code, 0, added.err);
  const id = added.out.trim();
  assert.match(id, /^[0-9a-f]{32}$/);
  assert.equal(run(['users', 'add', '--db', db, '--email', 'ROOT@example.com', '--cost', '4'], { input: 'correct horse\n' }).code, 1,
    'duplicate email');
  assert.equal(run(['users', 'add', '--db', db, '--email', 'bad', '--cost', '4'], { input: 'correct horse\n' }).code, 2);
  assert.equal(run(['users', 'add', '--db', db, '--email', 'x@example.com', '--cost', '4'], { input: 'short\n' }).code, 1);
  assert.equal(run(['users', 'add', '--email', 'x@example.com'], { input: 'correct horse\n' }).code, 2, '--db is required');
  const badCost = run(['users', 'add', '--db', db, '--email', 'y@example.com', '--cost', 'abc'], { input: 'correct horse\n' });
  assert.equal(badCost.code, 2, 'a cost that is not a number is a usage error');
  assert.match(badCost.err, /--cost must be a whole number/);

  assert.equal(run(['users', 'set-roles', '--db', db, '--id', id, '--role', 'admin', '--role', 'auditor']).code, 0);
  assert.equal(run(['users', 'deactivate', '--db', db, '--email', 'root@example.com']).code, 0);
  const list = run(['users', 'list', '--db', db]);
  assert.equal(list.code, 0);
  assert.equal(list.out, `${id}\troot@example.com\tadmin,auditor\tinactive\n`);
  assert.equal(run(['users', 'deactivate', '--db', db, '--email', 'nobody@example.com']).code, 1);
  assert.equal(run(['users', 'deactivate', '--db', db]).code, 2, '--email or --id');
  assert.equal(run(['users', 'explode', '--db', db]).code, 2);
  assert.equal(run(['users', 'list', '--db', join(dir, 'no', 'such', 'dir.db')]).code, 1, 'cannot open');
});

test('api-keys create, list and revoke keys of a notes database, keeping only their hash', () => {
  const db = join(dir, 'keys.db');
  const user = run(['users', 'add', '--db', db, '--email', 'bot@example.com', '--cost', '4'], { input: 'correct horse\n' });
  assert.equal(user.code, 0, user.err);
  const owner = user.out.trim();
  const made = run(['api-keys', 'create', '--db', db, '--email', 'bot@example.com', '--name', 'deploy', '--scope', 'notes:read',
    '--scope', 'notes:write', '--expires-days', '7']);
  assert.equal(made.code, 0, made.err);
  const [, id, secret] = made.out.match(/^notes_([0-9a-f]{16})_([A-Za-z0-9_-]{43})\n$/);
  assert.match(made.err, /not shown again/);
  assert.ok(!made.err.includes(secret), 'the key is on stdout only');
  assert.ok(!readFileSync(db).includes(secret) && !(existsSync(`${db}-wal`) && readFileSync(`${db}-wal`).includes(secret)),
    'the database holds no key');
  const other = run(['api-keys', 'create', '--db', db, '--id', owner, '--name', 'reports', '--scope', 'notes:*']);
  assert.equal(other.code, 0, other.err);
  const list = run(['api-keys', 'list', '--db', db, '--email', 'bot@example.com']);
  assert.equal(list.code, 0, list.err);
  const rows = list.out.trim().split('\n').map((l) => l.split('\t'));
  assert.deepEqual(rows[0], ['id', 'owner', 'name', 'scopes', 'created', 'expires', 'last_used', 'state']);
  const row = rows.find((r) => r[0] === id);
  assert.deepEqual([row[1], row[2], row[3], row[6], row[7]], [owner, 'deploy', 'notes:read,notes:write', '-', 'live']);
  assert.equal((Date.parse(row[5]) - Date.parse(row[4])) / 1000, 7 * 86400);
  assert.ok(!list.out.includes(secret));
  assert.equal(rows.length, 3);

  const revoked = run(['api-keys', 'revoke', '--db', db, '--key-id', id, '--email', 'bot@example.com']);
  assert.equal(revoked.code, 0, revoked.err);
  assert.equal(revoked.out, `${id}\n`);
  assert.equal(run(['api-keys', 'list', '--db', db]).out.split('\n').find((l) => l.startsWith(id)).split('\t')[7], 'revoked');
  assert.equal(run(['api-keys', 'revoke', '--db', db, '--key-id', 'ffffffffffffffff']).code, 1, 'no such key');

  // Refusals: usage errors are 2, a missing or inactive user 1; nothing is made.
  run(['users', 'add', '--db', db, '--email', 'gone@example.com', '--cost', '4'], { input: 'correct horse\n' });
  run(['users', 'deactivate', '--db', db, '--email', 'gone@example.com']);
  const base = ['api-keys', 'create', '--db', db];
  for (const [args, code] of [
    [['--email', 'bot@example.com', '--scope', 'notes:read'], 2],                       // no name
    [['--email', 'bot@example.com', '--name', 'x'], 2],                                 // no scope
    [['--email', 'bot@example.com', '--name', 'x', '--scope', 'admin'], 2],
    [['--email', 'bot@example.com', '--name', 'tab\there', '--scope', 'notes:read'], 2],
    [['--email', 'bot@example.com', '--name', 'x'.repeat(65), '--scope', 'notes:read'], 2],
    [['--email', 'bot@example.com', '--name', 'x', '--scope', 'notes:read', '--expires-days', '0'], 2],
    [['--email', 'bot@example.com', '--name', 'x', '--scope', 'notes:read', '--expires-days', 'soon'], 2],
    [['--email', 'bot@example.com', '--id', owner, '--name', 'x', '--scope', 'notes:read'], 2],
    [['--name', 'x', '--scope', 'notes:read'], 2],                                       // no owner
    [['--email', 'nobody@example.com', '--name', 'x', '--scope', 'notes:read'], 1],
    [['--email', 'gone@example.com', '--name', 'x', '--scope', 'notes:read'], 1],
  ]) {
    const r = run([...base, ...args]);
    assert.equal(r.code, code, `${args.join(' ')}: ${r.err}`);
    assert.equal(r.out, '', args.join(' '));
  }
  assert.equal(run(['api-keys', 'list', '--db', db]).out.trim().split('\n').length, 3, 'still two keys');
  // At most 20 live keys per user, as the API allows (one is live now).
  for (let i = 0; i < 19; i++) assert.equal(run([...base, '--email', 'bot@example.com', '--name', `k${i}`, '--scope', 'notes:read']).code, 0);
  const full = run([...base, '--email', 'bot@example.com', '--name', 'k20', '--scope', 'notes:read']);
  assert.equal(full.code, 1);
  assert.match(full.err, /20 live keys; revoke one first/);
  assert.equal(run(['api-keys', 'rotate', '--db', db]).code, 2);
  assert.equal(run(['api-keys']).code, 2);
});
