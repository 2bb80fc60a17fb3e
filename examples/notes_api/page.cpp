// The notes API's browser page: log in with the form (then a code, for a user with an
// authenticator app), with a passkey (no user name), or "Sign in with ..." an OpenID provider (the
// session goes into HttpOnly cookies no script here can read), then list and add notes, list and
// end sessions, add, rename and remove passkeys, set up or remove an authenticator app, and export
// every note (a step-up: a call refused with RFC 9470's insufficient_user_authentication offers to
// sign in again, then tries again), sending the CSRF cookie's value back in X-CSRF-Token on every
// change. Text is inserted with textContent only, never as HTML; the QR code is an image.
#include "account.hpp"

namespace notes {
namespace {

const char* const kPage = R"html(<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>fauth notes</title>
<style>body{font-family:sans-serif;max-width:40em;margin:2em auto}label{display:block;margin:.4em 0}
#totp-qr img{width:12em;height:12em}#recovery-codes{font-family:monospace}</style></head>
<body>
<h1>fauth notes</h1>
<form id="login">
  <label>Email <input name="username" type="email" autocomplete="username" required></label>
  <label>Password <input name="password" type="password" autocomplete="current-password" required></label>
  <button>Log in</button>
</form>
<p id="passkey"><button id="passkey-login" type="button">Sign in with a passkey</button></p>
<form id="second-factor" hidden>
  <label>Code from your authenticator app, or a recovery code
    <input name="code" autocomplete="one-time-code" required></label>
  <button>Continue</button> <button id="second-factor-cancel" type="button">Cancel</button>
</form>
<p id="providers"></p>
<section id="step-up" hidden>
  <p id="step-up-reason"></p>
  <button id="step-up-sign-in" type="button">Sign in again</button> <button id="step-up-cancel" type="button">Not now</button>
</section>
<section id="app" hidden>
  <p>Logged in as <b id="who"></b> <button id="logout" type="button">Log out</button></p>
  <form id="add"><input name="title" placeholder="Title" required> <input name="body" placeholder="Text"> <button>Add</button></form>
  <ul id="notes"></ul>
  <button id="export" type="button">Export all notes</button>
  <h2>Sessions</h2>
  <ul id="sessions"></ul>
  <button id="others" type="button">Sign out everywhere else</button>
  <h2>Passkeys</h2>
  <ul id="passkeys"></ul>
  <label>Name <input id="passkey-name" value="My passkey" maxlength="64"></label>
  <button id="passkey-add" type="button">Add a passkey</button>
  <h2>Authenticator app</h2>
  <p id="totp-status"></p>
  <button id="totp-enrol" type="button" hidden>Set up an authenticator app</button>
  <div id="totp-setup" hidden>
    <p>Scan this code with your authenticator app, or type in the secret <code id="totp-secret"></code>.</p>
    <div id="totp-qr"></div>
    <form id="totp-confirm"><label>Code from the app <input name="code" inputmode="numeric" autocomplete="one-time-code" required></label>
      <button>Confirm</button></form>
  </div>
  <div id="recovery" hidden>
    <p>Your recovery codes, shown only now: keep them somewhere safe. Each signs in once without the app.</p>
    <ul id="recovery-codes"></ul>
  </div>
  <button id="recovery-renew" type="button" hidden>New recovery codes</button>
  <button id="totp-remove" type="button" hidden>Remove the authenticator</button>
</section>
<p id="status" role="status"></p>
<script>
const $ = (id) => document.getElementById(id);
const say = (text) => { $('status').textContent = text; };
const csrfCookie = '@CSRF_COOKIE@=';
const csrf = () => (document.cookie.split('; ').find((c) => c.startsWith(csrfCookie)) || '').slice(csrfCookie.length);
// RFC 9470: the route wants a stronger or more recent sign-in; a refresh cannot give it.
const needsStepUp = (r) => r.status === 401 && /insufficient_user_authentication/.test(r.headers.get('WWW-Authenticate') || '');
// A call with the session cookies and the CSRF header; one refresh (by cookie) when the access cookie has expired.
async function call(path, options = {}) {
  const send = () => fetch(path, { ...options, credentials: 'same-origin', headers: { ...(options.headers || {}), 'X-CSRF-Token': csrf() } });
  let r = await send();
  if (r.status === 401 && !needsStepUp(r) &&
      (await fetch('/api/v1/auth/refresh', { method: 'POST', headers: { 'X-CSRF-Token': csrf() } })).ok) r = await send();
  return r;
}
const json = (body) => ({ method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
const detail = async (r) => { try { return (await r.json()).detail || r.statusText; } catch { return r.statusText; } };

// Step-up: a call refused for want of a stronger (or more recent) sign-in says so and offers to
// sign in again; once signed in, the action is tried again.
let retry = null;
async function stepUp(r, action) {
  const challenge = r.headers.get('WWW-Authenticate') || '';
  $('step-up-reason').textContent = (await detail(r)) + ': ' + (/acr_values/.test(challenge)
    ? 'sign in again with a passkey, or with your password and a code from your authenticator app.'
    : 'sign in again to confirm it is you.');
  retry = action;
  $('step-up').hidden = false;
}
// `action()` is a response; when it asks for a step-up, stepUp; else `done(response)`.
async function withStepUp(action, done) {
  const r = await action();
  if (needsStepUp(r)) return stepUp(r, () => withStepUp(action, done));
  return done(r);
}
$('step-up-cancel').addEventListener('click', () => { $('step-up').hidden = true; retry = null; });
$('step-up-sign-in').addEventListener('click', async () => {
  $('step-up').hidden = true;
  await call('/api/v1/auth/logout', { method: 'POST' });
  say('Sign in again to continue');
  await show(false);
});
// After a sign-in: the page, then what waited for it.
async function signedIn() {
  $('login').reset();  // the password does not stay in the page
  say('Welcome');
  await show();
  if (retry) { const again = retry; retry = null; await again(); }
}

// base64url <-> ArrayBuffer: WebAuthn's JSON forms carry bytes as base64url.
const fromB64u = (s) => Uint8Array.from(atob(s.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((s.length + 3) % 4)),
  (c) => c.charCodeAt(0)).buffer;
const toB64u = (buffer) => btoa(String.fromCharCode(...new Uint8Array(buffer)))
  .replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
const descriptors = (list) => (list || []).map((c) => ({ ...c, id: fromB64u(c.id) }));

async function show(fetchMe = true) {
  const me = fetchMe ? await call('/api/v1/auth/me') : { ok: false };
  $('login').hidden = me.ok; $('passkey').hidden = me.ok; $('app').hidden = !me.ok; $('second-factor').hidden = true;
  if (!me.ok) return;
  $('who').textContent = (await me.json()).email;
  const list = $('notes'); list.replaceChildren();
  for (const n of await (await call('/api/v1/notes')).json()) {
    const li = document.createElement('li'); li.textContent = n.title + (n.body ? ': ' + n.body : ''); list.append(li);
  }
  // One after another: two refreshes at once would spend one refresh cookie twice.
  await showSessions(); await showPasskeys(); await showTotp();
}
// Each session: its browser or program, where and when it was last used; "End" for the others.
async function showSessions() {
  const list = $('sessions'); list.replaceChildren();
  const r = await call('/api/v1/auth/sessions');
  if (!r.ok) return;
  for (const s of await r.json()) {
    const li = document.createElement('li');
    li.textContent = (s.user_agent || 'unknown client') + ' from ' + s.client + ', last used ' +
      new Date(s.last_refreshed_at * 1000).toLocaleString() + (s.origin ? ', signed in by ' + s.origin : '') +
      (s.current ? ' (this one)' : '') + ' ';
    if (!s.current) {
      const end = document.createElement('button'); end.type = 'button'; end.textContent = 'End';
      end.addEventListener('click', async () => {
        const d = await call('/api/v1/auth/sessions/' + encodeURIComponent(s.id), { method: 'DELETE' });
        say(d.ok ? 'Session ended' : await detail(d));
        await showSessions();
      });
      li.append(end);
    }
    list.append(li);
  }
}

// Passkeys: each with its name (renamed in place) and a Remove button.
async function showPasskeys() {
  const list = $('passkeys'); list.replaceChildren();
  const r = await call('/api/v1/auth/passkeys');
  if (!r.ok) return;
  for (const p of await r.json()) {
    const li = document.createElement('li'); li.className = 'passkey'; li.dataset.id = p.id;
    const name = document.createElement('input'); name.className = 'passkey-name'; name.value = p.name; name.maxLength = 64;
    const used = document.createElement('span'); used.className = 'passkey-used';
    used.textContent = ' added ' + new Date(p.created_at * 1000).toLocaleString() +
      (p.last_used_at ? ', last used ' + new Date(p.last_used_at * 1000).toLocaleString() : ', never used') + ' ';
    const rename = document.createElement('button'); rename.type = 'button'; rename.className = 'passkey-rename'; rename.textContent = 'Rename';
    rename.addEventListener('click', async () => {
      const d = await call('/api/v1/auth/passkeys/' + encodeURIComponent(p.id), { ...json({ name: name.value }), method: 'PATCH' });
      say(d.ok ? 'Passkey renamed' : await detail(d));
      await showPasskeys();
    });
    const remove = document.createElement('button'); remove.type = 'button'; remove.className = 'passkey-remove'; remove.textContent = 'Remove';
    remove.addEventListener('click', () => withStepUp(
      () => call('/api/v1/auth/passkeys/' + encodeURIComponent(p.id), { method: 'DELETE' }),
      async (d) => { say(d.ok ? 'Passkey removed' : await detail(d)); await showPasskeys(); }));
    li.append(name, used, rename, remove);
    list.append(li);
  }
}
// "Add a passkey": the server's creation options, the browser's ceremony, the response back.
$('passkey-add').addEventListener('click', () => withStepUp(
  () => call('/api/v1/auth/passkeys/register/options', { method: 'POST' }),
  async (r) => {
    if (!r.ok) return say(await detail(r));
    const o = await r.json();
    let credential;
    try {
      credential = await navigator.credentials.create({ publicKey: {
        ...o, challenge: fromB64u(o.challenge), user: { ...o.user, id: fromB64u(o.user.id) },
        excludeCredentials: descriptors(o.excludeCredentials) } });
    } catch (e) { return say('No passkey was made: ' + e.message); }
    const response = credential.response;
    const d = await call('/api/v1/auth/passkeys/register', json({ name: $('passkey-name').value, credential: {
      id: credential.id, rawId: toB64u(credential.rawId), type: credential.type,
      response: { clientDataJSON: toB64u(response.clientDataJSON), attestationObject: toB64u(response.attestationObject),
                  transports: response.getTransports ? response.getTransports() : [] },
      clientExtensionResults: credential.getClientExtensionResults() } }));
    say(d.ok ? 'Passkey added' : await detail(d));
    await showPasskeys();
  }));
// "Sign in with a passkey": no user name; the browser offers this site's passkeys.
$('passkey-login').addEventListener('click', async () => {
  const o = await (await fetch('/api/v1/auth/passkeys/login/options', { method: 'POST' })).json();
  let credential;
  try {
    credential = await navigator.credentials.get({ publicKey: {
      ...o, challenge: fromB64u(o.challenge), allowCredentials: descriptors(o.allowCredentials) } });
  } catch (e) { return say('No passkey was used: ' + e.message); }
  const response = credential.response;
  const r = await fetch('/api/v1/auth/passkeys/login', json({
    id: credential.id, rawId: toB64u(credential.rawId), type: credential.type,
    response: { clientDataJSON: toB64u(response.clientDataJSON), authenticatorData: toB64u(response.authenticatorData),
                signature: toB64u(response.signature), userHandle: response.userHandle ? toB64u(response.userHandle) : null },
    clientExtensionResults: credential.getClientExtensionResults() }));
  if (!r.ok) return say(await detail(r));
  await signedIn();
});

// The authenticator app: set up (QR code and secret, then a first code, then the recovery
// codes, shown once), new recovery codes, removal.
async function showTotp() {
  const r = await call('/api/v1/auth/second-factor');
  if (!r.ok) return;
  const s = await r.json();
  $('totp-status').textContent = s.totp ? 'On: a password login also asks for a code (' + s.recovery_codes_left +
    ' recovery codes left).' : 'Off.';
  $('totp-enrol').hidden = s.totp; $('totp-remove').hidden = !s.totp; $('recovery-renew').hidden = !s.totp;
  if (s.totp) $('totp-setup').hidden = true;
}
function showRecoveryCodes(codes) {
  const list = $('recovery-codes'); list.replaceChildren();
  for (const c of codes) { const li = document.createElement('li'); li.textContent = c; list.append(li); }
  $('recovery').hidden = false;
}
$('totp-enrol').addEventListener('click', () => withStepUp(
  () => call('/api/v1/auth/second-factor/totp', { method: 'POST' }),
  async (r) => {
    if (!r.ok) return say(await detail(r));
    const e = await r.json();
    $('totp-secret').textContent = e.secret;
    const img = document.createElement('img'); img.alt = 'QR code of ' + e.uri;
    img.src = 'data:image/svg+xml;base64,' + btoa(e.qr_svg);  // an image: its SVG runs no script
    $('totp-qr').replaceChildren(img);
    $('recovery').hidden = true; $('totp-setup').hidden = false;
  }));
$('totp-confirm').addEventListener('submit', async (e) => {
  e.preventDefault();
  const r = await call('/api/v1/auth/second-factor/totp/confirm', json({ code: new FormData(e.target).get('code') }));
  if (!r.ok) return say(await detail(r));
  e.target.reset();
  showRecoveryCodes((await r.json()).recovery_codes);
  say('Authenticator app on');
  await showTotp();
});
$('recovery-renew').addEventListener('click', () => withStepUp(
  () => call('/api/v1/auth/second-factor/recovery-codes', { method: 'POST' }),
  async (r) => {
    if (!r.ok) return say(await detail(r));
    showRecoveryCodes((await r.json()).recovery_codes);
    say('New recovery codes; the old ones no longer work');
    await showTotp();
  }));
$('totp-remove').addEventListener('click', () => withStepUp(
  () => call('/api/v1/auth/second-factor/totp', { method: 'DELETE' }),
  async (r) => {
    say(r.ok ? 'Authenticator app removed' : await detail(r));
    $('recovery').hidden = true;
    await showTotp();
  }));

// Export: a sign-in with two factors only; the notes as a JSON file.
$('export').addEventListener('click', () => withStepUp(
  () => call('/api/v1/notes/export'),
  async (r) => {
    if (!r.ok) return say(await detail(r));
    const body = await r.json();
    const a = document.createElement('a');
    a.href = URL.createObjectURL(new Blob([JSON.stringify(body, null, 2)], { type: 'application/json' }));
    a.download = 'notes.json'; a.click();
    say('Exported ' + body.notes.length + ' notes');
  }));

// Password login; a user with an authenticator app is asked for a code next.
let secondFactorToken = null;
$('login').addEventListener('submit', async (e) => {
  e.preventDefault();
  const r = await fetch('/api/v1/auth/session', { method: 'POST', body: new URLSearchParams(new FormData(e.target)) });
  if (r.status === 403) {
    const body = await r.json();
    if (body.second_factor_token) {
      secondFactorToken = body.second_factor_token;
      $('login').hidden = true; $('passkey').hidden = true; $('second-factor').hidden = false;
      $('second-factor').elements.code.focus();
      return say('Enter the code from your authenticator app, or a recovery code');
    }
    return say(body.detail);
  }
  if (!r.ok) return say(await detail(r));
  await signedIn();
});
$('second-factor').addEventListener('submit', async (e) => {
  e.preventDefault();
  const r = await fetch('/api/v1/auth/session/second-factor',
    json({ second_factor_token: secondFactorToken, code: new FormData(e.target).get('code') }));
  if (!r.ok) {
    say(await detail(r));
    if (r.status !== 401 || !/code/i.test($('status').textContent)) { secondFactorToken = null; await show(false); }
    return;
  }
  secondFactorToken = null; e.target.reset();
  await signedIn();
});
$('second-factor-cancel').addEventListener('click', async () => { secondFactorToken = null; say(''); await show(false); });
$('add').addEventListener('submit', async (e) => {
  e.preventDefault();
  const f = new FormData(e.target);
  const r = await call('/api/v1/notes', json({ title: f.get('title'), body: f.get('body') }));
  say(r.ok ? 'Added' : await detail(r));
  e.target.reset(); await show();
});
$('others').addEventListener('click', async () => {
  const r = await call('/api/v1/auth/sessions', { method: 'DELETE' });
  say(r.ok ? 'Signed out everywhere else' : await detail(r));
  await showSessions();
});
// Log out here; a session begun at an OpenID provider is then signed out there too (RP-initiated logout).
$('logout').addEventListener('click', async () => {
  const sessions = await call('/api/v1/auth/sessions');
  const current = sessions.ok ? (await sessions.json()).find((s) => s.current) : null;
  const r = await call('/api/v1/auth/logout', { method: 'POST' });
  say(r.ok ? 'Logged out' : await detail(r));
  if (r.ok && current && current.origin.startsWith('oidc:'))
    return location.assign('/auth/' + encodeURIComponent(current.origin.slice(5)) + '/end-session');
  await show();
});
// "Sign in with ..." for each OpenID provider configured: a plain link, the server does the rest.
fetch('/api/v1/auth/providers').then((r) => r.json()).then((list) => {
  for (const p of list) {
    const a = document.createElement('a');
    a.href = p.login_url + '?return_to=/'; a.textContent = 'Sign in with ' + p.display_name;
    $('providers').append(a);
  }
});
show();
</script>
</body>
</html>
)html";

}  // namespace

void add_login_page(fauth::http::Api& api, const std::string& csrf_cookie) {
    // The CSRF cookie's name as the provider uses it (__Host-fauth_csrf when the cookies are Secure).
    std::string page = kPage;
    const std::string placeholder = "@CSRF_COOKIE@";
    page.replace(page.find(placeholder), placeholder.size(), csrf_cookie);
    api.get("/",
            [page = std::move(page)](const Pistache::Rest::Request&, Pistache::Http::ResponseWriter writer) {
                writer.send(Pistache::Http::Code::Ok, page, MIME(Text, Html));
            },
            {.summary = "The browser page: log in by cookie, then your notes",
             .tags = {"Pages"},
             .responses = {{"200", {{"description", "HTML"}, {"content", {{"text/html", nlohmann::json::object()}}}}}}});
}

}  // namespace notes
