// Sign-in. Tokens live in memory only (never in storage); a reload signs in again — silently
// when the identity provider's session is still open.
//  - deployed: OpenID Connect authorization code with PKCE against the hosted login (Cognito);
//    the ID token (it carries ent_code, ent_uscc, role, card_no) is refreshed before it expires;
//  - local stack: POST dev/token with the chosen enterprise and card (the deployed stack answers 404).

let config = null;
let session = null; // {idToken, refreshToken, expiresAt, claims}
let refreshTimer = null;
const listeners = new Set();

export function onChange(listener) {
  listeners.add(listener);
}

function changed() {
  for (const listener of listeners) listener(session);
}

export async function loadConfig() {
  const response = await fetch("config.json", { cache: "no-store" });
  config = await response.json();
  return config;
}

/** The clerks' manual (用户手册), when the deployment names one. */
export function manualUrl() {
  return config?.manual_url || null;
}

export function signInMode() {
  return config?.sign_in;
}

export function currentSession() {
  return session;
}

export function token() {
  return session?.idToken || null;
}

function claimsOf(jwt) {
  const payload = jwt.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
  const json = decodeURIComponent(Array.from(atob(payload), (c) => `%${c.charCodeAt(0).toString(16).padStart(2, "0")}`).join(""));
  const claims = JSON.parse(json);
  const get = (name) => claims[name] ?? claims[`custom:${name}`];
  return { ent_code: get("ent_code"), ent_uscc: get("ent_uscc"), role: get("role"), card_no: get("card_no"), exp: claims.exp };
}

function keep(idToken, expiresIn, refreshToken) {
  const claims = claimsOf(idToken);
  const expiresAt = Date.now() + expiresIn * 1000;
  session = { idToken, refreshToken: refreshToken || session?.refreshToken || null, expiresAt, claims };
  clearTimeout(refreshTimer);
  // refresh a minute before expiry (or halfway, for short tokens)
  const lead = Math.min(60_000, (expiresIn * 1000) / 2);
  refreshTimer = setTimeout(refresh, Math.max(5_000, expiresAt - Date.now() - lead));
  changed();
}

export async function devSignIn({ ent_code, ent_uscc, role, card_no }) {
  const response = await fetch(config.dev_token_path, {
    method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ ent_code, ent_uscc: ent_uscc || null, role, card_no }),
  });
  const body = await response.json();
  if (!response.ok) throw Object.assign(new Error(body.message_zh), { body, status: response.status });
  keep(body.id_token, body.expires_in);
  sessionStorage.setItem("smartdecl.dev", JSON.stringify({ ent_code, ent_uscc, role, card_no }));
}

async function refresh() {
  if (!session) return;
  if (config.sign_in === "local") {
    const last = JSON.parse(sessionStorage.getItem("smartdecl.dev") || "null");
    if (last) await devSignIn(last).catch(() => signOut());
    return;
  }
  if (!session.refreshToken) return signOut();
  const response = await fetch(config.token_url, {
    method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ grant_type: "refresh_token", client_id: config.client_id, refresh_token: session.refreshToken }),
  });
  if (!response.ok) return signOut();
  const body = await response.json();
  keep(body.id_token, body.expires_in, body.refresh_token);
}

function base64url(bytes) {
  return btoa(String.fromCharCode(...new Uint8Array(bytes))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function redirectUri() {
  return new URL(".", location.href).href; // the console's own URL, as registered with the app client
}

/** Off to the hosted login; the verifier and state wait in sessionStorage for the way back. */
export async function oidcSignIn() {
  const verifier = base64url(crypto.getRandomValues(new Uint8Array(32)));
  const state = base64url(crypto.getRandomValues(new Uint8Array(16)));
  const challenge = base64url(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier)));
  sessionStorage.setItem("smartdecl.pkce", JSON.stringify({ verifier, state, back: location.hash }));
  const url = new URL(config.authorize_url);
  url.search = new URLSearchParams({
    response_type: "code", client_id: config.client_id, redirect_uri: redirectUri(), scope: config.scopes,
    state, code_challenge: challenge, code_challenge_method: "S256",
  });
  location.assign(url.href);
}

/** Back from the hosted login with ?code=…&state=…: exchange the code. True when signed in. */
export async function completeOidc() {
  const params = new URLSearchParams(location.search);
  const code = params.get("code");
  const pending = JSON.parse(sessionStorage.getItem("smartdecl.pkce") || "null");
  if (!code || !pending) return false;
  sessionStorage.removeItem("smartdecl.pkce");
  history.replaceState(null, "", redirectUri() + (pending.back || ""));
  if (params.get("state") !== pending.state) return false;
  const response = await fetch(config.token_url, {
    method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ grant_type: "authorization_code", client_id: config.client_id, code,
      redirect_uri: redirectUri(), code_verifier: pending.verifier }),
  });
  if (!response.ok) return false;
  const body = await response.json();
  keep(body.id_token, body.expires_in, body.refresh_token);
  return true;
}

/** The local stack keeps the chosen card for this tab, so a reload does not ask again. */
export async function resumeLocal() {
  const last = JSON.parse(sessionStorage.getItem("smartdecl.dev") || "null");
  if (!last) return false;
  try {
    await devSignIn(last);
    return true;
  } catch {
    return false;
  }
}

export function signOut() {
  clearTimeout(refreshTimer);
  session = null;
  sessionStorage.removeItem("smartdecl.dev");
  changed();
  if (config?.sign_in === "oidc") {
    const url = new URL(config.logout_url);
    url.search = new URLSearchParams({ client_id: config.client_id, logout_uri: redirectUri() });
    location.assign(url.href);
  }
}
