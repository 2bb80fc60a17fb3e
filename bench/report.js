// Turns the raw results of scripts/bench (Google Benchmark JSON, wrk outputs) into the markdown
// tables of docs/benchmarks.md, with each target of the performance issue next to its figure.
//   node bench/report.js DIR
'use strict';
const fs = require('fs');
const dir = process.argv[2];
const verdict = (value, target) => `${value.toFixed(2)}x (target ≥ ${target}x: ${value >= target ? 'met' : 'not met'})`;

// Issue 33's targets, measured in this run: each section adds its rows to one table, printed last.
const TARGET = {
  tokenBytes: 300, // the quickstart's login access token, at most
  verifyVsFloor: 0.5, // HS256 verify against the reused-context HMAC floor (floor time / verify time)
  meVsHealth: 0.85,
  meVsHealthBearer: 0.95, // /health sent the same Authorization header
  floodVsIdle: 0.8, // /me during the bcrypt login flood against idle /me
  redisReadsPer1000: 150, // at 64 connections
  redisVsMemory: 0.8, // /me on the Redis store against /me on the memory store
};
// "met", or "not met, by" how far the figure is from the target.
const atLeast = (value, target, unit = 'x') => (value >= target ? 'met'
  : `**not met**, short by ${target - value < 0.005 ? `less than 0.01${unit}` : `${(target - value).toFixed(2)}${unit}`}`);
const atMost = (value, target, unit = '') => (value <= target ? 'met'
  : `**not met**, over by ${value - target < 0.5 ? `less than 1${unit}` : `${(value - target).toFixed(0)}${unit}`}`);
const issue33 = []; // [what, figure, target, verdict]

