// "Sign in with ..." on the notes API against a real OpenID provider: panva's oidc-provider (npm),
// over HTTPS with a CA made for the test, which fauth-notes trusts through FAUTH_OIDC_CA_FILE and
// Chromium through the pin of that server's key (--ignore-certificate-errors-spki-list: no other
// certificate is let through). Headless Chromium clicks "Sign in with Test OP" on the notes page,
// signs in and consents at the provider, and comes back signed in: the page shows the account,
// the session is in fauth's HttpOnly cookies, no provider token reaches the page, and the page's
// list of sessions shows this one. Signing out at the provider (its RP-initiated logout page) makes
// it send a back-channel logout token, which ends the session here: the page is signed out. The
// token passes through a relay of the test's that keeps a copy: sent again, it is refused. Then
// the refusals, over HTTP: no state cookie, another state, the provider's error, another issuer
// (RFC 9207), a code replayed, an ID token whose nonce is not the sign-in's, an address an account
// already has. Needs Debian's chromium and the npm packages.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, X509Certificate } from 'node:crypto';
import { createServer } from 'node:net';
import { createServer as createHttpServer } from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchChromium } from '../support/browser.mjs';
import { startProvider } from '../support/oidc_provider.mjs';
import { startQuickstart as start, stopQuickstart as stop } from '../support/quickstart.mjs';
import { mailAfter } from '../support/mail.mjs';

const binary = process.env.FAUTH_NOTES ?? 'build/bin/fauth-notes';
const dir = mkdtempSync(join(tmpdir(), 'fauth-notes-sign-in-'));
let op;
let server;
let browser;
let base;
let relay;  // between the provider and fauth-notes' back-channel logout: keeps what passes
const relayed = [];  // { body, status } of each back-channel logout request

// A free loopback port for fauth-notes: the provider must know its callback URL before it starts.
function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => { const { port } = probe.address(); probe.close(() => resolve(port)); });
  });
}

