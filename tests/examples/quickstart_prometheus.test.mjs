// The quickstart's /metrics against real Prometheus tools (Debian's `prometheus` package, which
// scripts/bootstrap installs for the tests): `promtool check metrics` passes on its output; a
// Prometheus server scraping it every second reports, through its HTTP API, exactly the counts a
// known sequence of requests makes; the metrics guide's PromQL and alerting rules are valid; and
// the guide's and the README's instrument tables list exactly what the endpoint declares.
// Run: node --test tests/examples/quickstart_prometheus.test.mjs (FAUTH_QUICKSTART names the
// binary; FAUTH_PROMETHEUS and FAUTH_PROMTOOL the tools, /usr/bin's by default).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startQuickstart, stopQuickstart } from '../support/quickstart.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const binary = process.env.FAUTH_QUICKSTART ?? 'build/bin/fauth-quickstart';
const prometheusBin = process.env.FAUTH_PROMETHEUS ?? '/usr/bin/prometheus';
const promtoolBin = process.env.FAUTH_PROMTOOL ?? '/usr/bin/promtool';
const guide = join(root, 'docs', 'guides', 'metrics.md');
const readme = join(root, 'README.md');

let server;      // the quickstart
let prometheus;  // { child, base, output() }
let dir;         // the temporary folder: Prometheus's configuration and storage

// A free TCP port on loopback (bound, then released for the server about to take it).
function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Starts Prometheus scraping `target` (host:port) every second, its storage in `dir`; resolves
// once /-/ready answers 200.
async function startPrometheus(target) {
  const config = join(dir, 'prometheus.yml');
  await writeFile(config, [
    'global:',
    '  scrape_interval: 1s',
    '  scrape_timeout: 1s',
    '  evaluation_interval: 1s',
    'scrape_configs:',
    '  - job_name: fauth',
    '    metrics_path: /metrics',
    '    static_configs:',
    `      - targets: ['${target}']`,
    '',
  ].join('\n'));
  const port = await freePort();
  const child = spawn(prometheusBin, [
    `--config.file=${config}`,
    `--storage.tsdb.path=${join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => { output += d; });
  child.stderr.on('data', (d) => { output += d; });
  const started = { child, base: `http://127.0.0.1:${port}`, output: () => output };
  prometheus = started;  // stopped by after() even if it never gets ready
  const until = Date.now() + 30000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`prometheus exited with ${child.exitCode}:\n${output}`);
    try {
      const res = await fetch(`${started.base}/-/ready`);
      if (res.status === 200) return started;
    } catch { /* not listening yet */ }
    if (Date.now() > until) throw new Error(`prometheus not ready after 30 s:\n${output}`);
    await sleep(100);
  }
}

// SIGTERM, then SIGKILL after 10 s; resolves once it has exited.
function stopProcess(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => child.kill('SIGKILL'), 10000);
    child.on('exit', () => { clearTimeout(timer); resolve(); });
    child.kill('SIGTERM');
  });
}

before(async () => {
  // No skipping: CI installs Debian's prometheus through scripts/bootstrap.
  for (const tool of [prometheusBin, promtoolBin])
    assert.ok(existsSync(tool), `${tool} is missing: install Debian's prometheus package (bash scripts/bootstrap)`);
  dir = await mkdtemp(join(tmpdir(), 'fauth-prometheus-'));
  server = await startQuickstart(binary);
  await startPrometheus(new URL(server.base).host);
});

