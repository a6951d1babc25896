// A real OpenID provider for peakend's tests: panva's certified `oidc-provider` with three clients, a login form that
// checks passwords, and test users whose claims carry groups and halls. Started by scripts/services.sh.
// Not for production: its keys are made at each start and its users are the test users below.
//   OIDC_PORT       port (default 54388); the issuer is http://127.0.0.1:OIDC_PORT
//   OIDC_REDIRECTS  comma-separated redirect URIs of client `peakend` (default: the test client's)
// Client `peakend-browser` (secret `peakend-browser-secret`) is for the browser tests, whose server listens on a free
// port of 127.0.0.1: it is a "native" client, which oidc-provider lets use its loopback redirect and logout URIs on
// any port (RFC 8252 §7.3), so every test run, on any port, shares this one provider without restarting it.
// PUT /_test/users/<id> with a JSON body {"groups": [...], "halls": [...]} changes a user's claims (tests narrow a
// manager's groups with it); with a "password" too it makes a new user, so a test that changes claims can use a
// user of its own (two test runs may share this provider); it answers only on 127.0.0.1.
// GET /_test/version answers the SHA-256 of this file: scripts/services.sh warns when the provider already running on
// its port is another one.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { Provider } from 'oidc-provider';

const VERSION = createHash('sha256').update(readFileSync(new URL(import.meta.url))).digest('hex');
const port = Number(process.env.OIDC_PORT || 54388);
const issuer = `http://127.0.0.1:${port}`;
const redirects = (process.env.OIDC_REDIRECTS || 'http://testserver/sso/oidc/callback').split(',');
const logouts = redirects.map((r) => new URL('/login', r).href);

const START = {
  chen: { password: 'chen-pass', name: 'Chen Jing', email: 'chen@example.com',
    groups: ['peakend-managers', 'hall-tianhe', 'hall-huadu'], halls: [] },
  lin: { password: 'lin-pass', name: 'Lin Fang', email: 'lin@example.com', groups: ['peakend-staff'],
    halls: ['天河北厅', 'no-such-hall'] },
  wu: { password: 'wu-pass', name: 'Wu Lei', email: 'wu@example.com', groups: ['finance'], halls: [] },
  admin: { password: 'admin-sso-pass', name: 'Not the local admin', email: 'x@example.com',
    groups: ['peakend-admins'], halls: [] },
};
const users = structuredClone(START);

const provider = new Provider(issuer, {
  clients: [
    { client_id: 'peakend', client_secret: 'peakend-test-secret', redirect_uris: redirects,
      post_logout_redirect_uris: logouts, grant_types: ['authorization_code'], response_types: ['code'] },
    { client_id: 'peakend-browser', client_secret: 'peakend-browser-secret', application_type: 'native',
      redirect_uris: ['http://127.0.0.1/sso/oidc/callback'], post_logout_redirect_uris: ['http://127.0.0.1/login'],
      grant_types: ['authorization_code'], response_types: ['code'] },
    { client_id: 'other-app', client_secret: 'other-test-secret', redirect_uris: redirects,
      grant_types: ['authorization_code'], response_types: ['code'] },
  ],
  claims: { openid: ['sub'], email: ['email'], profile: ['name', 'preferred_username'], groups: ['groups', 'halls'] },
  conformIdTokenClaims: false, // the ID token carries the scopes' claims, as Keycloak and Azure AD can be set to
  features: { devInteractions: { enabled: false }, rpInitiatedLogout: { enabled: true } },
  pkce: { required: () => true },
  cookies: { keys: ['peakend-test-provider-cookie-key'] },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  findAccount: async (ctx, sub) => (users[sub] ? {
    accountId: sub,
    claims: async () => ({ sub, preferred_username: sub, name: users[sub].name, email: users[sub].email,
      groups: users[sub].groups, halls: users[sub].halls }),
  } : undefined),
  loadExistingGrant: async (ctx) => { // first-party client: consent is implied
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope('openid email profile groups');
    await grant.save();
    return grant;
  },
  ttl: { IdToken: 3600, AccessToken: 3600, Session: 3600, Interaction: 600, Grant: 3600 },
});

const escape = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const form = (uid, problem) => `<!doctype html><meta charset="utf-8"><title>Test provider login</title>
<h1>Test provider</h1>${problem ? `<p id="problem">${escape(problem)}</p>` : ''}
<form method="post" action="/interaction/${escape(uid)}"><input name="login" autocomplete="username">
<input name="password" type="password"><button>Sign in</button></form>`;

async function body(req) {
  let text = '';
  for await (const chunk of req) { text += chunk; if (text.length > 65536) throw new Error('too large'); }
  return text;
}

async function interaction(req, res) {
  const details = await provider.interactionDetails(req, res);
  if (details.prompt.name === 'consent') { // asked of native clients every time: a first-party app, consent implied
    return provider.interactionFinished(req, res, { consent: {} }, { mergeWithLastSubmission: true });
  }
  if (req.method === 'GET') {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    return res.end(form(details.uid));
  }
  const fields = new URLSearchParams(await body(req));
  const user = users[fields.get('login')];
  if (!user || user.password !== fields.get('password')) {
    res.writeHead(401, { 'content-type': 'text/html; charset=utf-8' });
    return res.end(form(details.uid, 'wrong user name or password'));
  }
  return provider.interactionFinished(req, res, { login: { accountId: fields.get('login') } },
    { mergeWithLastSubmission: false });
}

async function testUsers(req, res, id) {
  if (req.method === 'DELETE') { Object.assign(users, structuredClone(START)); res.writeHead(204); return res.end(); }
  const change = JSON.parse(await body(req));
  if (!users[id] && typeof change.password === 'string' && /^[a-z0-9-]{1,40}$/.test(id)) {
    users[id] = { password: change.password, name: id, email: `${id}@example.com`, groups: [], halls: [] };
  }
  if (!users[id]) { res.writeHead(404); return res.end(); }
  for (const key of ['groups', 'halls']) if (Array.isArray(change[key])) users[id][key] = change[key];
  res.writeHead(204);
  return res.end();
}

const handle = provider.callback();
http.createServer(async (req, res) => {
  try {
    const path = new URL(req.url, issuer).pathname;
    if (path.startsWith('/interaction/')) return await interaction(req, res);
    if (path === '/_test/version') { res.writeHead(200, { 'content-type': 'text/plain' }); return res.end(VERSION); }
    if (path.startsWith('/_test/users')) return await testUsers(req, res, decodeURIComponent(path.slice(13)));
    return handle(req, res);
  } catch (err) {
    res.writeHead(400, { 'content-type': 'text/plain' });
    return res.end(String(err && err.message));
  }
}).listen(port, '127.0.0.1', () => console.log(`oidc test provider at ${issuer}`));
