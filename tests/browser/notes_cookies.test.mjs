// The notes API's browser page in headless Chromium, against the real fauth-notes on a temporary
// SQLite database: the page logs in with its form, the session cookies are HttpOnly (page script
// sees only the CSRF cookie), adding a note sends the CSRF header and succeeds, and the same
// requests started by a page of another origin (a fetch and a form post, both carrying the
// cookies) are refused with 403 and change nothing; the page lists the sessions and ends them.
// Needs Debian's chromium and playwright-core.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchChromium } from '../support/browser.mjs';
import { startQuickstart as start, stopQuickstart as stop } from '../support/quickstart.mjs';
import { mailAfter } from '../support/mail.mjs';

const binary = process.env.FAUTH_NOTES ?? 'build/bin/fauth-notes';
const dir = mkdtempSync(join(tmpdir(), 'fauth-notes-browser-'));
const email = 'browser@example.com';
const password = 'correct horse battery';
let server;
let browser;
let evil;  // a page of another origin: http://127.0.0.1:<another port>

// The evil origin's page: on load it POSTs a note with the victim's cookies (a no-cors fetch, which
// no preflight stops) and offers a form that posts a logout.
function evilPage(target) {
  return `<!doctype html><html><body>
<form id="logout" method="POST" action="${target}/api/v1/auth/logout"></form>
<script>
fetch('${target}/api/v1/notes', { method: 'POST', mode: 'no-cors', credentials: 'include',
  headers: { 'Content-Type': 'text/plain' }, body: JSON.stringify({ title: 'forged' }) });
</script></body></html>`;
}

