// Test helper: a Redis fleet on loopback for Sentinel failover tests (issue 35): a master, a
// replica and three sentinels (redis-server --sentinel) on free ports, each with a private temp
// directory (removed on stop). Offers kill -9 of the current master, restarting a node, asking any
// node a command (a tiny RESP client), and stops everything, also when the process exits or is
// interrupted (SIGINT, SIGTERM), so that no redis-server is left behind.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/** A free TCP port on 127.0.0.1 (bound to port 0, then released). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => { const { port } = srv.address(); srv.close(() => resolve(port)); });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Resolves once `done()` (sync or async) is truthy, with its value; rejects with `what` after `ms`. */
export async function waitFor(done, ms, what) {
  const until = Date.now() + ms;
  for (;;) {
    const value = await done();
    if (value) return value;
    if (Date.now() > until) throw new Error(`not within ${ms} ms: ${what}`);
    await sleep(50);
  }
}

// One RESP reply from `buf` at `at`: [value, next offset], or undefined while incomplete. Errors
// come back as Error objects (not thrown), arrays as arrays, nil as null.
function parseReply(buf, at) {
  const eol = buf.indexOf('\r\n', at);
  if (eol < 0) return undefined;
  const type = String.fromCharCode(buf[at]);
  const line = buf.toString('utf8', at + 1, eol);
  if (type === '+') return [line, eol + 2];
  if (type === '-') return [new Error(line), eol + 2];
  if (type === ':') return [Number(line), eol + 2];
  if (type === '$') {
    const n = Number(line);
    if (n < 0) return [null, eol + 2];
    if (buf.length < eol + 2 + n + 2) return undefined;
    return [buf.toString('utf8', eol + 2, eol + 2 + n), eol + 2 + n + 2];
  }
  if (type === '*') {
    const n = Number(line);
    if (n < 0) return [null, eol + 2];
    const items = [];
    let next = eol + 2;
    for (let i = 0; i < n; i++) {
      const item = parseReply(buf, next);
      if (!item) return undefined;
      items.push(item[0]);
      next = item[1];
    }
    return [items, next];
  }
  throw new Error(`unexpected RESP type ${type}`);
}

/** `args`' reply from 127.0.0.1:`port` on a connection of its own, or null when it cannot be
 * reached within `timeoutMs`. `args` may be a list of commands instead (sent on one connection):
 * then the list of their replies. */
export function ask(port, args, timeoutMs = 1000) {
  const many = Array.isArray(args[0]);
  const commands = many ? args : [args];
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let buf = Buffer.alloc(0);
    const done = (value) => { clearTimeout(timer); socket.destroy(); resolve(value); };
    const timer = setTimeout(() => done(null), timeoutMs);
    socket.on('error', () => done(null));
    socket.on('connect', () => {
      socket.write(commands.map((c) => `*${c.length}\r\n` + c.map((a) => `$${Buffer.byteLength(String(a))}\r\n${a}\r\n`).join('')).join(''));
    });
    socket.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      const replies = [];
      for (let at = 0; replies.length < commands.length;) {
        const reply = parseReply(buf, at);
        if (!reply) return;
        replies.push(reply[0]);
        at = reply[1];
      }
      done(many ? replies : replies[0]);
    });
  });
}

/** A flat [field, value, ...] reply (SENTINEL MASTER, SENTINEL REPLICAS' entries) as an object. */
export function fields(flat) {
  const out = {};
  if (Array.isArray(flat)) for (let i = 0; i + 1 < flat.length; i += 2) out[flat[i]] = flat[i + 1];
  return out;
}

// Every fleet's children, to be killed when this process goes (normally, on an uncaught error, or
// on SIGINT/SIGTERM), so that no redis-server outlives a failed or interrupted run.
const live = new Set();
const roots = new Set(); // fleets' temp directories not yet removed
let hooked = false;
function killAllNow() {
  for (const child of live) { try { child.kill('SIGKILL'); } catch { /* gone */ } }
  live.clear();
  for (const root of roots) fs.rmSync(root, { recursive: true, force: true });
  roots.clear();
}
function hookExit() {
  if (hooked) return;
  hooked = true;
  process.on('exit', killAllNow);
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.on(signal, () => { killAllNow(); process.exit(128 + os.constants.signals[signal]); });
  }
}

