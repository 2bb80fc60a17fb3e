// Issue 35, point 3: a Redis fleet behind Sentinel (a master, a replica, three sentinels on
// loopback) and two quickstart processes on its redis-sentinel:// URL. Under traffic, sessions are
// logged out on both processes right up to a kill -9 of the master; every logged-out token stays
// refused on both processes before, during and after the failover, both serve /me and logins
// again within a bound, a logout on the new master without a replica answers 503 with a detail,
// and once the killed node is back as a replica a logout answers 204 and holds on both. (A 200
// on the other process within CROSS_PROCESS_WINDOW_MS of a logout's answer, the revocation
// cache's documented one-hop window, is counted in the figures, not failed.)
// The scenario is tests/support/sentinel_fleet_scenario.mjs (scripts/soak sentinel repeats it).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { startServices, stopServices, failoverRound, SERVE_AGAIN_BOUND_MS } from '../support/sentinel_fleet_scenario.mjs';

// FAUTH_QUICKSTART (ctest sets it), else the default build tree of this checkout.
const binary = process.env.FAUTH_QUICKSTART ?? fileURLToPath(new URL('../../build/bin/fauth-quickstart', import.meta.url));
let services;

before(async () => { services = await startServices(binary); });
after(async () => { if (services) await stopServices(services); });

test('a revoked token stays refused on both processes across a kill -9 of the master, and both serve again', async () => {
  const { figures, violations } = await failoverRound(services, { rejoin: 'replicaof', log: (m) => console.log(m) });
  console.log(`fleet figures: ${JSON.stringify(figures)}`);
  assert.deepEqual(violations, [], [...violations, services.a.output(), services.b.output()].join('\n'));
  assert.equal(figures.revoked_200, 0);
  assert.equal(figures.revocations_lost, 0);
  assert.ok(figures.revoked_tokens >= 5, 'four logouts before the kill and one after the rejoin');
  assert.ok(figures.revoked_checks > 0, 'the revoked tokens were checked');
  for (const name of ['a', 'b']) {
    assert.ok(figures.serve_again_ms[name] <= SERVE_AGAIN_BOUND_MS, `${name} serves /me again within the bound`);
    assert.ok(figures.login_again_ms[name] <= SERVE_AGAIN_BOUND_MS, `${name} logs in again within the bound`);
  }
});