after(async () => {
  if (prometheus) await stopProcess(prometheus.child);
  if (server) await stopQuickstart(server.child);
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function call(path, { token, form, json, ...init } = {}) {
  const headers = { ...(init.headers ?? {}) };
  if (token) headers.Authorization = `Bearer ${token}`;
  let body;
  if (form) {
    headers['Content-Type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(form).toString();
  } else if (json) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(json);
  }
  const res = await fetch(server.base + path, { ...init, headers, body });
  const text = await res.text();
  let parsed;
  try { parsed = JSON.parse(text); } catch { parsed = undefined; }
  return { status: res.status, json: parsed, text };
}

const login = (username, password) => call('/login', { method: 'POST', form: { username, password } });
const refresh = (token) => call('/refresh', { method: 'POST', json: { refresh_token: token } });
const scrape = async () => (await call('/metrics')).text;

// Runs promtool `args` with `input` on standard input.
function promtool(args, input) {
  const r = spawnSync(promtoolBin, args, { input, encoding: 'utf8' });
  return { status: r.status, output: `${r.stdout}${r.stderr}`.trim() };
}

// A series' key: its name and its labels but Prometheus's own (job, instance), sorted.
function seriesKey(metric) {
  const labels = Object.entries(metric).filter(([k]) => !['__name__', 'job', 'instance'].includes(k))
    .sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k}="${v}"`);
  return `${metric.__name__}{${labels.join(',')}}`;
}
function key(name, labels = {}) { return seriesKey({ __name__: name, ...labels }); }

async function query(expr) {
  const res = await fetch(`${prometheus.base}/api/v1/query?query=${encodeURIComponent(expr)}`);
  const body = await res.json();
  assert.equal(body.status, 'success', `${expr}: ${JSON.stringify(body)}`);
  return body.data;
}

// Every fauth series Prometheus holds now, but histogram buckets and sums: key -> value.
async function counts() {
  const data = await query('{__name__=~"fauth_.+", __name__!~".+_(bucket|sum)"}');
  return Object.fromEntries(data.result.map((s) => [seriesKey(s.metric), Number(s.value[1])]).sort());
}

// The `# TYPE name type` lines of an exposition: name -> type.
function declared(exposition) {
  return Object.fromEntries([...exposition.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1], m[2]]).sort());
}

// The rows of a Markdown table whose first cell starts with a backquoted fauth_ name: name -> type
// (the second cell).
function tabled(markdown) {
  const rows = [...markdown.matchAll(/^\| `(fauth_[a-z_]+)`[^|]*\| ([a-z]+) \|/gm)];
  const out = {};
  for (const [, name, type] of rows) {
    assert.ok(!(name in out), `${name} is listed twice`);
    out[name] = type;
  }
  return Object.fromEntries(Object.entries(out).sort());
}

// The code of every fenced block marked `language` in `markdown`.
function blocks(markdown, language) {
  return [...markdown.matchAll(new RegExp('^```' + language + '\\n([\\s\\S]*?)^```$', 'gm'))].map((m) => m[1].trim());
}

