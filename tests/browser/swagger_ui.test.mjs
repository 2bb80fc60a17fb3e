// Swagger UI in headless Chromium against the real quickstart: without authorizing, GET /me is
// 401; after "Authorize" with alice's password through the OAuth2 password flow, it is 200 with
// her greeting; after "Authorize" with alice's API key alone (APIKeyHeader), it is 200 again with
// the key sent in X-API-Key and no Authorization header, and 401 once logged out; all of it under
// the page's Content-Security-Policy (nothing refused), with no token left in localStorage, and the
// page refuses to be framed. Needs Debian's chromium and playwright-core (scripts/bootstrap installs both).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchChromium } from '../support/browser.mjs';
import { startQuickstart, stopQuickstart } from '../support/quickstart.mjs';

const binary = process.env.FAUTH_QUICKSTART ?? 'build/bin/fauth-quickstart';
const screenshots = process.env.FAUTH_SCREENSHOT_DIR;
let server;
let browser;

before(async () => {
  server = await startQuickstart(binary);
  browser = await launchChromium();
});

after(async () => {
  if (browser) await browser.close();
  if (server) assert.equal(await stopQuickstart(server.child), 0);
});

// A new page that records what goes wrong in it: uncaught errors, and everything the page's
// Content-Security-Policy refused (a securitypolicyviolation event, or Chromium's console report).
async function watchedPage() {
  const page = await browser.newPage();
  const failures = [];
  page.on('pageerror', (e) => failures.push(e.message));
  page.on('console', (m) => { if (/Content Security Policy|Refused to/i.test(m.text())) failures.push(m.text()); });
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => console.error(`Refused to load: CSP ${e.violatedDirective} ${e.blockedURI}`));
  });
  return { page, failures };
}

// Runs "Try it out" / "Execute" on GET /me and returns the status and body Swagger UI shows.
async function tryGetMe(page) {
  const op = page.locator('#operations-default-get_me');
  if (!(await op.locator('.try-out__btn').isVisible())) await op.locator('.opblock-summary').click();
  const tryOut = op.locator('button.try-out__btn');
  if ((await tryOut.textContent()).includes('Try it out')) await tryOut.click();
  await op.locator('button.execute').click();
  const status = op.locator('.live-responses-table .response .response-col_status');
  await status.first().waitFor({ timeout: 15000 });
  const code = (await status.first().textContent()).trim();
  const body = await op.locator('.live-responses-table .response-col_description .microlight').first().textContent();
  await op.locator('button.btn-clear').click().catch(() => {});
  return { code, body };
}

test('Authorize with the password flow, then call GET /me', async () => {
  const { page, failures } = await watchedPage();
  const docs = await page.goto(`${server.base}/docs`);
  const headers = docs.headers();
  assert.match(headers['content-security-policy'], /frame-ancestors 'none'/);
  assert.match(headers['content-security-policy'], /script-src 'self';/);
  assert.equal(headers['x-frame-options'], 'DENY');
  assert.equal(headers['x-content-type-options'], 'nosniff');
  await page.locator('#operations-default-get_me').waitFor({ timeout: 20000 });

  const anonymous = await tryGetMe(page);
  assert.equal(anonymous.code, '401');
  assert.match(anonymous.body, /Not authenticated/);

  await page.locator('.auth-wrapper button.authorize').click();
  const dialog = page.locator('.dialog-ux');
  await dialog.locator('#oauth_username').fill('alice');
  await dialog.locator('#oauth_password').fill('s3cret');
  const oauth = dialog.locator('.auth-container').filter({ has: page.locator('#oauth_username') });
  await oauth.locator('button.authorize').click();
  // Once the token is obtained, the OAuth2 section shows "Authorized" and a Logout button.
  try {
    await dialog.locator('button', { hasText: 'Logout' }).first().waitFor({ timeout: 15000 });
  } catch (e) {
    if (screenshots) await page.screenshot({ path: `${screenshots}/swagger-authorize-failed.png` });
    throw e;
  }
  if (screenshots) await page.screenshot({ path: `${screenshots}/swagger-authorized.png` });
  await dialog.locator('button.close-modal').click();

  const authorized = await tryGetMe(page);
  if (screenshots) await page.screenshot({ path: `${screenshots}/swagger-me.png`, fullPage: true });
  assert.equal(authorized.code, '200');
  assert.match(authorized.body, /Hello alice/);
  assert.deepEqual(await page.evaluate(() => Object.keys(localStorage)), [], 'no token in localStorage');
  assert.deepEqual(failures, [], 'nothing failed and the Content-Security-Policy refused nothing');
});

test('the docs refuse to be framed, even by their own origin', async () => {
  const { page, failures } = await watchedPage();
  await page.goto(`${server.base}/openapi.json`);
  await page.setContent(`<iframe src="${server.base}/docs"></iframe>`);
  const frame = page.frames().find((f) => f !== page.mainFrame());
  await new Promise((r) => setTimeout(r, 1500));
  const loaded = frame ? await frame.evaluate(() => document.querySelector('#swagger-ui') !== null).catch(() => false) : false;
  assert.equal(loaded, false, 'the page did not render in a frame');
  assert.ok(failures.some((f) => /frame-ancestors|Refused to (display|frame)/i.test(f)), failures.join('\n'));
});

test('Authorize with an API key alone, then call GET /me', async () => {
  const key = server.output().match(/API key \(shown once\): (fauth_[0-9a-f]{16}_[A-Za-z0-9_-]{43})/)?.[1];
  assert.ok(key, 'the quickstart printed alice\'s key');
  const { page, failures } = await watchedPage();
  const sent = [];
  page.on('request', (r) => { if (new URL(r.url()).pathname === '/me') sent.push(r.headers()); });
  await page.goto(`${server.base}/docs`);
  await page.locator('#operations-default-get_me').waitFor({ timeout: 20000 });

  await page.locator('.auth-wrapper button.authorize').click();
  const dialog = page.locator('.dialog-ux');
  const apiKey = dialog.locator('.auth-container').filter({ hasText: 'APIKeyHeader' });
  await apiKey.locator('input').fill(key);
  await apiKey.locator('button.authorize').click();
  await apiKey.locator('button', { hasText: 'Logout' }).waitFor({ timeout: 15000 });
  if (screenshots) await page.screenshot({ path: `${screenshots}/swagger-api-key.png` });
  await dialog.locator('button.close-modal').click();

  const authorized = await tryGetMe(page);
  assert.equal(authorized.code, '200');
  assert.match(authorized.body, /Hello alice/);
  assert.equal(sent.length, 1);
  assert.equal(sent[0]['x-api-key'], key);
  assert.equal(sent[0].authorization, undefined, 'the key alone, no bearer token');

  await page.locator('.auth-wrapper button.authorize').click();
  await apiKey.locator('button', { hasText: 'Logout' }).click();
  await dialog.locator('button.close-modal').click();
  const out = await tryGetMe(page);
  assert.equal(out.code, '401');
  assert.match(out.body, /Not authenticated/);
  assert.equal(sent.at(-1)['x-api-key'], undefined);
  assert.deepEqual(failures, []);
});
