// Test helper: a real OpenID provider that no one on the fauth project wrote: panva's oidc-provider
// (npm, pinned in package-lock.json), served over HTTPS on a free 127.0.0.1 port with a certificate
// from a CA made for the test (openssl CLI). It issues:
//   - JWT access tokens (RFC 9068, typ at+jwt, ES256) for each resource listed with format 'jwt'
//     (RFC 8707 resource indicators: aud = the resource, scope = what was asked of its scopes);
//   - opaque access tokens for each resource listed with format 'opaque', which its introspection
//     endpoint (RFC 7662, /token/introspection) answers for, in JSON or, asked with
//     `Accept: application/token-introspection+jwt`, signed (RFC 9701, ES256); its revocation
//     endpoint (RFC 7009, /token/revocation) revokes them;
//   - DPoP-bound tokens (RFC 9449, cnf.jkt) when the token request carries a DPoP proof;
//   - with `mtls: true`, certificate-bound tokens (RFC 8705 section 3, cnf.x5t#S256) for the
//     `bound` client: its HTTPS server then asks every client for a certificate (any, unverified:
//     binding needs no CA) and binds that client's tokens to the one its TLS connection presented;
//   - ID tokens (RS256, aud = the client id) through the authorization code flow + PKCE, with the
//     library's development login and consent pages (any login name, any password).
// Clients: `service` (client_credentials, client_secret_basic), `web` (authorization_code + PKCE,
// public; its client id is yours to choose) and `resource` (no grants: a resource server that
// authenticates with client_secret_basic to introspect); with `mtls`, `bound` too
// (client_credentials, client_secret_basic, tls_client_certificate_bound_access_tokens); with
// `login` ({ redirectUri, backchannelLogoutUri, postLogoutRedirectUri }), `login` too: a relying
// party that signs its users in (authorization_code + PKCE, client_secret_basic), whose sessions
// the provider ends by back-channel logout (OpenID Connect Back-Channel Logout 1.0, with `sid`)
// when they sign out here (RP-initiated logout's page at /session/end). A login name with an '@'
// is also the account's e-mail address, verified (ID tokens carry `email` and `email_verified`).
// With `login` and `pkjwtJwk` (a public JWK), `login-pkjwt` too: the same relying party's
// redirect URIs, authenticating with private_key_jwt (RFC 7523) signed by that key's private half.
// With `testCodes: true`, its own server also answers POST /test/code {"authorize_url", "login"}
// with {"callback"}: the authorization request driven through the development login and consent
// pages (cookies kept) as `login` would in a browser, to the redirect that carries the code. It is
// there for tests that have no browser; never for anything else.
// `introspections()` counts the requests its introspection endpoint received. `request` takes
// `cert` and `key` (PEM) to present a client certificate.
//
//   import { startProvider } from '../support/oidc_provider.mjs';
//   const op = await startProvider({ dir, resources: { 'https://api.test': { scope: 'read write' } } });
//   op.issuer, op.caFile, op.clients.service.{id,secret}; await op.request('/token', {...}); await op.stop();
//
// Or on its own: node tests/support/oidc_provider.mjs WORKDIR ['{"resources": {...}, "webClientId": "...", "mtls": true,
//   "login": {...}, "pkjwtJwk": {...}, "testCodes": true}']
// prints one JSON line {"issuer", "ca", "clients", "resources"} once listening, and stops when its
// standard input closes or on SIGTERM/SIGINT.
import { execFileSync } from 'node:child_process';
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request as httpsRequest, createServer } from 'node:https';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import Provider, { errors } from 'oidc-provider';

const openssl = (args) => execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });

/** Makes DIR/ca.pem (a CA made for this run) and DIR/server.{crt,key} for 127.0.0.1 and localhost. */
export function makeCertificates(dir) {
  mkdirSync(dir, { recursive: true });
  const p = (name) => join(dir, name);
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1',
    '-subj', '/CN=fauth test CA (oidc-provider)', '-keyout', p('ca.key'), '-out', p('ca.pem'),
    '-addext', 'basicConstraints=critical,CA:TRUE,pathlen:0', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-subj', '/CN=fauth test oidc-provider', '-keyout', p('server.key'), '-out', p('server.csr')]);
  writeFileSync(p('server.ext'), 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n'
    + 'extendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n');
  openssl(['x509', '-req', '-in', p('server.csr'), '-CA', p('ca.pem'), '-CAkey', p('ca.key'),
    '-set_serial', `0x${randomBytes(16).toString('hex')}`, '-days', '1', '-extfile', p('server.ext'), '-out', p('server.crt')]);
  return { ca: p('ca.pem'), cert: p('server.crt'), key: p('server.key') };
}

// Signing keys, made per run: RS256 for ID tokens (the OpenID default), ES256 for access tokens.
function signingKeys() {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
  return [{ ...rsa, kid: 'op-rs256', alg: 'RS256', use: 'sig' }, { ...ec, kid: 'op-es256', alg: 'ES256', use: 'sig' }];
}