before(async () => {
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  relay = createHttpServer((req, res) => {
    let body = '';
    req.on('data', (d) => { body += d; });
    req.on('end', async () => {
      const r = await fetch(`${base}/auth/op/backchannel-logout`, { method: 'POST',
        headers: { 'content-type': req.headers['content-type'] }, body });
      relayed.push({ body, status: r.status });
      res.writeHead(r.status, { 'cache-control': 'no-store' });
      res.end(await r.text());
    });
  });
  await new Promise((resolve) => relay.listen(0, '127.0.0.1', resolve));
  op = await startProvider({
    dir: join(dir, 'op'),
    login: { redirectUri: `${base}/auth/op/callback`, postLogoutRedirectUri: `${base}/`,
             backchannelLogoutUri: `http://127.0.0.1:${relay.address().port}/backchannel-logout` },
  });
  server = await start(binary, {
    PORT: String(port), FAUTH_DB: join(dir, 'notes.db'), FAUTH_BCRYPT_COST: '5', FAUTH_COOKIE_SECURE: '0',
    FAUTH_SECRET_KEY: 'sign-in-test-secret-key-of-32-bytes!',
    FAUTH_OIDC_ISSUER: op.issuer, FAUTH_OIDC_NAME: 'op', FAUTH_OIDC_DISPLAY_NAME: 'Test OP',
    FAUTH_OIDC_CLIENT_ID: op.clients.login.id, FAUTH_OIDC_CLIENT_SECRET: op.clients.login.secret,
    FAUTH_OIDC_REDIRECT_URI: op.clients.login.redirectUri, FAUTH_OIDC_CA_FILE: op.caFile,
    FAUTH_OIDC_POST_LOGOUT_REDIRECT_URI: `${base}/`,
  });
  // The provider is found in the background: sign-ins answer 503 until then.
  for (let i = 0; ; i += 1) {
    const r = await fetch(`${base}/auth/op/login`, { redirect: 'manual' });
    if (r.status === 302) break;
    assert.equal(r.status, 503, 'before discovery, a sign-in is unavailable');
    assert.ok(i < 100, 'the provider was not discovered within 10 s');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  // Chromium trusts the provider's certificate by its key only.
  const spki = new X509Certificate(readFileSync(join(dir, 'op', 'server.crt'))).publicKey.export({ type: 'spki', format: 'der' });
  browser = await launchChromium([`--ignore-certificate-errors-spki-list=${createHash('sha256').update(spki).digest('base64')}`]);
});

after(async () => {
  if (browser) await browser.close();
  if (relay) await new Promise((resolve) => relay.close(resolve));
  if (server) assert.equal(await stop(server.child), 0);
  if (op) {
    await op.stop();
    assert.deepEqual(op.errors, [], 'the provider had no server error');
  }
  rmSync(dir, { recursive: true, force: true });
});

// The provider's development login and consent pages, as a user fills them in.
async function signInAtProvider(page, login) {
  await page.waitForURL((url) => url.origin === op.issuer);
  await page.fill('input[name="login"]', login);
  await page.fill('input[name="password"]', 'any password');
  await page.click('button[type="submit"]');
  await page.waitForSelector('button[autofocus]');  // the consent page
  await page.click('button[autofocus]');
}

test('"Sign in with Test OP": through the provider and back, signed in, no provider token in the page', { timeout: 60000 }, async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${base}/`);
  await page.click('text=Sign in with Test OP');
  await signInAtProvider(page, 'alice@example.com');
  await page.waitForURL(`${base}/`);
  await page.waitForFunction(() => document.getElementById('who').textContent === 'alice@example.com');

  // The session is fauth's own, in its cookies; the sign-in cookie is gone; the page's script sees
  // the CSRF token only.
  // (The refresh cookie is sent to /api/v1/auth only. Cookies ignore ports: the provider's, on the
  // same address, are its own affair.)
  const cookies = (await context.cookies([`${base}/`, `${base}/api/v1/auth/refresh`])).filter((c) => c.name.startsWith('fauth_'));
  assert.deepEqual(cookies.map((c) => c.name).sort(), ['fauth_access', 'fauth_csrf', 'fauth_refresh']);
  for (const c of cookies) assert.equal(c.httpOnly, c.name !== 'fauth_csrf', `${c.name}'s HttpOnly`);
  const visible = await page.evaluate(() => document.cookie);
  assert.match(visible, /^fauth_csrf=[^;]+$/);
  // No provider token anywhere the page can read: no JWS (the provider's ID tokens are JWS; fauth's
  // own access token is in an HttpOnly cookie), nothing in storage.
  assert.doesNotMatch(visible, /eyJ/);
  assert.deepEqual(await page.evaluate(() => [localStorage.length, sessionStorage.length]), [0, 0]);
  const me = await page.evaluate(async () => (await fetch('/api/v1/auth/me')).json());
  assert.equal(me.email, 'alice@example.com');
  assert.equal(me.is_verified, true);

  // Signing in again maps to the same account (by issuer and subject).
  const again = await browser.newContext();
  const second = await again.newPage();
  await second.goto(`${base}/auth/op/login?return_to=/`);
  await signInAtProvider(second, 'alice@example.com');
  await second.waitForURL(`${base}/`);
  const meAgain = await second.evaluate(async () => (await fetch('/api/v1/auth/me')).json());
  assert.equal(meAgain.id, me.id);

  // The session is listed, begun by this provider, and the page shows it.
  const sessions = await page.evaluate(async () => (await fetch('/api/v1/auth/sessions')).json());
  const current = sessions.find((s) => s.current);
  assert.equal(current.origin, 'oidc:op');
  assert.equal(current.client, '127.0.0.1');
  assert.match(current.user_agent, /Chrome/);
  await page.reload();
  await page.waitForFunction(() => /\(this one\)/.test(document.getElementById('sessions').textContent));

  // Signing out at the provider: it calls the back-channel logout, which ends this session.
  await page.goto(`${op.issuer}/session/end`);
  await page.click('button[name="logout"][value="yes"]');
  await page.waitForURL((url) => url.origin === op.issuer && url.pathname.startsWith('/session/end/success'));
  // One logout token: this browser's provider session (the second sign-in, in another browser
  // context, is another provider session, and stays).
  assert.equal(relayed.length, 1);
  for (const r of relayed) assert.equal(r.status, 200);
  await page.goto(`${base}/`);
  const after = await page.evaluate(async () => {
    const me = await fetch('/api/v1/auth/me');
    const refresh = await fetch('/api/v1/auth/refresh', { method: 'POST', headers: { 'X-CSRF-Token': 'x' } });
    return [me.status, refresh.status];
  });
  assert.equal(after[0], 401, 'the access token is refused');
  assert.ok([401, 403].includes(after[1]), `the refresh is refused: ${after[1]}`);
  await page.waitForFunction(() => !document.getElementById('login').hidden);
  await context.close();
  // The other browser's session began with another provider session: it goes on.
  assert.equal(await second.evaluate(async () => (await fetch('/api/v1/auth/me')).status), 200);
  await again.close();

  // A logout token is taken once: sent again, it is refused.
  const again2 = await fetch(`${base}/auth/op/backchannel-logout`, { method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: relayed[0].body });
  assert.equal(again2.status, 400);
  assert.deepEqual(await again2.json(), { detail: 'Invalid logout token' });
});

