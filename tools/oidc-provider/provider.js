// A real OpenID Connect provider (the npm package oidc-provider) for Partnerdesk's single sign-on
// tests, on a loopback port (ADR 0011). Started by the session fixture in partnerdesk/sso/tests:
//
//   node provider.js [port]        (0 or nothing: a free port)
//
// prints one JSON line {"issuer": "http://127.0.0.1:<port>"} once it listens, and stops on SIGTERM.
//
// Development settings on purpose: plain HTTP on loopback, the package's development signing keys
// and its development login form ("devInteractions"), where any login is accepted with any
// password. The login is the account: its e-mail claim is the login itself, verified unless the
// login contains "+unverified". Consent is granted at once (first-party clients), so a browser goes
// login form -> back to Partnerdesk.
import http from 'node:http';

import Provider from 'oidc-provider';

const CALLBACK_PATH = '/account/sso/callback/';
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', 'testserver']);

const clients = [
  {
    client_id: 'partnerdesk',
    client_secret: 'partnerdesk-test-secret',
    redirect_uris: [`http://127.0.0.1:8000${CALLBACK_PATH}`],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  },
  {
    client_id: 'partnerdesk-other',
    client_secret: 'other-test-secret',
    redirect_uris: [`http://127.0.0.1:8000${CALLBACK_PATH}`],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  },
];

function account(login) {
  const email = String(login).trim().toLowerCase();
  return {
    accountId: email,
    async claims() {
      return {
        sub: email,
        email,
        email_verified: !email.includes('+unverified'),
        name: email.split('@')[0].replace(/[._+]/g, ' '),
      };
    },
  };
}

const server = http.createServer();
server.listen(Number(process.argv[2] || 0), '127.0.0.1', () => {
  const { port } = server.address();
  const issuer = `http://127.0.0.1:${port}`;
  const provider = new Provider(issuer, {
    clients,
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    scopes: ['openid', 'email', 'profile'],
    conformIdTokenClaims: false,
    findAccount: (ctx, id) => account(id),
    async loadExistingGrant(ctx) {
      const grantId = ctx.oidc.result?.consent?.grantId
        || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
      if (grantId) {
        return ctx.oidc.provider.Grant.find(grantId);
      }
      const grant = new ctx.oidc.provider.Grant({
        clientId: ctx.oidc.client.clientId,
        accountId: ctx.oidc.session.accountId,
      });
      grant.addOIDCScope('openid email profile');
      await grant.save();
      return grant;
    },
    pkce: { required: () => true },
    cookies: { keys: ['partnerdesk-test-provider-cookie-key'] },
  });
  // The tests' Partnerdesk listens on whichever loopback port its live server got.
  const allowed = provider.Client.prototype.redirectUriAllowed;
  provider.Client.prototype.redirectUriAllowed = function redirectUriAllowed(value) {
    try {
      const url = new URL(value);
      if (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname) && url.pathname === CALLBACK_PATH) {
        return true;
      }
    } catch {
      return false;
    }
    return allowed.call(this, value);
  };
  server.on('request', provider.callback());
  process.stdout.write(`${JSON.stringify({ issuer })}\n`);
});

process.on('SIGTERM', () => server.close(() => process.exit(0)));