// An HTTPS (or HTTP) request that trusts `ca`, presenting the client certificate `cert` (with its
// `key`) when given; resolves to { status, headers, setCookies, text, json() }.
function send(url, { method = 'GET', headers = {}, body, ca, cert, key } = {}) {
  return new Promise((resolve, reject) => {
    // A client certificate goes on a connection of its own (no agent, no TLS session resumed).
    const tls = cert ? { cert, key, agent: false } : {};
    const req = httpsRequest(url, { method, headers: { connection: 'close', ...headers }, ca, ...tls, timeout: 10000 }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { text += d; });
      res.on('end', () => resolve({
        status: res.statusCode, headers: res.headers, setCookies: res.headers['set-cookie'] ?? [], text,
        json: () => JSON.parse(text),
      }));
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${url}: no answer in 10 s`)));
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * Starts the provider. `resources` maps each resource indicator to { scope, format: 'jwt' | 'opaque',
 * audience (default: the indicator) }; `webClientId` names the authorization-code client (default
 * 'fauth-web'); `mtls` turns on certificate-bound tokens (RFC 8705) and the `bound` client.
 * Resolves to { issuer, caFile, clients, metadata, request(pathOrUrl, init), errors, stop() }.
 */
export async function startProvider({ dir, resources = {}, webClientId = 'fauth-web', mtls = false, login, pkjwtJwk,
  testCodes = false } = {}) {
  const certs = makeCertificates(dir);
  const secret = () => randomBytes(24).toString('base64url');
  const clients = {
    service: { id: 'fauth-service', secret: secret() },
    web: { id: webClientId, redirectUri: 'https://client.fauth.test/callback' },
    resource: { id: 'fauth-resource', secret: secret() },
    ...(mtls ? { bound: { id: 'fauth-bound-service', secret: secret() } } : {}),
    ...(login ? { login: { id: 'fauth-login', secret: secret(), ...login } } : {}),
    ...(login && pkjwtJwk ? { 'login-pkjwt': { id: 'fauth-login-pkjwt', ...login } } : {}),
  };
  let handler = (req, res) => { res.statusCode = 503; res.end(); };
  // With mtls, every client is asked for a certificate and none is refused for it (one without a
  // certificate, or with one no CA vouches for, goes on): RFC 8705 binding needs no PKI.
  const tls = mtls ? { requestCert: true, rejectUnauthorized: false } : {};
  const server = createServer({ cert: readFileSync(certs.cert), key: readFileSync(certs.key), ...tls }, (req, res) => handler(req, res));
  await new Promise((resolve, reject) => { server.once('error', reject); server.listen(0, '127.0.0.1', resolve); });
  const issuer = `https://127.0.0.1:${server.address().port}`;

  const provider = new Provider(issuer, {
    clients: [
      { client_id: clients.service.id, client_secret: clients.service.secret, token_endpoint_auth_method: 'client_secret_basic',
        grant_types: ['client_credentials'], response_types: [], redirect_uris: [] },
      { client_id: clients.web.id, token_endpoint_auth_method: 'none', application_type: 'web',
        grant_types: ['authorization_code'], response_types: ['code'], redirect_uris: [clients.web.redirectUri] },
      { client_id: clients.resource.id, client_secret: clients.resource.secret, token_endpoint_auth_method: 'client_secret_basic',
        grant_types: [], response_types: [], redirect_uris: [], introspection_signed_response_alg: 'ES256' },
      ...(mtls ? [{ client_id: clients.bound.id, client_secret: clients.bound.secret, token_endpoint_auth_method: 'client_secret_basic',
        grant_types: ['client_credentials'], response_types: [], redirect_uris: [], tls_client_certificate_bound_access_tokens: true }] : []),
      ...(login ? [{ client_id: clients.login.id, client_secret: clients.login.secret, token_endpoint_auth_method: 'client_secret_basic',
        application_type: 'web', grant_types: ['authorization_code'], response_types: ['code'], redirect_uris: [login.redirectUri],
        ...(login.postLogoutRedirectUri ? { post_logout_redirect_uris: [login.postLogoutRedirectUri] } : {}),
        ...(login.backchannelLogoutUri ? { backchannel_logout_uri: login.backchannelLogoutUri, backchannel_logout_session_required: true } : {}),
      }] : []),
      ...(login && pkjwtJwk ? [{ client_id: clients['login-pkjwt'].id, token_endpoint_auth_method: 'private_key_jwt',
        jwks: { keys: [pkjwtJwk] }, application_type: 'web', grant_types: ['authorization_code'], response_types: ['code'],
        redirect_uris: [login.redirectUri],
        ...(login.postLogoutRedirectUri ? { post_logout_redirect_uris: [login.postLogoutRedirectUri] } : {}),
      }] : []),
    ],
    // What the email and profile scopes release, in the ID token itself (conformIdTokenClaims off:
    // a relying party that keeps no provider token reads them there).
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    conformIdTokenClaims: false,
    jwks: { keys: signingKeys() },
    cookies: { keys: [secret()] },
    pkce: { required: () => true },
    ttl: { AccessToken: 600, AuthorizationCode: 60, ClientCredentials: 600, Grant: 600, IdToken: 600, Interaction: 600, Session: 600 },
    features: {
      clientCredentials: { enabled: true },
      introspection: { enabled: true, allowedPolicy: (ctx, client) => client.clientAuthMethod !== 'none' },
      jwtIntrospection: { enabled: true },
      revocation: { enabled: true },
      dPoP: { enabled: true },
      backchannelLogout: { enabled: Boolean(login?.backchannelLogoutUri) },
      // The certificate the client presented on this request's TLS connection (an X509Certificate,
      // which 8.8.1 takes as it takes PEM), or undefined without one.
      ...(mtls ? { mTLS: { enabled: true, certificateBoundAccessTokens: true, getCertificate: (ctx) => ctx.socket.getPeerX509Certificate() } } : {}),
      resourceIndicators: {
        enabled: true,
        defaultResource: (ctx, client, oneOf) => oneOf,
        useGrantedResource: () => false,
        getResourceServerInfo: (ctx, indicator) => {
          const r = resources[indicator];
          if (!r) throw new errors.InvalidTarget(`unknown resource ${indicator}`);
          return {
            scope: r.scope ?? 'read write',
            audience: r.audience ?? indicator,
            accessTokenTTL: 600,
            accessTokenFormat: r.format ?? 'jwt',
            ...((r.format ?? 'jwt') === 'jwt' ? { jwt: { sign: { alg: 'ES256' } } } : {}),
          };
        },
      },
    },
    // The library's development login (devInteractions) takes any name as the subject.
    findAccount: (ctx, id) => ({
      accountId: id,
      claims: () => ({ sub: id, ...(id.includes('@') ? { email: id, email_verified: true, name: id.split('@')[0] } : {}) }),
    }),
  });
  const serverErrors = [];
  provider.on('server_error', (ctx, err) => serverErrors.push(err));
  let introspections = 0;
  provider.use(async (ctx, next) => {
    if (ctx.method === 'POST' && ctx.path === '/token/introspection') introspections += 1;
    await next();
  });
  const request = (pathOrUrl, init = {}) => send(new URL(pathOrUrl, issuer), { ...init, ca: readFileSync(certs.ca) });
  const providerHandler = provider.callback();
  handler = testCodes
    ? (req, res) => (req.method === 'POST' && req.url === '/test/code' ? testCode(req, res, request) : providerHandler(req, res))
    : providerHandler;

  const stop = () => new Promise((resolve) => { server.close(() => resolve()); server.closeAllConnections(); });
  // Discovery over HTTPS with the CA alone: the certificate and the issuer are as the test says.
  const discovery = await request('/.well-known/openid-configuration').catch(async (e) => { await stop(); throw e; });
  if (discovery.status !== 200) {
    await stop();
    throw new Error(`oidc-provider discovery answered ${discovery.status}: ${discovery.text}`);
  }
  return {
    issuer,
    caFile: certs.ca,
    clients,
    metadata: discovery.json(),
    request,
    errors: serverErrors,
    introspections: () => introspections,
    // The callback URL (with the code) of the authorization request `authorize`, once `login` has
    // signed in and consented at the development pages: a browser's sign-in without a browser.
    callbackFor: (authorize, login) => codeFor(request, authorize, login),
    stop,
  };
}

// The redirect to the client's redirect URI (with the code) that the authorization request
// `authorize` ends with once `login` has signed in at the development pages and consented.
async function codeFor(request, authorize, login) {
  const jar = new Map();
  const go = async (url, init = {}) => {
    const cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
    const r = await request(url, { ...init, headers: { ...init.headers, ...(cookie ? { cookie } : {}) } });
    for (const c of r.setCookies) {
      const pair = c.split(';')[0];
      const at = pair.indexOf('=');
      if (pair.slice(at + 1)) jar.set(pair.slice(0, at), pair.slice(at + 1)); else jar.delete(pair.slice(0, at));
    }
    return r;
  };
  const form = (fields) => ({ method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString() });
  const next = (r) => {
    if (![302, 303].includes(r.status)) throw new Error(`a redirect, not ${r.status}: ${r.text}`);
    return new URL(r.headers.location, authorize);
  };
  let at = next(await go(authorize));
  at = next(await go(at, form({ prompt: 'login', login, password: 'any' })));
  at = next(await go(at));
  at = next(await go(at, form({ prompt: 'consent' })));
  return next(await go(at));
}

// POST /test/code {"authorize_url", "login"} -> 200 {"callback"}, or 500 {"error"}.
async function testCode(req, res, request) {
  let body = '';
  for await (const chunk of req) body += chunk;
  try {
    const { authorize_url: authorize, login } = JSON.parse(body);
    const callback = await codeFor(request, authorize, login);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ callback: callback.href }));
  } catch (e) {
    res.writeHead(500, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: String(e?.message ?? e) }));
  }
}

/** `Authorization: Basic` for a confidential client (RFC 6749 2.3.1: form-encoded id and secret). */
export const basicAuth = ({ id, secret }) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

/** An S256 PKCE pair (RFC 7636). */
export function pkce() {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [dir, options = '{}'] = process.argv.slice(2);
  if (!dir) {
    console.error('usage: node tests/support/oidc_provider.mjs WORKDIR [\'{"resources": {...}, "webClientId": "...", "mtls": true}\']');
    process.exit(2);
  }
  const op = await startProvider({ dir, ...JSON.parse(options) });
  const stop = async () => { await op.stop(); process.exit(0); };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.stdin.on('end', stop);
  process.stdin.resume();
  console.log(JSON.stringify({ issuer: op.issuer, ca: op.caFile, clients: op.clients, resources: JSON.parse(options).resources ?? {} }));
}