// The access token the bench logged in with (alice's, from the quickstart): its size and claims.
if (fs.existsSync(`${dir}/login-token.txt`)) {
  const token = fs.readFileSync(`${dir}/login-token.txt`, 'utf8').trim();
  const claims = Object.keys(JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8')));
  issue33.push(['the quickstart\'s login access token (the one this run logged in with)',
    `**${token.length} bytes** (claims: ${claims.map((c) => `\`${c}\``).join(', ')})`, `≤ ${TARGET.tokenBytes} bytes`,
    atMost(token.length, TARGET.tokenBytes, ' bytes')]);
}

if (fs.existsSync(`${dir}/token.json`)) {
  const bench = JSON.parse(fs.readFileSync(`${dir}/token.json`, 'utf8'));
  const median = {};
  for (const b of bench.benchmarks) if (b.aggregate_name === 'median') median[b.run_name] = b.real_time; // ns
  const ns = (name) => median[name];
  const fmt = (x) => (x >= 1000 ? `${(x / 1000).toFixed(2)} µs` : `${x.toFixed(0)} ns`);
  const times = (fast, slow) => ns(slow) / ns(fast);

  console.log(`## Tokens (HS256, one core, median of 5; ${bench.context.date})\n`);
  console.log(`| operation | time | vs libjwt | vs cpp-jwt | vs HMAC floor, context reused (issue 33: verify ≥ ${TARGET.verifyVsFloor}x) | vs HMAC floor, context duplicated (issue 6) |`);
  console.log('| --- | --- | --- | --- | --- | --- |');
  for (const [what, fauth, libjwt, cppjwt] of [
    ['fauth verify + decode', 'FauthVerify', 'LibjwtVerify', 'CppJwtVerify'],
    ['fauth sign', 'FauthSign', 'LibjwtSign', 'CppJwtSign'],
  ]) {
    console.log(`| ${what} | ${fmt(ns(fauth))} | ${verdict(times(fauth, libjwt), 4)} | ${verdict(times(fauth, cppjwt), 4)} | ` +
      `${fauth === 'FauthVerify' ? verdict(times(fauth, 'HmacFloorReused'), TARGET.verifyVsFloor) : `${times(fauth, 'HmacFloorReused').toFixed(2)}x`} | ` +
      `${verdict(times(fauth, 'HmacFloor'), 0.5)} |`);
  }
  // Shown when token_bench.cpp has them: verify of a token shaped as the quickstart's login token,
  // and fauth's own HMAC of the signing input alone (its floor).
  if (ns('FauthVerifyLoginToken') !== undefined) {
    console.log(`| fauth verify + decode, the quickstart's login token shape (\`FauthVerifyLoginToken\`) | ${fmt(ns('FauthVerifyLoginToken'))} | | | ` +
      `${verdict(times('FauthVerifyLoginToken', 'HmacFloorReused'), TARGET.verifyVsFloor)} | ${times('FauthVerifyLoginToken', 'HmacFloor').toFixed(2)}x |`);
  }
  if (ns('FauthHmac') !== undefined) {
    console.log(`| fauth's HMAC-SHA256 alone (\`FauthHmac\`) | ${fmt(ns('FauthHmac'))} | | | ` +
      `${times('FauthHmac', 'HmacFloorReused').toFixed(2)}x | ${times('FauthHmac', 'HmacFloor').toFixed(2)}x |`);
  }
  for (const [what, name] of [['HS256 verify + decode (`FauthVerify`)', 'FauthVerify'],
    ['HS256 verify + decode, the quickstart\'s login token shape (`FauthVerifyLoginToken`)', 'FauthVerifyLoginToken']]) {
    if (ns(name) === undefined) continue;
    const ratio = times(name, 'HmacFloorReused');
    issue33.push([what + ' against the reused-context HMAC floor (`HmacFloorReused`)',
      `${fmt(ns(name))} vs ${fmt(ns('HmacFloorReused'))}: **${ratio.toFixed(2)}x**` +
        (ns('FauthHmac') !== undefined ? ` (fauth's HMAC alone: ${fmt(ns('FauthHmac'))})` : ''),
      `≥ ${TARGET.verifyVsFloor}x`, atLeast(ratio, TARGET.verifyVsFloor)]);
  }
  for (const [what, name] of [['libjwt verify', 'LibjwtVerify'], ['libjwt sign', 'LibjwtSign'],
    ['cpp-jwt verify', 'CppJwtVerify'], ['cpp-jwt sign', 'CppJwtSign'],
    ['HMAC-SHA256 floor, keyed context duplicated per token', 'HmacFloor'],
    ['HMAC-SHA256 floor, one keyed context re-initialised', 'HmacFloorReused'],
    ['API key: find its lookup part (`api_key_id`)', 'ApiKeyId'],
    ['API key: SHA-256 of the key, compared in constant time (`api_key_matches`)', 'ApiKeyMatches'],
    ['verify_dpop_proof ES256: one DPoP proof of GET /me (signature by the key in its header, claims, `ath`, thumbprint)', 'FauthVerifyDpopProof']]) {
    console.log(`| ${what} | ${fmt(ns(name))} | | | | |`);
  }
  if (ns('IntrospectionCacheHit') !== undefined) {
    const ratio = ns('FauthVerify') / ns('IntrospectionCacheHit');
    console.log(`| introspection cache hit (an opaque token, Engine::verify) | ${fmt(ns('IntrospectionCacheHit'))} | | | | ` +
      `${ratio.toFixed(2)}x a JWT verify (target: no dearer, ≥ 1x: ${ratio >= 1 ? 'met' : 'not met'}) |`);
  }
  console.log(`\nWhat verify does besides the HMAC (decoding the three parts, reading the claims, building ` +
    `the returned payload): ${fmt(ns('FauthVerify') - ns('HmacFloorReused'))} of its ${fmt(ns('FauthVerify'))}. ` +
    `At 0.5x the reused floor, that part would have to fit in ${fmt(ns('HmacFloorReused'))}.`);
  console.log(`\n## Asymmetric signatures (one core, median of 5): fauth against EVP_DigestVerify alone\n`);
  console.log('Both floors are OpenSSL verifying the identity provider\'s token (the same signature over the same ' +
    'signing input, already decoded, in DER for ES256) with a cached `EVP_PKEY`: "set up per token" is ' +
    'the usual way and the floor issue 14 names; "prepared" copies a setup made once, as fauth does. ' +
    '"Issuer token" is the resource-server case the target is about: a Keycloak-shaped access token ' +
    'checked against a trusted issuer (audience, `typ`, scopes and roles read). "Own token" is fauth\'s ' +
    'own claim shape, a different token (shown for reference). libjwt 1.10 and cpp-jwt 1.4 support ' +
    'RS256 and ES256 only; both take the public key as PEM text and parse it on every call.\n');
  console.log('| algorithm | floor, set up per token | floor, prepared | fauth, issuer token | fauth, own token | libjwt | cpp-jwt |');
  console.log('| --- | --- | --- | --- | --- | --- | --- |');
  const peer = (name, alg) => (ns(name) === undefined ? 'unsupported'
    : `${fmt(ns(name))} (fauth ${(ns(name) / ns(`FauthVerifyIssuer/${alg}`)).toFixed(1)}x faster)`);
  for (const alg of ['RS256', 'PS256', 'ES256', 'EdDSA']) {
    const floor = `OpensslVerifyFloor/${alg}`, prepared = `OpensslVerifyFloorPrepared/${alg}`;
    const issuer = `FauthVerifyIssuer/${alg}`;
    console.log(`| ${alg} | ${fmt(ns(floor))} | ${fmt(ns(prepared))} | ${fmt(ns(issuer))}: ` +
      `${verdict(ns(floor) / ns(issuer), 0.9)} of the floor; ${(ns(prepared) / ns(issuer)).toFixed(2)}x the prepared one | ` +
      `${fmt(ns(`FauthVerifyOwn/${alg}`))} | ${peer(`LibjwtVerifySignature/${alg}`, alg)} | ${peer(`CppJwtVerifySignature/${alg}`, alg)} |`);
  }

  const sizes = Object.keys(median).filter((k) => k.startsWith('FauthVerifyBySize'));
  const tokenBytes = (k) => bench.benchmarks.find((b) => b.run_name === k && b.aggregate_name === 'median').token_bytes;
  console.log('\nVerification cost against token size:\n');
  console.log(`| token bytes | ${sizes.map((k) => tokenBytes(k).toFixed(0)).join(' | ')} |`);
  console.log(`| --- | ${sizes.map(() => '---').join(' | ')} |`);
  console.log(`| fauth verify | ${sizes.map((k) => fmt(ns(k))).join(' | ')} |`);
}