/** Kills `child` (SIGKILL) if it is still running when this process exits or is interrupted. */
export function killOnExit(child) {
  hookExit();
  return track(child);
}

function track(child) {
  live.add(child);
  child.on('exit', () => live.delete(child));
  return child;
}

function waitExit(child) {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((r) => child.once('exit', r));
}

/** A data node: redis-server without persistence on `port`, its files in a directory of its own. */
class DataNode {
  constructor(name, port, dir) { Object.assign(this, { name, port, dir, child: null }); }

  async start(replicaOf) {
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
      '--protected-mode', 'yes', '--loglevel', 'warning', '--dir', this.dir,
      // A replica's full sync starts at once (Redis 7 waits 5 s for more replicas by default).
      '--repl-diskless-sync-delay', '0'];
    if (replicaOf) args.push('--replicaof', '127.0.0.1', String(replicaOf));
    this.child = track(spawn('redis-server', args, { stdio: 'ignore' }));
    const child = this.child;
    await waitFor(async () => {
      if (child.exitCode !== null) throw new Error(`redis-server on ${this.port} exited at start (is it installed? scripts/bootstrap installs it)`);
      return (await ask(this.port, ['PING'], 300)) === 'PONG';
    }, 5000, `redis-server on ${this.port} answers`);
  }

  get running() { return this.child !== null && this.child.exitCode === null && this.child.signalCode === null; }
}

/**
 * Starts a master, a replica (--replicaof) and three sentinels watching the master as `masterName`
 * (quorum 2, down-after-milliseconds 1000, failover-timeout 4000, parallel-syncs 1), and resolves
 * once the replica is in sync and every sentinel knows the replica and the two other sentinels.
 */
export async function startFleet({ masterName = 'mymaster', downAfterMs = 1000, failoverTimeoutMs = 4000 } = {}) {
  hookExit();
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'fauth-fleet-'));
  roots.add(root);
  const fleet = new Fleet(root, masterName);
  try {
    for (const name of ['n1', 'n2']) {
      const dir = path.join(root, name);
      fs.mkdirSync(dir);
      fleet.nodes.push(new DataNode(name, await freePort(), dir));
    }
    await fleet.nodes[0].start();
    await fleet.nodes[1].start(fleet.nodes[0].port);
    await waitFor(async () => (await fleet.info(fleet.nodes[1].port)).master_link_status === 'up', 10000, 'the replica syncs');
    for (let i = 0; i < 3; i++) {
      const dir = path.join(root, `s${i + 1}`);
      fs.mkdirSync(dir);
      const port = await freePort();
      const conf = path.join(dir, 'sentinel.conf');
      fs.writeFileSync(conf, `port ${port}\nbind 127.0.0.1\ndir ${dir}\nloglevel warning\n`
        + `sentinel monitor ${masterName} 127.0.0.1 ${fleet.nodes[0].port} 2\n`
        + `sentinel down-after-milliseconds ${masterName} ${downAfterMs}\n`
        + `sentinel failover-timeout ${masterName} ${failoverTimeoutMs}\n`
        + `sentinel parallel-syncs ${masterName} 1\n`);
      const child = track(spawn('redis-server', [conf, '--sentinel'], { stdio: 'ignore' }));
      fleet.sentinels.push({ port, dir, child });
    }
    await fleet.settled(20000);
    return fleet;
  } catch (e) {
    await fleet.stop();
    throw e;
  }
}

/** A running fleet (startFleet). */
class Fleet {
  constructor(root, masterName) {
    this.root = root;
    this.masterName = masterName;
    this.nodes = [];
    this.sentinels = [];
  }

  /** The data nodes' and the sentinels' ports. */
  ports() {
    return { nodes: this.nodes.map((n) => n.port), sentinels: this.sentinels.map((s) => s.port) };
  }

  /** The redis-sentinel:// URL naming the three sentinels. */
  url() {
    return `redis-sentinel://${this.sentinels.map((s) => `127.0.0.1:${s.port}`).join(',')}/${this.masterName}`;
  }

  /** `args`' reply from the node or sentinel on `port` (null when unreachable). */
  ask(port, ...args) { return ask(port, args); }

