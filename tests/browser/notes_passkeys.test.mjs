// Passkeys and two-factor sign-in on the notes page, in headless Chromium against the real
// fauth-notes (SQLite). The page is opened at http://localhost:<port> (a secure context, where
// WebAuthn works over plain HTTP) with a virtual authenticator attached over CDP (CTAP2, internal,
// resident keys, user verification). A user who logged in with a password registers a passkey on
// the page, logs out, and signs in with "Sign in with a passkey" without typing a user name: the
// session's origin is "passkey", and the route that needs two factors (GET /api/v1/notes/export)
// answers 200, where after a password login it answers 401 with acr_values="aal2"; the page's
// step-up (Export, "Sign in again", the passkey) ends with the export done. The authenticator
// holds one resident credential whose counter grew. Then an authenticator app (TOTP, codes made
// here per RFC 6238): set up on the page, asked for at the next login, a recovery code used once,
// removed. Needs Debian's chromium and playwright-core.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createServer } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchChromium } from '../support/browser.mjs';
import { startQuickstart as start, stopQuickstart as stop } from '../support/quickstart.mjs';
import { mailAfter } from '../support/mail.mjs';

const binary = process.env.FAUTH_NOTES ?? 'build/bin/fauth-notes';
const dir = mkdtempSync(join(tmpdir(), 'fauth-notes-passkeys-'));
const password = 'correct horse battery';
let server;
let browser;
let base;  // http://localhost:<port>: the relying party's origin (FAUTH_PASSKEY_ORIGINS' default)

// A free loopback port: the server's default passkey origin names the port it is told.
function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => { const { port } = probe.address(); probe.close(() => resolve(port)); });
  });
}

