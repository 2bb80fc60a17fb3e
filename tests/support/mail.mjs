// Test helper: the mail the notes example's log mailer writes, one `mail {"to", "subject",
// "token"}` line each, read from a server started by quickstart.mjs.

/** The mails `server` has logged to `to`, oldest first. */
export function mails(server, to) {
  return server.output().split('\n').filter((l) => l.startsWith('mail ')).map((l) => JSON.parse(l.slice(5)))
    .filter((m) => m.to === to);
}

/** The newest mail to `to` once there are more than `before` (the log arrives on its own pipe,
 * possibly after the response that followed its writing); throws after 10 s. */
export async function mailAfter(server, to, before) {
  for (const deadline = Date.now() + 10000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 20))) {
    const all = mails(server, to);
    if (all.length > before) return all.at(-1);
  }
  throw new Error(`no mail to ${to} after ${before}`);
}