before(async () => {
  server = await start(binary, { FAUTH_DB: join(dir, 'notes.db'), FAUTH_BCRYPT_COST: '5', FAUTH_COOKIE_SECURE: '0',
                                 FAUTH_SECRET_KEY: 'browser-test-secret-key-of-32-bytes!' });
  // A verified account: register, then follow the mailed token (the example's mailer logs it).
  const post = (path, body) => fetch(`${server.base}/api/v1/auth/${path}`, { method: 'POST',
    headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  assert.equal((await post('register', { email, password })).status, 202);
  const mail = await mailAfter(server, email, 0);
  assert.equal(mail.subject, 'Confirm your address');
  assert.equal((await post('verify', { token: mail.token })).status, 200);

  evil = createServer((req, res) => { res.setHeader('Content-Type', 'text/html'); res.end(evilPage(server.base)); });
  await new Promise((resolve) => evil.listen(0, '127.0.0.1', resolve));
  browser = await launchChromium();
});

after(async () => {
  if (browser) await browser.close();
  if (evil) await new Promise((resolve) => evil.close(resolve));
  if (server) assert.equal(await stop(server.child), 0);
  rmSync(dir, { recursive: true, force: true });
});

test('log in with the form, add a note with the CSRF header; another origin is refused', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const failures = [];
  page.on('pageerror', (e) => failures.push(e.message));
  await page.goto(`${server.base}/`);
  await page.locator('input[name=username]').fill(email);
  await page.locator('input[name=password]').fill(password);
  await page.locator('#login button').click();
  await page.locator('#app').waitFor({ state: 'visible', timeout: 15000 });
  assert.equal(await page.locator('#who').textContent(), email);

  // The tokens are in HttpOnly cookies: the page's script sees the CSRF cookie alone.
  const visible = await page.evaluate(() => document.cookie);
  assert.match(visible, /^fauth_csrf=[A-Za-z0-9_-]+$/);
  const cookies = Object.fromEntries((await context.cookies()).map((c) => [c.name, c]));
  assert.equal(cookies.fauth_access.httpOnly, true);
  assert.equal(cookies.fauth_refresh.httpOnly, true);
  assert.equal(cookies.fauth_refresh.path, '/api/v1/auth');
  assert.equal(cookies.fauth_csrf.httpOnly, false);
  assert.equal(cookies.fauth_access.sameSite, 'Lax');

  // A note through the page: the request carries the CSRF header and is accepted.
  const [added] = await Promise.all([
    page.waitForResponse((r) => r.url().endsWith('/api/v1/notes') && r.request().method() === 'POST'),
    (async () => {
      await page.locator('#add input[name=title]').fill('groceries');
      await page.locator('#add input[name=body]').fill('milk');
      await page.locator('#add button').click();
    })(),
  ]);
  assert.equal(added.status(), 201);
  assert.equal(added.request().headers()['x-csrf-token'], cookies.fauth_csrf.value);
  await page.locator('#notes li', { hasText: 'groceries: milk' }).waitFor({ timeout: 15000 });

  // The same request from another origin, in the same browser (so with the cookies), without the header.
  const attacker = await context.newPage();
  const [forged] = await Promise.all([
    attacker.waitForResponse((r) => r.url() === `${server.base}/api/v1/notes`),
    attacker.goto(`http://127.0.0.1:${evil.address().port}/`),
  ]);
  // 403, not 401 "Not authenticated": the browser attached the session cookie, and the CSRF checks refused it.
  assert.equal(forged.status(), 403);
  // A form post of a logout from that origin: a top-level navigation, cookies attached, refused.
  const [logout] = await Promise.all([
    attacker.waitForResponse((r) => r.url() === `${server.base}/api/v1/auth/logout`),
    attacker.locator('#logout').evaluate((form) => form.submit()),
  ]);
  assert.equal(logout.status(), 403);
  assert.deepEqual(JSON.parse(await attacker.locator('body').textContent()), { detail: 'Origin not allowed' });

  // Nothing changed: the session lives and there is no forged note.
  await page.reload();
  await page.locator('#notes li').first().waitFor({ timeout: 15000 });
  assert.deepEqual(await page.locator('#notes li').allTextContents(), ['groceries: milk']);

  // The page's own logout ends the session and clears the session cookies. The device cookie
  // stays: it says this browser logged in as alice before, for her next login's own budget.
  await page.locator('#logout').click();
  await page.locator('#login').waitFor({ state: 'visible', timeout: 15000 });
  assert.deepEqual((await context.cookies()).map((c) => c.name), ['fauth_device']);
  const [device] = await context.cookies();
  assert.equal(device.httpOnly, true);
  assert.equal(device.sameSite, 'Strict');
  assert.equal(device.path, '/api/v1/auth/session');
  assert.deepEqual(failures, []);
  await context.close();
});

test('the page lists the sessions; End ends another browser\'s, Sign out everywhere else the rest', async () => {
  const logIn = async (userAgent) => {
    const context = await browser.newContext({ userAgent });
    const page = await context.newPage();
    await page.goto(`${server.base}/`);
    await page.locator('input[name=username]').fill(email);
    await page.locator('input[name=password]').fill(password);
    await page.locator('#login button').click();
    await page.locator('#app').waitFor({ state: 'visible', timeout: 15000 });
    return { context, page };
  };
  const a = await logIn('BrowserA/1.0');
  const b = await logIn('BrowserB/1.0');
  const c = await logIn('BrowserC/1.0');
  await a.page.reload();
  await a.page.locator('#sessions li').nth(2).waitFor({ timeout: 15000 });
  const rows = await a.page.locator('#sessions li').allTextContents();
  assert.equal(rows.length, 3, rows.join('\n'));
  assert.match(rows[0], /^BrowserC\/1\.0 from 127\.0\.0\.1, last used .+ End$/);
  assert.match(rows[1], /^BrowserB\/1\.0 from 127\.0\.0\.1, last used .+ End$/);
  assert.match(rows[2], /^BrowserA\/1\.0 from 127\.0\.0\.1, last used .+ \(this one\) $/, 'no End button for its own');

  // End B's session from A: B's page falls back to the login form (its refresh is refused too).
  const [ended] = await Promise.all([
    a.page.waitForResponse((r) => r.request().method() === 'DELETE'),
    a.page.locator('#sessions li', { hasText: 'BrowserB/1.0' }).locator('button').click(),
  ]);
  assert.equal(ended.status(), 204);
  await a.page.locator('#sessions li', { hasText: 'BrowserB/1.0' }).waitFor({ state: 'detached', timeout: 15000 });
  await b.page.reload();
  await b.page.locator('#login').waitFor({ state: 'visible', timeout: 15000 });

  // Sign out everywhere else: C's goes, A's stays.
  await a.page.locator('#others').click();
  await a.page.locator('#status', { hasText: 'Signed out everywhere else' }).waitFor({ timeout: 15000 });
  await a.page.locator('#sessions li', { hasText: 'BrowserC/1.0' }).waitFor({ state: 'detached', timeout: 15000 });
  const left = await a.page.locator('#sessions li').allTextContents();
  assert.equal(left.length, 1, left.join('\n'));
  assert.match(left[0], /^BrowserA\/1\.0 from 127\.0\.0\.1, last used .+ \(this one\) $/);
  await c.page.reload();
  await c.page.locator('#login').waitFor({ state: 'visible', timeout: 15000 });
  await a.page.reload();
  await a.page.locator('#app').waitFor({ state: 'visible', timeout: 15000 });
  for (const { context } of [a, b, c]) await context.close();
});