// One wrk output: requests/s, p99 in ms, any errors, requests sent and how many were not 2xx or 3xx.
const parseWrk = (file) => {
  const t = fs.readFileSync(`${dir}/${file}`, 'utf8');
  const rps = parseFloat(t.match(/Requests\/sec:\s+([\d.]+)/)[1]);
  const requests = parseInt(t.match(/(\d+) requests in/)[1], 10);
  const [, value, unit] = t.match(/\s99%\s+([\d.]+)(us|ms|s)/);
  const p99 = parseFloat(value) * { us: 0.001, ms: 1, s: 1000 }[unit];
  const errors = [];
  const non2xx = t.match(/Non-2xx or 3xx responses: (\d+)/);
  if (non2xx) errors.push(`${non2xx[1]} non-2xx`);
  const socket = t.match(/Socket errors: (.*)/);
  if (socket) errors.push(`socket errors: ${socket[1]}`);
  return { rps, p99, errors, requests, non2xx: non2xx ? parseInt(non2xx[1], 10) : 0 };
};
const mid = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
// Whether this run measured NAME (files wrk-NAME.N.txt).
const measured = (name) => fs.readdirSync(dir).some((f) => f.startsWith(`wrk-${name}.`) && /\.\d+\.txt$/.test(f));
// The median over every round of NAME (files wrk-NAME.N.txt).
const wrk = (name) => {
  const runs = fs.readdirSync(dir).filter((f) => f.startsWith(`wrk-${name}.`) && /\.\d+\.txt$/.test(f)).map(parseWrk);
  const errors = [...new Set(runs.flatMap((r) => r.errors))];
  return {
    rps: mid(runs.map((r) => r.rps)),
    p99: mid(runs.map((r) => r.p99)),
    errors: errors.length ? ` (${errors.join(', ')})` : '',
    errorsBesidesNon2xx: errors.filter((e) => !e.endsWith('non-2xx')).map((e) => ` (${e})`).join(''),
    runs: runs.length,
    allNon2xx: runs.every((r) => r.non2xx === r.requests),
  };
};
// The many-address login flood (scripts/soak_flood.py, as scripts/soak runs it): its figures are its
// last JSON line; the lines after it name the checks that failed, and its exit status says whether
// they all passed.
const manyFlood = (() => {
  if (!fs.existsSync(`${dir}/many-flood.txt`)) return null;
  const lines = fs.readFileSync(`${dir}/many-flood.txt`, 'utf8').trim().split('\n');
  const status = parseInt(fs.readFileSync(`${dir}/many-flood.status`, 'utf8'), 10);
  const at = lines.findLastIndex((l) => l.startsWith('{'));
  const what = 'beside it: the many-address login flood of scripts/soak (wrong passwords from many loopback ' +
    'addresses, each on a new connection; another quickstart at its defaults, login limits on)';
  const checks = 'scripts/soak_flood.py\'s checks: /health all 200 with p99 < 1 s during it, alice with her device ' +
    'cookie logs in during it, all 200 after it';
  if (at < 0) {
    const why = `no figures (exit status ${status}; see many-flood.txt: ${lines.at(-1)})`;
    return { figures: null, row: [what, why, checks, '**not measured**'] };
  }
  const figures = JSON.parse(lines[at]);
  const failed = lines.slice(at + 1).map((l) => l.replace(/^soak flood: /, ''));
  const answers = Object.values(figures.flood.logins).reduce((a, b) => a + b, 0);
  const statuses = (x) => Object.entries(x.statuses).map(([code, n]) => `${n} × ${code}`).join(', ') || 'none';
  const ms = (v) => (v === null || v === undefined ? '—' : `${v} ms`);
  const timing = (x) => (x.count ? `p50 ${ms(x.p50_ms)}, p99 ${ms(x.p99_ms)}, max ${ms(x.max_ms)} (${statuses(x)})` : 'no sample');
  const d = figures.during, a = figures.after;
  const passed = status === 0;
  const verdictText = passed ? 'checks passed' : `**checks failed**${failed.length ? `: ${failed.join('; ')}` : ` (exit status ${status})`}`;
  return {
    figures,
    answered: (answers / figures.flood.seconds).toFixed(0),
    summary: `/health during it: ${timing(d.health)}; alice with her device: ${timing(d.alice_with_device)}; ` +
      `${verdictText}. Details below.`,
    row: [`${what}: ${figures.flood.addresses} addresses for ${figures.flood.seconds} s`,
      `login answers ${statuses({ statuses: figures.flood.logins })} (${(answers / figures.flood.seconds).toFixed(0)}/s); ` +
      `/health during it p99 **${ms(d.health.p99_ms)}** (max ${ms(d.health.max_ms)}); alice with her device during it: ` +
      `max ${ms(d.alice_with_device.max_ms)} (${statuses(d.alice_with_device)}), without it: ${statuses(d.alice_without_device)}; ` +
      `after it: /health p99 ${ms(a.health.p99_ms)}, alice ${ms(a.alice_with_device.max_ms)} (${statuses(a.alice_with_device)})`,
      `no ratio target; ${checks}`, verdictText],
    table: () => {
      console.log(`\n### The many-address login flood (scripts/soak_flood.py; ${figures.flood.addresses} addresses, ${figures.flood.seconds} s)\n`);
      console.log('A quickstart at its defaults (login limits on), 1 reactor thread on core 1; the flood\'s client on core 0: ' +
        'wrong-password logins for names of each address\'s own, each on a new connection, 200 at a time. Meanwhile ' +
        '/health every half second, and every 10 s alice from an address the flood does not use, with the device ' +
        `cookie of an earlier login and without one. Login answers: ${statuses({ statuses: figures.flood.logins })}.\n`);
      console.log('| when | request | count | p50 | p99 | max | statuses |');
      console.log('| --- | --- | --- | --- | --- | --- | --- |');
      for (const [when, set] of [['during', d], ['after', a]]) {
        for (const [name, x] of Object.entries(set)) {
          console.log(`| ${when} | ${name.replace(/_/g, ' ')} | ${x.count} | ${ms(x.p50_ms)} | ${ms(x.p99_ms)} | ${ms(x.max_ms)} | ${statuses(x)} |`);
        }
      }
      console.log(`\nscripts/soak_flood.py's checks (/health all 200 with p99 < 1 s during the flood, alice with her device logs in during and after it): ${verdictText}.`);
    },
  };
})();

