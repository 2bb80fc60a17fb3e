// Test helper: lints an OpenAPI document with Redocly's recommended ruleset (@redocly/openapi-core,
// an implementation of the specification independent of fauth), so that the examples' documents
// are checked against the specification and its common rules, not only against fauth's own idea
// of them.
import { createConfig, lintFromString } from '@redocly/openapi-core';

/** Every problem the `recommended` ruleset finds in `doc`, as { severity, rule, at, message }. */
export async function lintOpenApi(doc) {
  const config = await createConfig({ extends: ['recommended'] });
  const problems = await lintFromString({ source: JSON.stringify(doc), absoluteRef: 'openapi.json', config });
  return problems.map((p) => ({ severity: p.severity, rule: p.ruleId, at: p.location[0]?.pointer ?? '#', message: p.message }));
}

// The operation a problem points into (#/paths/<path>/<method>/...), or undefined.
function operationAt(doc, pointer) {
  const [, paths, path, method] = pointer.split('/');
  if (paths !== 'paths' || !path || !method) return undefined;
  return doc.paths?.[path.replaceAll('~1', '/').replaceAll('~0', '~')]?.[method];
}

// Warnings of the recommended ruleset that fauth's documents may carry, with the reason:
// - info-license: the licence is the application's to state, not fauth's (OpenApiInfo has none).
// - operation-4xx-response on a public operation that takes no input (a health check, a page):
//   it has no client error to document.
const accepted = [
  (p) => p.rule === 'info-license',
  (p, doc) => {
    if (p.rule !== 'operation-4xx-response') return false;
    const op = operationAt(doc, p.at);
    return op !== undefined && Array.isArray(op.security) && op.security.length === 0 && !op.parameters && !op.requestBody;
  },
];

/** The problems in `doc` beyond the accepted warnings above, one line each ("" when none). */
export async function openApiProblems(doc) {
  return (await lintOpenApi(doc))
    .filter((p) => !(p.severity === 'warn' && accepted.some((ok) => ok(p, doc))))
    .map((p) => `${p.severity} ${p.rule} at ${p.at}: ${p.message}`)
    .join('\n');
}
