// The notes API's browser page: log in with the form or "Sign in with ..." an OpenID provider (the
// session goes into HttpOnly cookies no script here can read), then list and add notes, list and
// end sessions, sending the CSRF cookie's value back in
// X-CSRF-Token on every change. Text is inserted with textContent only, never as HTML.
#include "account.hpp"

namespace notes {
namespace {

const char* const kPage = R"html(<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>fauth notes</title>
<style>body{font-family:sans-serif;max-width:40em;margin:2em auto}label{display:block;margin:.4em 0}</style></head>
<body>
<h1>fauth notes</h1>
<form id="login">
  <label>Email <input name="username" type="email" autocomplete="username" required></label>
  <label>Password <input name="password" type="password" autocomplete="current-password" required></label>
  <button>Log in</button>
</form>
<p id="providers"></p>
<section id="app" hidden>
  <p>Logged in as <b id="who"></b> <button id="logout" type="button">Log out</button></p>
  <form id="add"><input name="title" placeholder="Title" required> <input name="body" placeholder="Text"> <button>Add</button></form>
  <ul id="notes"></ul>
  <h2>Sessions</h2>
  <ul id="sessions"></ul>
  <button id="others" type="button">Sign out everywhere else</button>
</section>
<p id="status" role="status"></p>
<script>
const $ = (id) => document.getElementById(id);
const csrfCookie = '@CSRF_COOKIE@=';
const csrf = () => (document.cookie.split('; ').find((c) => c.startsWith(csrfCookie)) || '').slice(csrfCookie.length);
// A call with the session cookies and the CSRF header; one refresh (by cookie) when the access cookie has expired.
async function call(path, options = {}) {
  const send = () => fetch(path, { ...options, credentials: 'same-origin', headers: { ...(options.headers || {}), 'X-CSRF-Token': csrf() } });
  let r = await send();
  if (r.status === 401 && (await fetch('/api/v1/auth/refresh', { method: 'POST', headers: { 'X-CSRF-Token': csrf() } })).ok) r = await send();
  return r;
}
async function show() {
  const me = await call('/api/v1/auth/me');
  $('login').hidden = me.ok; $('app').hidden = !me.ok;
  if (!me.ok) return;
  $('who').textContent = (await me.json()).email;
  const list = $('notes'); list.replaceChildren();
  for (const n of await (await call('/api/v1/notes')).json()) {
    const li = document.createElement('li'); li.textContent = n.title + (n.body ? ': ' + n.body : ''); list.append(li);
  }
  await showSessions();
}
// Each session: its browser or program, where and when it was last used; "End" for the others.
async function showSessions() {
  const list = $('sessions'); list.replaceChildren();
  const r = await call('/api/v1/auth/sessions');
  if (!r.ok) return;
  for (const s of await r.json()) {
    const li = document.createElement('li');
    li.textContent = (s.user_agent || 'unknown client') + ' from ' + s.client + ', last used ' +
      new Date(s.last_refreshed_at * 1000).toLocaleString() + (s.current ? ' (this one)' : '') + ' ';
    if (!s.current) {
      const end = document.createElement('button'); end.type = 'button'; end.textContent = 'End';
      end.addEventListener('click', async () => {
        const d = await call('/api/v1/auth/sessions/' + encodeURIComponent(s.id), { method: 'DELETE' });
        $('status').textContent = d.ok ? 'Session ended' : (await d.json()).detail;
        await showSessions();
      });
      li.append(end);
    }
    list.append(li);
  }
}
$('login').addEventListener('submit', async (e) => {
  e.preventDefault();
  const r = await fetch('/api/v1/auth/session', { method: 'POST', body: new URLSearchParams(new FormData(e.target)) });
  $('status').textContent = r.ok ? 'Welcome' : (await r.json()).detail;
  await show();
});
$('add').addEventListener('submit', async (e) => {
  e.preventDefault();
  const f = new FormData(e.target);
  const r = await call('/api/v1/notes', { method: 'POST', headers: { 'Content-Type': 'application/json' },
                                          body: JSON.stringify({ title: f.get('title'), body: f.get('body') }) });
  $('status').textContent = r.ok ? 'Added' : (await r.json()).detail;
  e.target.reset(); await show();
});
$('others').addEventListener('click', async () => {
  const r = await call('/api/v1/auth/sessions', { method: 'DELETE' });
  $('status').textContent = r.ok ? 'Signed out everywhere else' : (await r.json()).detail;
  await showSessions();
});
// Log out here; a session begun at an OpenID provider is then signed out there too (RP-initiated logout).
$('logout').addEventListener('click', async () => {
  const sessions = await call('/api/v1/auth/sessions');
  const current = sessions.ok ? (await sessions.json()).find((s) => s.current) : null;
  const r = await call('/api/v1/auth/logout', { method: 'POST' });
  $('status').textContent = r.ok ? 'Logged out' : (await r.json()).detail;
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