if (fs.readdirSync(dir).some((f) => /^wrk-me\.\d+\.txt$/.test(f))) {
  const health = wrk('health'), healthBearer = wrk('health-bearer'), me = wrk('me'), meNoConn = wrk('me-noconn');
  const meApiKey = wrk('me-apikey');
  const flood = wrk('me-flood'), logins = wrk('flood'), me2 = wrk('me-2');
  const fastapi = wrk('fastapi'), fastify = wrk('fastify'), meRedis = wrk('me-redis');
  // Redis's socket reads per 1,000 requests, over every round (requests counted from wrk's output).
  const redisReadsPer1000 = (() => {
    const rounds = fs.readdirSync(dir).filter((f) => /^redis-reads\.\d+\.txt$/.test(f)).map((f) => f.match(/\d+/)[0]);
    let reads = 0, requests = 0;
    for (const r of rounds) {
      reads += parseInt(fs.readFileSync(`${dir}/redis-reads.${r}.txt`, 'utf8'), 10);
      requests += parseInt(fs.readFileSync(`${dir}/wrk-me-redis.${r}.txt`, 'utf8').match(/(\d+) requests in/)[1], 10);
    }
    return (reads * 1000) / requests;
  })();
  const row = (what, r, note = '') => console.log(`| ${what} | ${r.rps.toFixed(0)}${r.errors} | ${r.p99.toFixed(2)} ms | ${note} |`);
  console.log(`\n## End to end (wrk, 1 thread, 32 keep-alive connections, loopback; median of ${me.runs} runs)\n`);
  console.log('| server and route | requests/s | p99 | ratio |');
  console.log('| --- | --- | --- | --- |');
  row('quickstart, 1 reactor thread on core 1 (wrk on core 0): GET /health (public)', health);
  row('same, GET /health sent the same Authorization header as /me', healthBearer,
    `${(healthBearer.rps / health.rps).toFixed(2)} of /health: what the header's bytes cost (Pistache's parser, the kernel, the client)`);
  row('same, GET /me (bearer, revocation check, user loader)', me, verdict(me.rps / health.rps, TARGET.meVsHealth) + ' of /health; ' +
    `${verdict(me.rps / healthBearer.rps, TARGET.meVsHealthBearer)} of /health with the same header, i.e. the guard costs ` +
    `${(1e6 / me.rps - 1e6 / healthBearer.rps).toFixed(1)} µs of the reactor's ${(1e6 / me.rps).toFixed(1)} µs per request`);
  row('same, GET /me with alice\'s API key in X-API-Key (one SHA-256, one key loader call, user in the same lookup)', meApiKey,
    `${(meApiKey.rps / me.rps).toFixed(2)} of bearer /me; ${(meApiKey.rps / health.rps).toFixed(2)} of /health`);
  row('same, GET /me from a client that sends no Connection header (curl, Go, Python)', meNoConn,
    verdict(meNoConn.rps / me.rps, 0.8) + ' of /me with keep-alive');
  // The flood counts only if every login ran bcrypt: refused ones (429 from the login throttle) never
  // reach the workers, and failed ones (socket errors, timeouts) say nothing of it either.
  const floodRefused = logins.errors !== '';
  row('same, GET /me while a second wrk floods POST /login (bcrypt cost 12)', flood,
    floodRefused ? `NOT MEASURED: some of the flood's logins were refused or failed${logins.errors}, so it was not a bcrypt flood beside /me`
      : verdict(flood.rps / me.rps, TARGET.floodVsIdle) + ' of idle /me');
  row('the flood itself: POST /login, 4 connections, over all rounds', logins, 'logins/s completed');
  if (manyFlood && manyFlood.figures) {
    const f = manyFlood.figures, h = f.during.health;
    console.log(`| the many-address login flood of scripts/soak (another quickstart at its defaults: login limits on): ` +
      `${f.flood.addresses} addresses for ${f.flood.seconds} s, wrong passwords | ${manyFlood.answered} logins answered/s | ` +
      `${h.p99_ms === null ? '—' : `${h.p99_ms} ms`} (/health during it) | ${manyFlood.summary} |`);
  }
  row('quickstart, 2 reactor threads: GET /me (server and wrk share both cores)', me2, `${(me2.rps / me.rps).toFixed(2)}x one thread`);
  // /me on the memory store at 64 connections, interleaved with the Redis rounds (runs before it: /me at 32).
  const me64 = measured('me-64') ? wrk('me-64') : null, memory = me64 || me;
  const memoryWhat = me64 ? '/me on the memory store at 64 connections' : '/me on the memory store (32 connections)';
  if (me64) row('same quickstart (memory store), 64 connections: GET /me', me64, `${(me64.rps / me.rps).toFixed(2)} of /me at 32`);
  row('quickstart on the Redis store, 1 reactor thread, 64 connections: GET /me', meRedis,
    `${verdict(meRedis.rps / memory.rps, TARGET.redisVsMemory)} of ${memoryWhat}; Redis reads per 1,000 requests: ` +
    `${redisReadsPer1000.toFixed(0)} (target ≤ ${TARGET.redisReadsPer1000}: ${redisReadsPer1000 <= TARGET.redisReadsPer1000 ? 'met' : 'not met'})`);
  row('FastAPI + PyJWT on uvicorn, 1 worker: GET /me', fastapi,
    `fauth ${verdict(me.rps / fastapi.rps, 12)}; p99 ${me.p99 < fastapi.p99 ? 'lower' : 'NOT lower'}; ` +
    `a guard that cost nothing would reach ${(healthBearer.rps / fastapi.rps).toFixed(2)}x (/health with the same header)`);
  row('Fastify + @fastify/jwt on Node, 1 process: GET /me', fastify,
    `fauth ${verdict(me.rps / fastify.rps, 3)}; p99 ${me.p99 < fastify.p99 ? 'lower' : 'NOT lower'}`);

  const ratio = (a, b) => `${a.rps.toFixed(0)} vs ${b.rps.toFixed(0)} req/s: **${(a.rps / b.rps).toFixed(2)}x**`;
  issue33.push(['GET /me against GET /health (1 reactor thread, keep-alive)', ratio(me, health),
    `≥ ${TARGET.meVsHealth}x`, atLeast(me.rps / health.rps, TARGET.meVsHealth)]);
  issue33.push(['GET /me against GET /health sent the same `Authorization` header', ratio(me, healthBearer),
    `≥ ${TARGET.meVsHealthBearer}x`, atLeast(me.rps / healthBearer.rps, TARGET.meVsHealthBearer) +
      ` (the guard's cost: ${(1e6 / me.rps - 1e6 / healthBearer.rps).toFixed(1)} µs of ${(1e6 / me.rps).toFixed(1)} µs per request; ` +
      `the header's bytes alone: /health with it is ${(healthBearer.rps / health.rps).toFixed(2)}x /health)`]);
  issue33.push(['GET /me during the bcrypt login flood (cost 12, 4 connections) against idle /me',
    floodRefused ? `not measured: the flood's logins were refused or failed${logins.errors}` : `${ratio(flood, me)} (${logins.rps.toFixed(1)} logins/s completed)`,
    `≥ ${TARGET.floodVsIdle}x`, floodRefused ? 'no verdict: not a bcrypt flood' : atLeast(flood.rps / me.rps, TARGET.floodVsIdle)]);
  if (manyFlood) issue33.push(manyFlood.row);
  issue33.push(['Redis store: Redis socket reads per 1,000 guarded requests, 64 connections',
    `**${redisReadsPer1000.toFixed(0)}** (${meRedis.rps.toFixed(0)} req/s)`, `≤ ${TARGET.redisReadsPer1000}`,
    atMost(redisReadsPer1000, TARGET.redisReadsPer1000)]);
  issue33.push([`GET /me on the Redis store against ${memoryWhat}`, ratio(meRedis, memory),
    `≥ ${TARGET.redisVsMemory}x`, atLeast(meRedis.rps / memory.rps, TARGET.redisVsMemory)]);
} else if (manyFlood) {
  issue33.push(manyFlood.row);
}
if (manyFlood && manyFlood.figures) manyFlood.table();

