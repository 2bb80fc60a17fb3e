// The Fastify peer of the quickstart's GET /me: HS256 bearer (@fastify/jwt), user from a Map.
// Run by scripts/bench: FAUTH_SECRET_KEY=... PORT=... node server.js
// It verifies the same tokens the quickstart issues and answers the same body.
'use strict';
const fastify = require('fastify')({ logger: false });

const users = new Map([
  ['user-123', { username: 'alice', active: true, roles: ['admin'] }],
  ['user-456', { username: 'bob', active: true, roles: ['member'] }],
  ['user-789', { username: 'carol', active: false, roles: [] }],
]);

fastify.register(require('@fastify/jwt'), {
  secret: process.env.FAUTH_SECRET_KEY,
  verify: { algorithms: ['HS256'], requiredClaims: ['exp', 'sub', 'jti'] },
});

const unauthorized = (reply) =>
  reply.code(401).header('WWW-Authenticate', 'Bearer').send({ detail: 'Could not validate credentials' });

fastify.get('/me', async (request, reply) => {
  let claims;
  try {
    claims = await request.jwtVerify();
  } catch {
    return unauthorized(reply);
  }
  if (claims.token_type !== 'access') return unauthorized(reply);
  const user = users.get(claims.sub);
  if (!user || !user.active) return unauthorized(reply);
  return { message: `Hello ${user.username}` };
});

fastify.listen({ port: Number(process.env.PORT), host: '127.0.0.1' }).then(() => console.log('listening'));
