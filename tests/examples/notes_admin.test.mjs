// notes-admin, the notes example's administration tool, run as a user runs it: its commands on
// the users and API keys of a notes database, their help, errors and exit codes (0 success,
// 1 failure, 2 usage). Run: node --test tests/examples/notes_admin.test.mjs (FAUTH_NOTES_ADMIN
// names the binary).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const admin = process.env.FAUTH_NOTES_ADMIN ?? 'build/bin/notes-admin';
const dir = mkdtempSync(join(tmpdir(), 'notes-admin-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function run(args, { input = '' } = {}) {
  const r = spawnSync(admin, args, { input, encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test('help and usage errors', () => {
  const none = run([]);
  assert.equal(none.code, 2);
  assert.match(none.err, /usage: notes-admin COMMAND/);
  assert.equal(run(['--help']).code, 0);
  for (const command of ['users', 'api-keys']) {
    const r = run([command, '--help']);
    assert.equal(r.code, 0, command);
    assert.match(r.out, new RegExp(`usage: notes-admin ${command}`), command);
  }
  assert.equal(run(['frobnicate']).code, 2);
  assert.equal(run(['users', 'list', '--db']).code, 2, 'missing value');
  assert.equal(run(['users', 'list', '--bogus', 'x']).code, 2, 'unknown option');
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