// Pistache versions side by side (issue 33): the quickstart built against Debian's 0.0.5 and the vendored 0.4.26.
if (fs.existsSync(`${dir}/pistache-skipped.txt`)) {
  const why = fs.readFileSync(`${dir}/pistache-skipped.txt`, 'utf8').trim();
  console.log(`\n## Pistache 0.0.5 and 0.4.26 side by side\n\nSkipped: ${why}.`);
  issue33.push(['Pistache 0.4.26 against 0.0.5: GET /health and GET /me', `not measured: ${why}`, 'no target: figures', 'skipped']);
} else if (measured('pistache0426-me')) {
  const versions = Object.fromEntries(fs.readFileSync(`${dir}/pistache-versions.txt`, 'utf8').trim().split('\n').map((l) => l.split(' ')));
  const v = {
    '0.0.5': { health: wrk('pistache005-health'), me: wrk('pistache005-me') },
    '0.4.26': { health: wrk('pistache0426-health'), me: wrk('pistache0426-me') },
  };
  const cell = (r) => `${r.rps.toFixed(0)}${r.errors} (p99 ${r.p99.toFixed(2)} ms)`;
  console.log(`\n## Pistache 0.0.5 and 0.4.26 side by side (wrk, 1 thread, 32 keep-alive connections; median of ${v['0.4.26'].me.runs} runs)\n`);
  console.log(`The quickstart in Release, built against Debian's Pistache (${versions['0.0.5']}) and against the vendored ` +
    `${versions['0.4.26']} (meson, buildtype release); each 1 reactor thread on core 1, wrk on core 0, 0.0.5 then 0.4.26 in each round.\n`);
  console.log('| route | Pistache 0.0.5: requests/s | Pistache 0.4.26: requests/s | 0.4.26 / 0.0.5 |');
  console.log('| --- | --- | --- | --- |');
  for (const [what, route] of [['GET /health (public)', 'health'], ['GET /me (bearer)', 'me']]) {
    console.log(`| ${what} | ${cell(v['0.0.5'][route])} | ${cell(v['0.4.26'][route])} | ` +
      `${(v['0.4.26'][route].rps / v['0.0.5'][route].rps).toFixed(2)}x |`);
  }
  const meOverHealth = (w) => v[w].me.rps / v[w].health.rps;
  console.log(`| /me ÷ /health | ${meOverHealth('0.0.5').toFixed(2)} | ${meOverHealth('0.4.26').toFixed(2)} | |`);
  issue33.push(['Pistache 0.4.26 against 0.0.5: the quickstart, 1 reactor thread, same run',
    `/health ${v['0.4.26'].health.rps.toFixed(0)} vs ${v['0.0.5'].health.rps.toFixed(0)} req/s: ` +
      `**${(v['0.4.26'].health.rps / v['0.0.5'].health.rps).toFixed(2)}x**; /me ${v['0.4.26'].me.rps.toFixed(0)} vs ` +
      `${v['0.0.5'].me.rps.toFixed(0)}: **${(v['0.4.26'].me.rps / v['0.0.5'].me.rps).toFixed(2)}x**; /me ÷ /health ` +
      `${meOverHealth('0.4.26').toFixed(2)} on 0.4.26, ${meOverHealth('0.0.5').toFixed(2)} on 0.0.5`,
    'no target: figures', 'figures only']);
}

