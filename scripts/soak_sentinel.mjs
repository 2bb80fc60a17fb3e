// scripts/soak sentinel [ROUNDS]: the fleet scenario of tests/examples/quickstart_sentinel_fleet.test.mjs
// (tests/support/sentinel_fleet_scenario.mjs) for ROUNDS failovers (5) on one fleet: each round
// kills whoever is master with kill -9 under traffic, and restarts it as it was, for the sentinels
// to convert into a replica of the new master. Prints each round's figures and min/median/max at
// the end; exits 1 if a revoked token was ever accepted or a round broke any of the scenario's
// checks (serving again within its bound among them).
//   node scripts/soak_sentinel.mjs BINARY [ROUNDS]
import { startServices, stopServices, failoverRound, SERVE_AGAIN_BOUND_MS } from '../tests/support/sentinel_fleet_scenario.mjs';

const [binary, roundsArg] = process.argv.slice(2);
const rounds = Number(roundsArg ?? 5);
if (!binary || !Number.isInteger(rounds) || rounds < 1) {
  console.error('usage: node scripts/soak_sentinel.mjs BINARY [ROUNDS]');
  process.exit(2);
}
// A sentinel starts no failover of a master within 2 × failover-timeout (4 s) of the last one
// it took part in: rounds are spaced so that each kill is followed by a failover at once.
const KILL_SPACING_MS = 9000;

const services = await startServices(binary);
const results = [];
let failed = false;
let lastKill = 0;
try {
  for (let round = 1; round <= rounds; round++) {
    const wait = lastKill + KILL_SPACING_MS - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    let result;
    try {
      result = await failoverRound(services, { rejoin: 'sentinel', log: (m) => console.log(`round ${round}: ${m}`) });
    } catch (e) {
      console.log(`round ${round} FAILED: ${e.stack ?? e}`);
      failed = true;
      break;
    }
    const { figures, violations, killedAt } = result;
    lastKill = killedAt ?? Date.now();
    results.push(figures);
    console.log(`round ${round} figures: ${JSON.stringify(figures)}`);
    for (const v of violations) console.log(`round ${round} FAILED: ${v}`);
    if (violations.length) { failed = true; break; }
  }
} finally {
  const codes = await stopServices(services);
  if (codes.some((c) => c !== 0)) { console.log(`soak: quickstart exit codes ${codes}`); failed = true; }
}

const stats = (values) => {
  const v = values.filter((x) => typeof x === 'number').sort((x, y) => x - y);
  return v.length ? { min: v[0], median: v[Math.floor((v.length - 1) / 2)], max: v[v.length - 1] } : null;
};
const sum = (objs) => objs.reduce((n, o) => n + Object.values(o).reduce((a, b) => a + b, 0), 0);
console.log(`soak sentinel summary (${results.length} rounds, bound ${SERVE_AGAIN_BOUND_MS} ms): ${JSON.stringify({
  serve_again_ms: stats(results.flatMap((f) => Object.values(f.serve_again_ms))),
  login_again_ms: stats(results.flatMap((f) => Object.values(f.login_again_ms))),
  refused_me: stats(results.map((f) => sum([f.refused]))),
  refused_login: stats(results.map((f) => sum([f.login_refused]))),
  rejoin_ms: stats(results.map((f) => f.rejoin_ms)),
  revoked_tokens: results.reduce((n, f) => n + f.revoked_tokens, 0),
  revoked_200: results.reduce((n, f) => n + f.revoked_200, 0),
  cross_process_stale_200: results.reduce((n, f) => n + f.cross_process_stale_200, 0),
  revocations_lost: results.reduce((n, f) => n + f.revocations_lost, 0),
})}`);
if (failed || results.length < rounds) {
  console.log('soak: sentinel failed');
  process.exit(1);
}
console.log('soak: sentinel ok');