test('promtool check metrics passes on the exposition of a fresh server, every instrument declared', async () => {
  const text = await scrape();
  const r = promtool(['check', 'metrics'], text);
  assert.deepEqual(r, { status: 0, output: '' }, text);
  // Each has its HELP before its TYPE, and nothing is declared twice.
  const helps = [...text.matchAll(/^# HELP (\S+) \S/gm)].map((m) => m[1]);
  assert.deepEqual(helps, [...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]));
  assert.equal(new Set(helps).size, helps.length);
  assert.ok(helps.length >= 17, `${helps.length} instruments`);
});

test("the metrics guide's table and the README's list name exactly the instruments /metrics declares, with their types", async () => {
  const exposed = declared(await scrape());
  const inGuide = tabled(await readFile(guide, 'utf8'));
  const inReadme = tabled(await readFile(readme, 'utf8'));
  assert.ok(Object.keys(exposed).length >= 17, JSON.stringify(exposed));
  assert.deepEqual(inGuide, exposed, 'docs/guides/metrics.md');
  assert.deepEqual(inReadme, exposed, 'README.md');
  // The guide's OpenTelemetry names (in parentheses) map to its Prometheus names by the rule it
  // states: dots to underscores, the unit's suffix (`s`: _seconds; `{...}`: none), counters _total.
  const rows = [...(await readFile(guide, 'utf8')).matchAll(/^\| `(fauth_[a-z_]+)` \(`(fauth\.[a-z_.]+)`\) \| ([a-z]+) \| `([^`]+)` \|/gm)];
  assert.equal(rows.length, Object.keys(exposed).length);
  for (const [, name, otel, type, unit] of rows) {
    const suffix = unit === 's' ? '_seconds' : unit.startsWith('{') ? '' : `_${unit}`;
    assert.equal(`${otel.replaceAll('.', '_')}${suffix}${type === 'counter' ? '_total' : ''}`, name, otel);
  }
});

test('Prometheus scrapes the exact counts of a known sequence of requests', async () => {
  const started = Date.now();
  const ok = (r, status, what) => assert.equal(r.status, status, `${what}: ${r.text}`);
  // Logins: three good as alice, two bad passwords, one as bob.
  const alice = [];
  for (let i = 0; i < 3; ++i) {
    const r = await login('alice', 's3cret');
    ok(r, 200, 'login alice');
    alice.push(r.json);
  }
  for (let i = 0; i < 2; ++i) ok(await login('alice', 'wrong'), 401, 'bad password');
  const bob = await login('bob', 'hunter2');
  ok(bob, 200, 'login bob');
  // Guarded routes: four good tokens, two bad (well-formed, bad signature), one without, one
  // lacking the route's role.
  for (let i = 0; i < 4; ++i) ok(await call('/me', { token: alice[0].access_token }), 200, '/me');
  for (let i = 0; i < 2; ++i) ok(await call('/me', { token: 'a.b.c' }), 401, '/me with a garbage token');
  ok(await call('/me'), 401, '/me without credentials');
  ok(await call('/admin', { token: bob.json.access_token }), 403, '/admin as bob');
  // Refresh: a first use, the same token again within the grace (a repeat: the same pair), the
  // new token (a first use), then the first token once more: reuse, its family revoked.
  const first = await refresh(alice[1].refresh_token);
  ok(first, 200, 'refresh');
  const repeat = await refresh(alice[1].refresh_token);
  ok(repeat, 200, 'repeat within grace');
  assert.deepEqual(repeat.json, first.json);
  ok(await refresh(first.json.refresh_token), 200, 'refresh the new token');
  ok(await refresh(alice[1].refresh_token), 401, 'reuse');
  // Logout of the third session.
  ok(await call('/logout', { method: 'POST', token: alice[2].access_token }), 204, 'logout');
  // The first session refreshed ten times in a row spends its family's burst (10); the eleventh
  // is refused 429 in the refresh_family bucket.
  let token = alice[0].refresh_token;
  for (let i = 0; i < 10; ++i) {
    const r = await refresh(token);
    ok(r, 200, `refresh ${i + 1} of 10`);
    token = r.json.refresh_token;
  }
  ok(await refresh(token), 429, 'the eleventh refresh of one session');

  const memory = (operation) => ({ fauth_store: 'memory', fauth_store_operation: operation });
  const expected = {
    // 4 /me + 1 /admin verified; 2 garbage tokens refused; 1 request without credentials.
    [key('fauth_authentication_attempts_total', { fauth_scheme: 'bearer', fauth_result: 'success' })]: 5,
    [key('fauth_authentication_attempts_total', { fauth_scheme: 'bearer', fauth_result: 'failure', error_type: 'invalid_token' })]: 2,
    [key('fauth_authentication_attempts_total', { fauth_scheme: 'none', fauth_result: 'failure', error_type: 'not_authenticated' })]: 1,
    // Measured only when credentials were sent.
    [key('fauth_authentication_duration_seconds_count', { fauth_scheme: 'bearer', fauth_result: 'success' })]: 5,
    [key('fauth_authentication_duration_seconds_count', { fauth_scheme: 'bearer', fauth_result: 'failure' })]: 2,
    [key('fauth_authorization_refusals_total', { fauth_rule_kind: 'role' })]: 1,
    [key('fauth_sign_ins_total', { fauth_result: 'success' })]: 4,
    [key('fauth_sign_ins_total', { fauth_result: 'failure', error_type: 'invalid_credentials' })]: 2,
    [key('fauth_sign_outs_total')]: 1,
    // 3 of the first session's family (first use, repeat, first use) + 10 of the other.
    [key('fauth_refresh_attempts_total', { fauth_result: 'success' })]: 13,
    [key('fauth_refresh_attempts_total', { fauth_result: 'failure', error_type: 'invalid_token' })]: 1,
    [key('fauth_refresh_attempts_total', { fauth_result: 'failure', error_type: 'throttled' })]: 1,
    [key('fauth_refresh_rotations_total', { fauth_rotation_kind: 'first_use' })]: 12,
    [key('fauth_refresh_rotations_total', { fauth_rotation_kind: 'repeat' })]: 1,
    [key('fauth_refresh_reuse_detected_total')]: 1,
    [key('fauth_revocations_total', { fauth_revocation_kind: 'logout' })]: 1,
    [key('fauth_revocations_total', { fauth_revocation_kind: 'reuse' })]: 1,
    [key('fauth_throttle_refusals_total', { fauth_throttle_bucket: 'refresh_family' })]: 1,
    [key('fauth_password_queue_depth')]: 0,
    // The six logins' password checks.
    [key('fauth_password_queue_wait_seconds_count')]: 6,
    [key('fauth_password_refusals_total')]: 0,
    // Revocation checks: 5 guarded requests, 1 logout, 15 refreshes (the throttled one
    // included); used refresh tokens: the 14 refreshes not throttled; families revoked: the
    // logout's and the reuse's; throttle hits: 3 per login (client, client and name, name) and
    // 2 per refresh (client, family).
    [key('fauth_store_duration_seconds_count', memory('is_revoked'))]: 21,
    [key('fauth_store_duration_seconds_count', memory('use_refresh'))]: 14,
    [key('fauth_store_duration_seconds_count', memory('revoke_family'))]: 2,
    [key('fauth_store_duration_seconds_count', memory('throttle_hit'))]: 6 * 3 + 15 * 2,
  };
  const requestsTook = Date.now() - started;

  // Scraping is periodic: poll until Prometheus holds exactly these values (and no other fauth
  // series), then assert on them.
  let seen = {};
  const until = Date.now() + 30000;
  for (;;) {
    seen = await counts();
    if (JSON.stringify(seen) === JSON.stringify(Object.fromEntries(Object.entries(expected).sort()))) break;
    if (Date.now() > until) break;
    await sleep(250);
  }
  assert.deepEqual(seen, Object.fromEntries(Object.entries(expected).sort()),
    `after 30 s, Prometheus's last values:\n${JSON.stringify(seen, null, 2)}\nprometheus output:\n${prometheus.output()}`);

  // Each histogram series: its +Inf bucket is its count, its buckets never decrease, its sum is
  // positive.
  const buckets = (await query('{__name__=~"fauth_.+_bucket"}')).result;
  const bySeries = new Map();
  for (const s of buckets) {
    const { le, ...rest } = s.metric;
    const base = seriesKey({ ...rest, __name__: rest.__name__.replace(/_bucket$/, '_count') });
    if (!bySeries.has(base)) bySeries.set(base, []);
    bySeries.get(base).push([le === '+Inf' ? Infinity : Number(le), Number(s.value[1])]);
  }
  assert.deepEqual([...bySeries.keys()].sort(), Object.keys(expected).filter((k) => k.includes('_count')).sort());
  for (const [series, list] of bySeries) {
    list.sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < list.length; ++i) assert.ok(list[i][1] >= list[i - 1][1], `${series} buckets decrease`);
    assert.equal(list.at(-1)[0], Infinity, series);
    assert.equal(list.at(-1)[1], expected[series], `${series}: +Inf bucket`);
  }
  const sums = (await query('{__name__=~"fauth_.+_sum"}')).result;
  assert.equal(sums.length, bySeries.size);
  for (const s of sums) assert.ok(Number(s.value[1]) > 0, `${seriesKey(s.metric)} = ${s.value[1]}`);

  // The exposition with all these series still passes promtool.
  const text = await scrape();
  assert.deepEqual(promtool(['check', 'metrics'], text), { status: 0, output: '' }, text);
  // Prometheus saw the target up, and the whole wait for the values was within the deadline.
  assert.deepEqual((await query('up{job="fauth"}')).result.map((s) => s.value[1]), ['1']);
  console.log(`requests: ${requestsTook} ms; values in Prometheus after ${Date.now() - started} ms`);
});

