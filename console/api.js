// The public API, and nothing else: every screen goes through request().
// The console lives at <api>/console/, so the API is one level up (works under a stage prefix too).
import { msg, t } from "./i18n.js";
import { signOut, token } from "./auth.js";

const BASE = new URL("../", location.href);

// requests per minute an open console costs: counted here (README figure; the browser test reads it)
export const stats = { requests: 0, since: Date.now() };
window.smartdeclStats = stats;

export class ApiError extends Error {
  constructor(status, body) {
    super(msg(body) || t("app.error"));
    this.status = status;
    this.body = body;
    this.text = msg(body) || t("app.error");
  }
}

export async function request(method, path, { body, query, raw, contentType } = {}) {
  const url = new URL(path.replace(/^\//, ""), BASE);
  for (const [key, value] of Object.entries(query || {})) {
    if (value !== undefined && value !== null && value !== "") url.searchParams.set(key, value);
  }
  const headers = { Accept: "application/json" };
  if (token()) headers.Authorization = `Bearer ${token()}`;
  let payload;
  if (raw !== undefined) {
    payload = raw;
    headers["Content-Type"] = contentType;
  } else if (body !== undefined) {
    payload = JSON.stringify(body);
    headers["Content-Type"] = "application/json";
  }
  stats.requests += 1;
  let response;
  try {
    response = await fetch(url, { method, headers, body: payload, cache: "no-store" });
  } catch {
    throw new ApiError(0, { message_zh: t("err.network"), message_en: t("err.network") });
  }
  const data = response.status === 204 ? null : await response.json().catch(() => null);
  if (response.status === 401) signOut();
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

export const get = (path, query) => request("GET", path, { query });
export const post = (path, body, query) => request("POST", path, { body, query });
export const put = (path, body) => request("PUT", path, { body });
export const del = (path) => request("DELETE", path);