// Metrics off and on (issue 34): the same quickstart, FAUTH_METRICS=off then on, interleaved.
if (measured('metrics-on-me')) {
  const m = {
    off: { health: wrk('metrics-off-health'), me: wrk('metrics-off-me') },
    on: { health: wrk('metrics-on-health'), me: wrk('metrics-on-me') },
  };
  const cell = (r) => `${r.rps.toFixed(0)}${r.errors} (p99 ${r.p99.toFixed(2)} ms)`;
  console.log(`\n## Metrics off and on (wrk, 1 thread, 32 keep-alive connections; median of ${m.on.me.runs} runs)\n`);
  console.log('The quickstart with `FAUTH_METRICS=off` (no sink: every instrument is a null test) and with its ' +
    '`PrometheusRegistry` (the default, served at /metrics); each 1 reactor thread on core 1, wrk on core 0, off then on in each round.\n');
  console.log('| route | metrics off: requests/s | metrics on: requests/s | on / off (issue 34: /me ≥ 0.97x) |');
  console.log('| --- | --- | --- | --- |');
  for (const [what, route] of [['GET /health (public: no instrument)', 'health'], ['GET /me (bearer)', 'me']]) {
    const r = m.on[route].rps / m.off[route].rps;
    console.log(`| ${what} | ${cell(m.off[route])} | ${cell(m.on[route])} | ${route === 'me' ? verdict(r, 0.97) : `${r.toFixed(2)}x`} |`);
  }
  if (fs.existsSync(`${dir}/metrics-on.txt`)) {
    const text = fs.readFileSync(`${dir}/metrics-on.txt`, 'utf8');
    const value = (series) => {
      const line = text.split('\n').find((l) => l.startsWith(`${series} `));
      return line === undefined ? 0 : Number(line.slice(series.length + 1));
    };
    const ok = value('fauth_authentication_attempts_total{fauth_scheme="bearer",fauth_result="success"}');
    const count = value('fauth_authentication_duration_seconds_count{fauth_scheme="bearer",fauth_result="success"}');
    const sum = value('fauth_authentication_duration_seconds_sum{fauth_scheme="bearer",fauth_result="success"}');
    console.log(`\nThe "on" server's /metrics after the runs: ${ok} successful bearer authentications, ${count} durations ` +
      `recorded, averaging ${count ? ((sum / count) * 1e6).toFixed(2) : '-'} µs from credentials read to user loaded.`);
  }
  issue33.push(['issue 34: GET /me with metrics on (the PrometheusRegistry) against off, same binary, same run',
    `${m.on.me.rps.toFixed(0)} vs ${m.off.me.rps.toFixed(0)} req/s: **${(m.on.me.rps / m.off.me.rps).toFixed(2)}x**`,
    '≥ 0.97x', atLeast(m.on.me.rps / m.off.me.rps, 0.97)]);
}

