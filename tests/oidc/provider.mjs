// A real OpenID Connect provider for tests/test_oidc.py: `oidc-provider` with its development login and
// consent pages (any password is accepted; the login names an account). Usage:
//   node provider.mjs PORT
// with OIDC_CLIENT_ID, OIDC_CLIENT_SECRET, OIDC_REDIRECT_URI and OIDC_ACCOUNTS (JSON: {login: {email,
// email_verified, name}}) in the environment. Prints "ready <issuer>" once it listens on 127.0.0.1.
import Provider from 'oidc-provider';

const port = Number(process.argv[2]);
const env = (name) => {
  const value = process.env[name];
  if (!value) {
    console.error(`provider.mjs: ${name} is not set`);
    process.exit(2);
  }
  return value;
};
const accounts = JSON.parse(env('OIDC_ACCOUNTS'));
const issuer = `http://127.0.0.1:${port}`;

const provider = new Provider(issuer, {
  clients: [{
    client_id: env('OIDC_CLIENT_ID'),
    client_secret: env('OIDC_CLIENT_SECRET'),
    redirect_uris: [env('OIDC_REDIRECT_URI')],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
  // Every client must prove the code is its own (RFC 7636), as Tracker always does.
  pkce: { required: () => true },
  features: { devInteractions: { enabled: true } },
  // Test keys for cookies only; this provider lives for one test module on 127.0.0.1.
  cookies: { keys: ['tracker-tests-cookie-key'] },
  async findAccount(ctx, id) {
    const account = accounts[id];
    if (!account) return undefined;
    return {
      accountId: id,
      async claims() {
        return { sub: account.sub || id, ...account };
      },
    };
  },
});
provider.proxy = false;

const server = provider.listen(port, '127.0.0.1', () => {
  console.log(`ready ${issuer}`);
});
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
