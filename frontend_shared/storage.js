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
