// The `fauth` command-line tool, run as a user runs it: every command, its help, its errors and
// exit codes (0 success, 1 failure, 2 usage), and a minted token accepted by a real server.
// Run: node --test tests/cli/cli.test.mjs (FAUTH_CLI, FAUTH_QUICKSTART name the binaries).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { startQuickstart, stopQuickstart } from '../support/quickstart.mjs';

const cli = process.env.FAUTH_CLI ?? 'build/bin/fauth';
const quickstart = process.env.FAUTH_QUICKSTART ?? 'build/bin/fauth-quickstart';
const secret = 'cli-test-secret-key-of-at-least-32-bytes';

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
  for (const command of ['hash-password', 'mint', 'decode']) {
    const r = run([command, '--help']);
    assert.equal(r.code, 0, command);
    assert.match(r.out, new RegExp(`usage: fauth ${command}`), command);
  }
  assert.equal(run(['frobnicate']).code, 2);
  // The tool is generic: a database's users and keys are its application's business (the notes
  // example's notes-admin, tests/examples/notes_admin.test.mjs).
  for (const command of ['users', 'api-keys']) assert.equal(run([command, '--help']).code, 2, command);
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