test("the metrics guide's PromQL queries run in Prometheus and its alerting rules pass promtool", async () => {
  const markdown = await readFile(guide, 'utf8');
  const queries = blocks(markdown, 'promql');
  assert.ok(queries.length >= 8, `${queries.length} queries`);
  for (const expr of queries) await query(expr);  // asserts status success
  // The login failure share. A series first scraped at 2 counts as no increase (Prometheus sees
  // no 0 before it), so the sequence above alone gives 0/0: one more failure and one more
  // success, now that both series are scraped, give a share between 0 and 1.
  assert.equal((await login('alice', 'wrong')).status, 401);
  assert.equal((await login('alice', 's3cret')).status, 200);
  let share;
  for (const until = Date.now() + 30000; Date.now() < until; await sleep(250)) {
    share = (await query(queries[0])).result;
    if (share.length === 1 && Number(share[0].value[1]) > 0 && Number(share[0].value[1]) < 1) break;
  }
  assert.equal(share.length, 1, 'the login failure share has a value');
  assert.ok(Number(share[0].value[1]) > 0 && Number(share[0].value[1]) < 1, JSON.stringify(share));
  const [rules] = blocks(markdown, 'yaml').filter((b) => b.startsWith('groups:'));
  assert.ok(rules, 'the guide has an alerting rules file');
  const file = join(dir, 'rules.yml');
  await writeFile(file, rules + '\n');
  const r = promtool(['check', 'rules', file], '');
  assert.equal(r.status, 0, r.output);
  assert.match(r.output, /SUCCESS: 4 rules found/);
});
