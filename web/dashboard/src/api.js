// The API client: same origin, cookie session. State-changing requests carry the CSRF token
// the login (or /auth/me) returned and a JSON content type, as the server requires.
let csrf = null;
let onUnauthorized = () => {};

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

export function setCsrf(token) { csrf = token || null; }
export function setUnauthorizedHandler(f) { onUnauthorized = f; }

export async function api(path, { method = 'GET', body, quiet401 = false } = {}) {
  const headers = { Accept: 'application/json' };
  const init = { method, headers, credentials: 'same-origin' };
  if (method !== 'GET') {
    headers['Content-Type'] = 'application/json';
    if (csrf) headers['X-CSRF-Token'] = csrf;
    init.body = JSON.stringify(body ?? {});
  }
  const r = await fetch(`/api/v1/${path}`, init);
  let data = null;
  try { data = await r.json(); } catch { /* an empty or non-JSON body */ }
  if (!r.ok) {
    const message = data?.error?.message || `${r.status} ${r.statusText}`;
    if (r.status === 401 && !quiet401) onUnauthorized();
    throw new ApiError(r.status, message);
  }
  return data;
}

// A query string from an object, skipping empty values.
export function qs(params) {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') u.set(k, v);
  const t = u.toString();
  return t ? `?${t}` : '';
}