test('"Log out" ends the session here, then at the provider (RP-initiated logout with the ID token as hint)', { timeout: 60000 }, async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const sentTo = [];
  page.on('request', (r) => { if (r.url().startsWith(`${op.issuer}/session/end`)) sentTo.push(new URL(r.url())); });
  await page.goto(`${base}/`);
  await page.click('text=Sign in with Test OP');
  await signInAtProvider(page, 'erin@example.com');
  await page.waitForFunction(() => document.getElementById('who').textContent === 'erin@example.com');
  // The sealed hint is a cookie of the provider's routes only, HttpOnly, and not readable as a JWS.
  const hint = (await context.cookies(`${base}/auth/op/end-session`)).find((c) => c.name === 'fauth_oidc_hint_op');
  assert.ok(hint, 'the hint cookie');
  assert.equal(hint.httpOnly, true);
  assert.equal(hint.path, '/auth/op');
  assert.doesNotMatch(hint.value, /^eyJ/);
  const before = relayed.length;

  await page.click('#logout');
  await page.click('button[name="logout"][value="yes"]');  // the provider's confirmation
  await page.waitForURL(`${base}/`);
  await page.waitForFunction(() => !document.getElementById('login').hidden);
  const end = sentTo[0];
  assert.equal(end.searchParams.get('client_id'), op.clients.login.id);
  assert.equal(end.searchParams.get('post_logout_redirect_uri'), `${base}/`);
  const claims = JSON.parse(Buffer.from(end.searchParams.get('id_token_hint').split('.')[1], 'base64url'));
  assert.equal(claims.email, 'erin@example.com');
  assert.equal(claims.aud, op.clients.login.id);
  assert.equal((await context.cookies(`${base}/auth/op/end-session`)).some((c) => c.name === 'fauth_oidc_hint_op'), false);
  // The provider also told this service by back-channel; the session was ended already.
  assert.equal(relayed.length, before + 1);
  assert.equal(relayed.at(-1).status, 200);
  await context.close();
});

test('back-channel logout requests that are not a provider\'s logout token are refused', async () => {
  const post = (body, type = 'application/x-www-form-urlencoded') =>
    fetch(`${base}/auth/op/backchannel-logout`, { method: 'POST', headers: { 'content-type': type }, body });
  for (const [body, type] of [['', undefined], ['logout_token=', undefined], ['logout_token=a.b.c', undefined],
    ['logout_token=x&logout_token=y', undefined], ['{"logout_token": "x"}', 'application/json']]) {
    const r = await post(body, type);
    assert.equal(r.status, 400, `${body}: ${r.status}`);
    assert.deepEqual(await r.json(), { detail: 'Invalid logout token' });
  }
});

// The sign-in cookie and the provider's URL of a new sign-in.
async function startSignIn() {
  const r = await fetch(`${base}/auth/op/login?return_to=/notes`, { redirect: 'manual' });
  assert.equal(r.status, 302);
  const cookie = r.headers.getSetCookie().find((c) => c.startsWith('fauth_oidc_op='));
  assert.ok(cookie, 'a sign-in cookie');
  assert.match(cookie, /HttpOnly/i);
  assert.match(cookie, /SameSite=Lax/i);
  const authorize = new URL(r.headers.get('location'));
  assert.equal(authorize.origin + authorize.pathname, op.metadata.authorization_endpoint);
  assert.equal(authorize.searchParams.get('code_challenge_method'), 'S256');
  return { cookie: cookie.split(';')[0], authorize };
}

// The callback URL the provider sends `login`'s browser to for `authorize` (its pages driven over HTTP).
async function codeFor(authorize, login) {
  const callback = await op.callbackFor(authorize, login);
  assert.equal(`${callback.origin}${callback.pathname}`, `${base}/auth/op/callback`);
  return callback;
}