// A verified account: register, then follow the mailed token.
async function registerVerified(email) {
  const post = (path, body) => fetch(`${server.base}/api/v1/auth/${path}`, { method: 'POST',
    headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  assert.equal((await post('register', { email, password })).status, 202);
  const mail = await mailAfter(server, email, 0);
  assert.equal((await post('verify', { token: mail.token })).status, 200);
}

before(async () => {
  const port = await freePort();
  base = `http://localhost:${port}`;
  server = await start(binary, { PORT: String(port), FAUTH_DB: join(dir, 'notes.db'), FAUTH_BCRYPT_COST: '5',
                                 FAUTH_COOKIE_SECURE: '0', FAUTH_SECRET_KEY: 'passkey-test-secret-key-of-32-bytes!' });
  await registerVerified('passkey@example.com');
  await registerVerified('totp@example.com');
  browser = await launchChromium();
});

after(async () => {
  if (browser) await browser.close();
  if (server) assert.equal(await stop(server.child), 0);
  rmSync(dir, { recursive: true, force: true });
});

// A page of a new context, its errors collected.
async function openPage() {
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${base}/`);
  return { context, page, errors };
}

async function passwordLogin(page, email) {
  await page.locator('input[name=username]').fill(email);
  await page.locator('input[name=password]').fill(password);
  await page.locator('#login button').click();
}

// The page's own fetch of `path`: status, WWW-Authenticate, JSON body.
const fetchIn = (page, path) => page.evaluate(async (p) => {
  const r = await fetch(p);
  return { status: r.status, challenge: r.headers.get('WWW-Authenticate'), body: await r.json() };
}, path);

const currentSession = async (page) => (await fetchIn(page, '/api/v1/auth/sessions')).body.find((s) => s.current);

test('a passkey added on the page signs in without a user name, as two factors; the step-up follows it', { timeout: 30000 }, async () => {
  const email = 'passkey@example.com';
  const { context, page, errors } = await openPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', { options: {
    protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true,
    automaticPresenceSimulation: true } });
  const credentials = async () => (await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials;

  await passwordLogin(page, email);
  await page.locator('#app').waitFor({ state: 'visible', timeout: 5000 });
  await page.locator('#add input[name=title]').fill('groceries');
  await page.locator('#add button').click();
  await page.locator('#notes li', { hasText: 'groceries' }).waitFor({ timeout: 5000 });
  // A password alone is one factor: the export asks for a stronger sign-in (RFC 9470).
  const refused = await fetchIn(page, '/api/v1/notes/export');
  assert.equal(refused.status, 401);
  assert.match(refused.challenge, /^Bearer .*error="insufficient_user_authentication"/);
  assert.match(refused.challenge, /acr_values="aal2"/);
  assert.equal((await currentSession(page)).origin, 'password');

  // Add a passkey: the page runs navigator.credentials.create with the server's options.
  assert.deepEqual(await credentials(), []);
  await page.locator('#passkey-name').fill('Laptop');
  await page.locator('#passkey-add').click();
  await page.locator('#status', { hasText: 'Passkey added' }).waitFor({ timeout: 5000 });
  const row = page.locator('#passkeys li.passkey');
  await row.waitFor({ timeout: 5000 });
  assert.equal(await row.count(), 1);
  assert.equal(await row.locator('.passkey-name').inputValue(), 'Laptop');
  assert.match(await row.locator('.passkey-used').textContent(), /never used/);
  const [registered] = await credentials();
  assert.equal((await credentials()).length, 1);
  assert.equal(registered.isResidentCredential, true);
  assert.equal(registered.rpId, 'localhost');
  const listed = (await fetchIn(page, '/api/v1/auth/passkeys')).body;
  assert.equal(listed.length, 1);
  assert.equal(listed[0].id, registered.credentialId.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, ''));
  assert.equal(listed[0].name, 'Laptop');
  assert.equal(listed[0].algorithm, -7);

  // Log out, then sign in with the passkey, no user name typed.
  await page.locator('#logout').click();
  await page.locator('#login').waitFor({ state: 'visible', timeout: 5000 });
  assert.equal(await page.locator('input[name=username]').inputValue(), '');
  await page.locator('#passkey-login').click();
  await page.locator('#app').waitFor({ state: 'visible', timeout: 5000 });
  assert.equal(await page.locator('#who').textContent(), email);
  assert.equal((await currentSession(page)).origin, 'passkey');
  const exported = await fetchIn(page, '/api/v1/notes/export');
  assert.equal(exported.status, 200, JSON.stringify(exported.body));
  assert.equal(exported.body.email, email);
  assert.deepEqual(exported.body.notes.map((n) => n.title), ['groceries']);
  const [used] = await credentials();
  assert.equal((await credentials()).length, 1, 'still one resident credential');
  assert.ok(used.signCount > registered.signCount, `the counter grew: ${registered.signCount} -> ${used.signCount}`);
  await row.locator('.passkey-used', { hasText: 'last used' }).waitFor({ timeout: 5000 });

  // Rename it on the page.
  await row.locator('.passkey-name').fill('Work laptop');
  await row.locator('.passkey-rename').click();
  await page.locator('#status', { hasText: 'Passkey renamed' }).waitFor({ timeout: 5000 });
  assert.deepEqual((await fetchIn(page, '/api/v1/auth/passkeys')).body.map((p) => p.name), ['Work laptop']);

  // The page's step-up: after a password login, Export says why it cannot, "Sign in again" with
  // the passkey, and the export is done.
  await page.locator('#logout').click();
  await page.locator('#login').waitFor({ state: 'visible', timeout: 5000 });
  await passwordLogin(page, email);
  await page.locator('#app').waitFor({ state: 'visible', timeout: 5000 });
  await page.locator('#export').click();
  await page.locator('#step-up').waitFor({ state: 'visible', timeout: 5000 });
  assert.match(await page.locator('#step-up-reason').textContent(), /^Stronger authentication required: sign in again with a passkey/);
  await page.locator('#step-up-sign-in').click();
  await page.locator('#login').waitFor({ state: 'visible', timeout: 5000 });
  const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#passkey-login').click()]);
  assert.equal(download.suggestedFilename(), 'notes.json');
  await page.locator('#status', { hasText: 'Exported 1 notes' }).waitFor({ timeout: 5000 });
  assert.equal((await currentSession(page)).origin, 'passkey');
  assert.ok((await credentials())[0].signCount > used.signCount);

  // Removed on the page: the authenticator still holds it, but it signs no one in.
  await row.locator('.passkey-remove').click();
  await page.locator('#status', { hasText: 'Passkey removed' }).waitFor({ timeout: 5000 });
  await row.waitFor({ state: 'detached', timeout: 5000 });
  assert.deepEqual((await fetchIn(page, '/api/v1/auth/passkeys')).body, []);
  await page.locator('#logout').click();
  await page.locator('#login').waitFor({ state: 'visible', timeout: 5000 });
  await page.locator('#passkey-login').click();
  await page.locator('#status', { hasText: 'Invalid passkey' }).waitFor({ timeout: 5000 });
  assert.equal(await page.locator('#app').isVisible(), false);
  assert.equal((await credentials()).length, 1);
  assert.deepEqual(errors, []);
  await context.close();
});

// RFC 6238 TOTP (SHA-1, 6 digits, 30 s) of a base32 secret at time step `step`.
function totp(secret, step) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of secret.replace(/=+$/, '')) bits += alphabet.indexOf(c).toString(2).padStart(5, '0');
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = createHmac('sha1', key).update(counter).digest();
  const offset = mac[19] & 0xf;
  return String((mac.readUInt32BE(offset) & 0x7fffffff) % 1000000).padStart(6, '0');
}
const stepNow = () => Math.floor(Date.now() / 1000 / 30);

test('an authenticator app set up on the page is asked for at login; a recovery code works once', { timeout: 30000 }, async () => {
  const email = 'totp@example.com';
  const { context, page, errors } = await openPage();
  await passwordLogin(page, email);
  await page.locator('#app').waitFor({ state: 'visible', timeout: 5000 });
  await page.locator('#totp-status', { hasText: 'Off' }).waitFor({ timeout: 5000 });

  await page.locator('#totp-enrol').click();
  await page.locator('#totp-setup').waitFor({ state: 'visible', timeout: 5000 });
  const secret = await page.locator('#totp-secret').textContent();
  assert.match(secret, /^[A-Z2-7]{32}$/);
  assert.match(await page.locator('#totp-qr img').getAttribute('src'), /^data:image\/svg\+xml;base64,/);
  const step = stepNow();
  await page.locator('#totp-confirm input[name=code]').fill(totp(secret, step));
  await page.locator('#totp-confirm button').click();
  await page.locator('#status', { hasText: 'Authenticator app on' }).waitFor({ timeout: 5000 });
  const codes = await page.locator('#recovery-codes li').allTextContents();
  assert.equal(codes.length, 10);
  for (const c of codes) assert.match(c, /^[2-9a-z]{4}-[2-9a-z]{4}-[2-9a-z]{4}-[2-9a-z]{4}$/);
  await page.locator('#totp-status', { hasText: '10 recovery codes left' }).waitFor({ timeout: 5000 });

  // The next login asks for a code: a wrong one is refused and the form stays; the next step's
  // code (the one just used is spent) signs in, with two factors.
  await page.locator('#logout').click();
  await page.locator('#login').waitFor({ state: 'visible', timeout: 5000 });
  await passwordLogin(page, email);
  await page.locator('#second-factor').waitFor({ state: 'visible', timeout: 5000 });
  const wrong = totp(secret, step + 5);
  await page.locator('#second-factor input[name=code]').fill(wrong);
  await page.locator('#second-factor button').first().click();
  await page.locator('#status', { hasText: 'Invalid code' }).waitFor({ timeout: 5000 });
  assert.equal(await page.locator('#second-factor').isVisible(), true);
  await page.locator('#second-factor input[name=code]').fill(totp(secret, Math.max(step, stepNow()) + 1));
  await page.locator('#second-factor button').first().click();
  await page.locator('#app').waitFor({ state: 'visible', timeout: 5000 });
  assert.equal(await page.locator('#who').textContent(), email);
  assert.equal((await fetchIn(page, '/api/v1/notes/export')).status, 200, 'a password and a code are two factors');

  // A recovery code instead of a code (typed in capitals: it is normalised); once only: another
  // browser trying it again is refused. (Five checks so far: fauth allows five a user at once.)
  await page.locator('#logout').click();
  await page.locator('#login').waitFor({ state: 'visible', timeout: 5000 });
  await passwordLogin(page, email);
  await page.locator('#second-factor').waitFor({ state: 'visible', timeout: 5000 });
  await page.locator('#second-factor input[name=code]').fill(codes[0].toUpperCase());
  await page.locator('#second-factor button').first().click();
  await page.locator('#app').waitFor({ state: 'visible', timeout: 5000 });
  await page.locator('#totp-status', { hasText: '9 recovery codes left' }).waitFor({ timeout: 5000 });
  const other = await openPage();
  await passwordLogin(other.page, email);
  await other.page.locator('#second-factor').waitFor({ state: 'visible', timeout: 5000 });
  await other.page.locator('#second-factor input[name=code]').fill(codes[0]);
  await other.page.locator('#second-factor button').first().click();
  await other.page.locator('#status', { hasText: 'Invalid code' }).waitFor({ timeout: 5000 });
  assert.equal(await other.page.locator('#app').isVisible(), false);
  assert.deepEqual(other.errors, []);
  await other.context.close();

  // Removed (this session began with two factors): the next login needs the password only.
  await page.locator('#totp-remove').click();
  await page.locator('#status', { hasText: 'Authenticator app removed' }).waitFor({ timeout: 5000 });
  await page.locator('#totp-status', { hasText: 'Off' }).waitFor({ timeout: 5000 });
  await page.locator('#logout').click();
  await page.locator('#login').waitFor({ state: 'visible', timeout: 5000 });
  await passwordLogin(page, email);
  await page.locator('#app').waitFor({ state: 'visible', timeout: 5000 });
  assert.deepEqual(errors, []);
  await context.close();
});

test('over the API: a bearer login with an authenticator app takes two steps; every new route is in the OpenAPI document', async () => {
  const email = 'api@example.com';
  await registerVerified(email);
  const api = (path, { token, body, form, method } = {}) => fetch(`${server.base}/api/v1${path}`, {
    method: method ?? (body || form ? 'POST' : 'GET'),
    headers: { ...(token ? { Authorization: `Bearer ${token}` } : {}),
               ...(body ? { 'Content-Type': 'application/json' } : {}),
               ...(form ? { 'Content-Type': 'application/x-www-form-urlencoded' } : {}) },
    body: body ? JSON.stringify(body) : form ? new URLSearchParams(form) : undefined });
  const first = await api('/auth/token', { form: { username: email, password } });
  assert.equal(first.status, 200);
  const token = (await first.json()).access_token;
  const refused = await api('/notes/export', { token });
  assert.equal(refused.status, 401);
  assert.match(refused.headers.get('www-authenticate'), /error="insufficient_user_authentication", acr_values="aal2"/);

  const enrolled = await api('/auth/second-factor/totp', { token, method: 'POST' });
  assert.equal(enrolled.status, 200);
  const { secret, uri } = await enrolled.json();
  assert.equal(uri, `otpauth://totp/Notes:api%40example.com?secret=${secret}&issuer=Notes&algorithm=SHA1&digits=6&period=30`);
  const step = stepNow();
  const confirmed = await api('/auth/second-factor/totp/confirm', { token, body: { code: totp(secret, step) } });
  assert.equal(confirmed.status, 200);
  assert.equal((await confirmed.json()).recovery_codes.length, 10);

  const password_step = await api('/auth/token', { form: { username: email, password } });
  assert.equal(password_step.status, 403);
  const asked = await password_step.json();
  assert.equal(asked.detail, 'Second factor required');
  assert.deepEqual(asked.factors, ['totp', 'recovery_code']);
  const again = await api('/auth/token/second-factor', { body: { second_factor_token: asked.second_factor_token, code: totp(secret, step) } });
  assert.equal(again.status, 401, 'the confirmation\'s code is spent');
  const second = await api('/auth/token/second-factor',
    { body: { second_factor_token: asked.second_factor_token, code: totp(secret, Math.max(step, stepNow()) + 1) } });
  assert.equal(second.status, 200);
  const strong = (await second.json()).access_token;
  assert.equal((await api('/notes/export', { token: strong })).status, 200);
  assert.deepEqual(await (await api('/auth/passkeys', { token: strong })).json(), []);

  const doc = await (await fetch(`${server.base}/openapi.json`)).json();
  for (const [path, method] of [['/api/v1/auth/token/second-factor', 'post'], ['/api/v1/auth/session/second-factor', 'post'],
    ['/api/v1/auth/second-factor', 'get'], ['/api/v1/auth/second-factor/totp', 'post'], ['/api/v1/auth/second-factor/totp', 'delete'],
    ['/api/v1/auth/second-factor/totp/confirm', 'post'], ['/api/v1/auth/second-factor/recovery-codes', 'post'],
    ['/api/v1/auth/passkeys/register/options', 'post'], ['/api/v1/auth/passkeys/register', 'post'],
    ['/api/v1/auth/passkeys/login/options', 'post'], ['/api/v1/auth/passkeys/login', 'post'], ['/api/v1/auth/passkeys', 'get'],
    ['/api/v1/auth/passkeys/{id}', 'patch'], ['/api/v1/auth/passkeys/{id}', 'delete'], ['/api/v1/notes/export', 'get']])
    assert.ok(doc.paths[path]?.[method], `${method.toUpperCase()} ${path}`);
});
