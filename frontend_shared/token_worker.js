// The web worker of RFC 10017 §8 (token storage): it redeems the code and keeps the refresh token in its own memory, out of
// reach of the page's scripts; the page gets access tokens only. (A script in the page can still ask it to refresh:
// the worker protects the refresh token, not what the refresh token buys.)
import * as oauth from "./vendor/oauth4webapi.js";

let refreshToken = null;
let as = null;

async function authorizationServer(issuer) {
  if (!as) {
    const expected = new URL(issuer);
    const options = { algorithm: "oauth2", [oauth.allowInsecureRequests]: expected.protocol === "http:" };
    as = await oauth.processDiscoveryResponse(expected, await oauth.discoveryRequest(expected, options));
  }
  return as;
}

// The page's part of a token answer: never the refresh token.
function accessOnly(answer) {
  if (answer.refresh_token) refreshToken = answer.refresh_token;
  return { ok: true, access_token: answer.access_token, token_type: answer.token_type, expires_in: answer.expires_in };
}

const OPS = {
  async exchange({ issuer, client, callback, state, verifier, redirectUri }) {
    const server = await authorizationServer(issuer);
    const insecure = { [oauth.allowInsecureRequests]: new URL(issuer).protocol === "http:" };
    const params = oauth.validateAuthResponse(server, client, new URLSearchParams(callback), state); // checked again here
    const response = await oauth.authorizationCodeGrantRequest(server, client, oauth.None(), params, redirectUri, verifier, insecure);
    return accessOnly(await oauth.processAuthorizationCodeResponse(server, client, response));
  },
  async refresh({ issuer, client }) {
    if (!refreshToken) return { ok: false, status: null, error: "the worker holds no refresh token (a reload ends it)" };
    const server = await authorizationServer(issuer);
    const insecure = { [oauth.allowInsecureRequests]: new URL(issuer).protocol === "http:" };
    const response = await oauth.refreshTokenGrantRequest(server, client, oauth.None(), refreshToken, insecure);
    return accessOnly(await oauth.processRefreshTokenResponse(server, client, response));
  },
  async revoke({ issuer, client }) {
    if (!refreshToken) return { ok: false, status: null, error: "nothing to revoke" };
    const server = await authorizationServer(issuer);
    const insecure = { [oauth.allowInsecureRequests]: new URL(issuer).protocol === "http:" };
    const token = refreshToken;
    refreshToken = null;
    await oauth.processRevocationResponse(await oauth.revocationRequest(server, client, oauth.None(), token, insecure));
    return { ok: true };
  },
};

// One request per message, answered on the port it brought.
self.onmessage = async ({ data, ports: [port] }) => {
  const op = OPS[data?.op];
  if (!op || !port) return;
  try {
    port.postMessage(await op(data));
  } catch (error) {
    port.postMessage({ ok: false, status: error.status ?? 0, error: error.error ?? error.message });
  }
};