const callback = (url, cookie, accept = 'application/json') =>
  fetch(url, { redirect: 'manual', headers: { accept, ...(cookie ? { cookie } : {}) } });

async function refused(r, status, detail) {
  assert.equal(r.status, status);
  assert.deepEqual(await r.json(), { detail });
  const cleared = r.headers.getSetCookie().find((c) => c.startsWith('fauth_oidc_op='));
  assert.match(cleared ?? '', /Max-Age=0/i, 'the sign-in cookie is cleared');
}

test('a callback without the sign-in cookie, or with another state, is refused; pages for browsers', async () => {
  const { cookie, authorize } = await startSignIn();
  const state = authorize.searchParams.get('state');
  await refused(await callback(`${base}/auth/op/callback?code=x&state=${state}`, null), 400, 'Invalid sign-in state');
  await refused(await callback(`${base}/auth/op/callback?code=x&state=another`, cookie), 400, 'Invalid sign-in state');
  await refused(await callback(`${base}/auth/op/callback?code=x`, cookie), 400, 'Invalid sign-in state');
  // Another provider's cookie (sealed for its name) does not open here.
  await refused(await callback(`${base}/auth/op/callback?code=x&state=${state}`, cookie.replace('fauth_oidc_op=', 'fauth_oidc_op=A')),
    400, 'Invalid sign-in state');
  const page = await callback(`${base}/auth/op/callback?code=x&state=another`, cookie, 'text/html,*/*');
  assert.equal(page.status, 400);
  assert.match(page.headers.get('content-type'), /^text\/html/);
  assert.match(await page.text(), /<h1>Invalid sign-in state<\/h1>/);
});

test('the provider\'s error, and an answer naming another issuer (RFC 9207), are refused', async () => {
  const { cookie, authorize } = await startSignIn();
  const state = authorize.searchParams.get('state');
  const iss = encodeURIComponent(op.issuer);
  await refused(await callback(`${base}/auth/op/callback?error=access_denied&error_description=User+said+no&state=${state}&iss=${iss}`, cookie),
    400, 'The sign-in was cancelled or refused at the provider');
  await refused(await callback(`${base}/auth/op/callback?code=x&state=${state}&iss=${encodeURIComponent('https://evil.example')}`, cookie),
    400, 'The sign-in could not be completed');
  // The provider says it sends iss: an answer without it is not its own.
  await refused(await callback(`${base}/auth/op/callback?code=x&state=${state}`, cookie), 400, 'The sign-in could not be completed');
});

test('a code is redeemed once: replayed with its sign-in cookie, it is refused', { timeout: 30000 }, async () => {
  const { cookie, authorize } = await startSignIn();
  const url = await codeFor(authorize, 'bob@example.com');
  const first = await callback(url, cookie);
  assert.equal(first.status, 303);
  assert.equal(first.headers.get('location'), '/notes');
  const names = first.headers.getSetCookie().map((c) => c.split('=')[0]).sort();
  assert.deepEqual(names, ['fauth_access', 'fauth_csrf', 'fauth_oidc_hint_op', 'fauth_oidc_op', 'fauth_refresh']);
  await refused(await callback(url, cookie), 400, 'The sign-in could not be completed');
});

test('an ID token whose nonce is not the sign-in\'s is refused', { timeout: 30000 }, async () => {
  const { cookie, authorize } = await startSignIn();
  authorize.searchParams.set('nonce', 'a-nonce-the-sign-in-never-made');
  const url = await codeFor(authorize, 'carol@example.com');
  await refused(await callback(url, cookie), 400, 'Invalid ID token');
});

test('an address an account already has is not taken over by a provider\'s account', { timeout: 30000 }, async () => {
  const email = 'dave@example.com';
  const post = (path, body) => fetch(`${base}/api/v1/auth/${path}`, { method: 'POST',
    headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  assert.equal((await post('register', { email, password: 'a long enough password' })).status, 202);
  const mail = await mailAfter(server, email, 0);
  assert.equal((await post('verify', { token: mail.token })).status, 200);
  const { cookie, authorize } = await startSignIn();
  const url = await codeFor(authorize, email);
  await refused(await callback(url, cookie), 403, 'No account for this identity');
});