// DPoP-bound GET /me beside bearer GET /me (issue 31), and one proof's verification beside HS256 verify.
if (fs.readdirSync(dir).some((f) => /^wrk-dpop\.\d+\.txt$/.test(f))) {
  const micro = JSON.parse(fs.readFileSync(`${dir}/${fs.existsSync(`${dir}/dpop-micro.json`) ? 'dpop-micro.json' : 'token.json'}`, 'utf8'));
  // CPU time (µs), to set beside the server's CPU time per request.
  const median = (name) => micro.benchmarks.find((b) => b.run_name === name && b.aggregate_name === 'median').cpu_time / 1000;
  const hs256 = median('FauthVerify'), proof = median('FauthVerifyDpopProof');
  const bearer = wrk('dpop-bearer'), dpop = wrk('dpop'), dpopRedis = wrk('dpop-redis');
  // The server's CPU time per request (all its threads), median over the rounds: what a request
  // costs whatever share of the core the server got on a shared machine.
  const cpu = (name) => mid(fs.readdirSync(dir).filter((f) => new RegExp(`^cpu-${name}\\.\\d+\\.txt$`).test(f)).map((f) => {
    const [ticks, perSecond] = fs.readFileSync(`${dir}/${f}`, 'utf8').trim().split(' ').map(Number);
    const requests = parseWrk(`wrk-${name}.${f.match(/\.(\d+)\.txt$/)[1]}.txt`).requests;
    return (ticks / perSecond) * 1e6 / requests;
  }));
  const cBearer = cpu('dpop-bearer'), cDpop = cpu('dpop'), cRedis = cpu('dpop-redis');
  const row = (what, r, c, note) => console.log(`| ${what} | ${r.rps.toFixed(0)}${r.errors} | ${r.p99.toFixed(2)} ms | ${c.toFixed(1)} µs | ${note} |`);
  console.log(`\n## DPoP-bound GET /me beside bearer GET /me (wrk, 1 thread, 32 keep-alive connections; median of ${dpop.runs} runs)\n`);
  console.log('One server (bench/dpop_server.cpp: the quickstart\'s /me, HS256 tokens, memory revocation store, user ' +
    'loader), 1 reactor thread on core 1, wrk on core 0; a second one keeps its replay cache in Redis (redis-server ' +
    'on core 0). Each DPoP request carries an ES256 proof never sent before (made beforehand, one per request). ' +
    'Server CPU is the server process\'s user and system time (every thread) over the run, per request.\n');
  console.log('| route | requests/s | p99 | server CPU per request | against bearer |');
  console.log('| --- | --- | --- | --- | --- |');
  row('GET /me, `Authorization: Bearer`', bearer, cBearer, '');
  row('GET /me, `Authorization: DPoP` + `DPoP` proof, replay cache in memory', dpop, cDpop,
    `${(dpop.rps / bearer.rps).toFixed(2)}x the requests/s; +${(cDpop - cBearer).toFixed(1)} µs of CPU per request, of which ` +
    `verify_dpop_proof (${proof.toFixed(1)} µs alone) is ${((100 * proof) / (cDpop - cBearer)).toFixed(0)}%`);
  row('same, replay cache in Redis (one `SET NX PX` per proof)', dpopRedis, cRedis,
    `${(dpopRedis.rps / bearer.rps).toFixed(2)}x the requests/s; +${(cRedis - cDpop).toFixed(1)} µs of CPU per request over the memory cache`);
  console.log(`\nMicro-benchmarks (one core, median of 5, CPU time): HS256 verify + decode ${hs256.toFixed(2)} µs; verify_dpop_proof ` +
    `ES256 ${proof.toFixed(2)} µs (${(proof / hs256).toFixed(0)}x). The proof's verification is ` +
    `${((100 * proof) / cDpop).toFixed(0)}% of a DPoP-bound /me's ${cDpop.toFixed(1)} µs of server CPU.`);
}