  /** INFO replication of the node on `port` as an object ({} when unreachable). */
  async info(port) {
    const text = await ask(port, ['INFO', 'replication']);
    const out = {};
    if (typeof text === 'string') for (const line of text.split('\r\n')) { const [k, v] = line.split(':'); if (v !== undefined) out[k] = v; }
    return out;
  }

  /** True when a write on `master` is acknowledged by a replica within 200 ms (SET of a key of
   * the fleet's own, then WAIT 1 200 on the same connection), as fauth's session-ending writes
   * need. */
  async acknowledging(master) {
    const replies = await ask(master.port, [['SET', 'fleet:probe', String(Date.now())], ['WAIT', '1', '200']]);
    return Array.isArray(replies) && replies[1] >= 1;
  }

  /** The master's port as every sentinel names it, or null while they do not all agree. */
  async agreedMaster() {
    const answers = await Promise.all(this.sentinels.map((s) => ask(s.port, ['SENTINEL', 'get-master-addr-by-name', this.masterName])));
    const ports = answers.map((a) => (Array.isArray(a) ? Number(a[1]) : null));
    return ports.every((p) => p !== null && p === ports[0]) ? ports[0] : null;
  }

  /** The data node the sentinels name as master, confirmed by its ROLE; null otherwise. */
  async master() {
    const port = await this.agreedMaster();
    const node = this.nodes.find((n) => n.port === port);
    if (!node || !node.running) return null;
    const role = await ask(port, ['ROLE']);
    return Array.isArray(role) && role[0] === 'master' ? node : null;
  }

  /**
   * Resolves once the fleet is ready for a failover: every sentinel names the same master, which
   * says it is one, has every other running node as an in-sync replica, and every sentinel knows
   * those replicas in good health (no s_down, disconnected) and the two other sentinels.
   */
  async settled(ms = 30000) {
    return waitFor(async () => {
      const master = await this.master();
      if (!master) return false;
      const replicas = this.nodes.filter((n) => n !== master && n.running);
      for (const r of replicas) if ((await this.info(r.port)).master_link_status !== 'up') return false;
      if (replicas.length && !(await this.acknowledging(master))) return false;
      for (const s of this.sentinels) {
        const m = fields(await ask(s.port, ['SENTINEL', 'MASTER', this.masterName]));
        if (Number(m['num-other-sentinels']) !== this.sentinels.length - 1 || m.flags !== 'master') return false;
        const known = await ask(s.port, ['SENTINEL', 'REPLICAS', this.masterName]);
        if (!Array.isArray(known)) return false;
        for (const r of replicas) {
          const entry = known.map(fields).find((e) => Number(e.port) === r.port);
          if (!entry || entry.flags !== 'slave' || entry['master-link-status'] !== 'ok') return false;
        }
      }
      return master;
    }, ms, 'the fleet settles (one master, its replicas in sync and known to every sentinel)');
  }

  /** Kills the current master with SIGKILL, as a machine lost; returns its node (sync: no await
   * between finding it and killing it, so pass it `node` found before when timing matters). */
  killHard(node) {
    node.child.kill('SIGKILL');
    return node;
  }

  /** Finds the current master (as settled() confirms it) and kills it with SIGKILL. */
  async killMaster() {
    const node = await this.master();
    if (!node) throw new Error('no master to kill');
    return this.killHard(node);
  }

  /** Waits until `node`'s process is gone, then starts it again on its port (as a replica of
   * `replicaOf`'s port when given; else as it would restart from its own configuration, a master
   * the sentinels then convert into a replica). */
  async restart(node, { replicaOf } = {}) {
    if (node.child) await waitExit(node.child);
    await node.start(replicaOf);
  }

  /** Stops every process (SIGTERM, then SIGKILL after 3 s) and removes the temp directories. */
  async stop() {
    const children = [...this.nodes.map((n) => n.child), ...this.sentinels.map((s) => s.child)].filter(Boolean);
    await Promise.all(children.map(async (child) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      child.kill('SIGTERM');
      await waitExit(child);
      clearTimeout(timer);
    }));
    fs.rmSync(this.root, { recursive: true, force: true });
    roots.delete(this.root);
  }
}
