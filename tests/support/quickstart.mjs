// Test helper: starts build/bin/fauth-quickstart on a free loopback port and stops it.
import { spawn } from 'node:child_process';

/** Starts the quickstart binary; resolves to { base, child, output() } once it listens. */
export async function startQuickstart(binary, env = {}) {
  const child = spawn(binary, [], {
    env: { ...process.env, HOST: '127.0.0.1', PORT: '0', FAUTH_THREADS: '2', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d) => { output += d; });
  child.stderr.on('data', (d) => { output += d; });
  const base = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`quickstart did not start:\n${output}`)), 30000);
    child.on('exit', (code) => reject(new Error(`quickstart exited with ${code}:\n${output}`)));
    child.stdout.on('data', () => {
      const m = output.match(/listening on (http:\/\/[0-9.]+:\d+)/);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    });
  });
  return { base, child, output: () => output };
}

/** Sends SIGTERM and resolves to the exit code (fails after 15 s). */
export function stopQuickstart(child) {
  return new Promise((resolve, reject) => {
    if (child.exitCode !== null) return resolve(child.exitCode);
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error('quickstart did not stop on SIGTERM')); }, 15000);
    child.removeAllListeners('exit');
    child.on('exit', (code, signal) => { clearTimeout(timer); resolve(code ?? signal); });
    child.kill('SIGTERM');
  });
}