// Before and after (scripts/bench with BASE): the base revision's quickstart against this checkout's.
if (fs.existsSync(`${dir}/compare-base.txt`)) {
  const [rev, hash] = fs.readFileSync(`${dir}/compare-base.txt`, 'utf8').trim().split(' ');
  const allocs = (which, route) => JSON.parse(fs.readFileSync(`${dir}/alloc-${which}-${route}.json`, 'utf8'));
  const perRequest = (a) => a.allocations / a.requests;
  const codes = (a) => Object.entries(a.codes).map(([code, n]) => `${n} × ${code}`).join(', ');
  const rounds = wrk('cur-me').runs;
  console.log(`\n## Before and after (BASE=${rev}${rev === hash ? '' : `, ${hash}`}): the quickstart, 1 reactor thread on core 1\n`);
  console.log(`Requests/s: wrk on core 0, 32 keep-alive connections, median of ${rounds} runs, base and current ` +
    'interleaved round by round. Allocations per request: every malloc, calloc, realloc and aligned allocation ' +
    `of the server process (Pistache's included: an upper bound of fauth's own) over ` +
    `${allocs('cur', 'me').requests} sequential requests on one keep-alive connection, after 1,000 to warm up. ` +
    'The verdicts read the medians literally: on a shared VM whose runs vary by ±20%, a ratio a few hundredths ' +
    'from 1 is no difference.\n');
  console.log('| route | requests/s, base | requests/s, current | current / base | allocations per request, base | allocations per request, current |');
  console.log('| --- | --- | --- | --- | --- | --- |');
  for (const [what, route, target] of [
    ['GET /health', 'health', 'not lower'],
    ['GET /me, valid bearer token', 'me', 'not lower'],
    ['GET /me, bad signature (401)', 'me-401', 'at least as fast'],
  ]) {
    const base = wrk(`base-${route}`), cur = wrk(`cur-${route}`);
    const ratio = cur.rps / base.rps;
    // wrk counts non-2xx responses only: the 401 row counts if every one of them was refused, and
    // the allocation client saw 401 alone.
    const refused = route !== 'me-401' ? ''
      : base.allNon2xx && cur.allNon2xx && ['base', 'cur'].every((w) => Object.keys(allocs(w, route).codes).join() === '401')
        ? ' (all 401)' : ' (NOT all 401: see the wrk outputs)';
    const errors = (r) => (route === 'me-401' ? r.errorsBesidesNon2xx : r.errors);
    console.log(`| ${what}${refused} | ${base.rps.toFixed(0)}${errors(base)} | ` +
      `${cur.rps.toFixed(0)}${errors(cur)} | ${ratio.toFixed(3)} (${target}: ` +
      `${ratio >= 1 ? 'met' : 'not met'}) | ${perRequest(allocs('base', route)).toFixed(2)} | ${perRequest(allocs('cur', route)).toFixed(2)} |`);
  }
  // /health sent /me's Authorization header costs Pistache what /me's request costs it, and both
  // handlers send a one-member JSON object, so the difference is the guard's and the user loader's.
  const guard = (which) => perRequest(allocs(which, 'me')) - perRequest(allocs(which, 'health-bearer'));
  console.log(`\nGET /health sent /me's Authorization header: ${perRequest(allocs('base', 'health-bearer')).toFixed(2)} ` +
    `allocations per request on the base, ${perRequest(allocs('cur', 'health-bearer')).toFixed(2)} on the current one. ` +
    `/me minus that, i.e. the guard and the quickstart's user loader (its copy of alice allocates her ` +
    `60-character hash and her roles and permissions vectors): ${guard('base').toFixed(2)} on the base, ` +
    `${guard('cur').toFixed(2)} on the current one. The target, ≤ 3, is the guard's alone with a user whose copy ` +
    'allocates nothing (ProviderTest.AStoreAndALoaderThatAnswerAtOnceTakeTheSynchronousPath); this bounds it ' +
    'from above. Status codes the allocation ' +
    `client saw, base / current: ${['health', 'health-bearer', 'me', 'me-401'].map((r) =>
      `${r} ${codes(allocs('base', r))} / ${codes(allocs('cur', r))}`).join('; ')}.`);
}

if (issue33.length) {
  console.log('\n## Issue 33 and 34 targets, measured in this run\n');
  console.log('| target (issue 33 unless named) | figure in this run | target | verdict |');
  console.log('| --- | --- | --- | --- |');
  for (const [what, figure, target, verdictText] of issue33) console.log(`| ${what} | ${figure} | ${target} | ${verdictText} |`);
}
