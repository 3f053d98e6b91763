// Where this page keeps header credentials (localStorage), and a snapshot of what the page can see.

const PREFIX = "authlab.";

// Tokens kept for the `Authorization` header, one localStorage key per method.
export const saved = {
  get: (method) => localStorage.getItem(PREFIX + method),
  set: (method, value) => localStorage.setItem(PREFIX + method, value),
  remove: (method) => localStorage.removeItem(PREFIX + method),
  key: (method) => PREFIX + method,
};

// What JavaScript on this page can read: every localStorage key with its size, and document.cookie
// (which never shows HttpOnly cookies).
export function snapshot() {
  const local = [];
  for (let i = 0; i < localStorage.length; i += 1) {
    const key = localStorage.key(i);
    local.push({ key, chars: localStorage.getItem(key).length });
  }
  local.sort((a, b) => a.key.localeCompare(b.key));
  return { local, cookie: document.cookie };
}

// This tab's page across a reload or Back (sessionStorage): the choice, the last result shown, the countdown.
// Never a credential: a result's tokens are blanked before it is kept (see keptBody).
const TAB = "authlab.tab.";

export const tab = {
  get(name) {
    try {
      return JSON.parse(sessionStorage.getItem(TAB + name));
    } catch {
      return null; // absent, or not ours
    }
  },
  set: (name, value) => sessionStorage.setItem(TAB + name, JSON.stringify(value)),
  remove: (name) => sessionStorage.removeItem(TAB + name),
};

const SECRET_FIELDS = ["access_token", "refresh_token", "csrf_token"];

// A response body as it may be kept across a reload: every secret field replaced by a note.
export function keptBody(body) {
  if (!body || typeof body !== "object") return body;
  const copy = { ...body };
  for (const field of SECRET_FIELDS) if (field in copy) copy[field] = "(not kept across a reload)";
  return copy;
}
