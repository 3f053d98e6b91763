// "Expires in": after a login, the credential's remaining time, counting down; at zero the page calls `me` by
// itself, so a person sees the 401 the API answers once the credential has expired. The countdown's state is
// window.authlab.expiry (the automated tests read it, and move `deadline` to now instead of waiting).

import { tab } from "./storage.js";

// Why a method's credential does not count down.
export const NO_EXPIRY = {
  basic: "No expiry: the password is sent each time, and the API checks it each time.",
};

let timer = null;
const KEPT = "expiry"; // in this tab's sessionStorage, so a reload or Back goes on counting (storage.js)

function show(text) {
  document.querySelector("#expiry").textContent = text;
}

// Why a credential works `grace` seconds past its own lifetime, said where the countdown counts them.
function graceText(method, seconds, grace) {
  if (!grace) return "";
  if (method === "jwt" || method === "issuer") {
    return ` (counting from ${seconds + grace}: the token's exp is ${seconds} s after login, and the API accepts a JWT ` +
      `${grace} s past its exp, the leeway it allows for servers whose clocks disagree)`;
  }
  return ` (${seconds} s, then ${grace} s more: the API counts a signed token's age in whole seconds)`;
}

// Start counting `seconds` (plus `grace`, e.g. a JWT's clock leeway, said so) for the credential `choice` logged in
// with; `onZero(expiry)` calls `me` and resolves to its result, or to null when the page is busy (tried again).
// `deadline`: when it ends, if it began before a reload (resumeCountdown).
export function startCountdown(choice, seconds, grace, onZero, deadline = Date.now() + (seconds + grace) * 1000) {
  stopCountdown();
  const { method, storage, cookieOption, username } = choice;
  const expiry = { method, storage, cookieOption, username, seconds, grace, deadline, calling: false, me_status: null };
  window.authlab.expiry = expiry;
  const tick = async () => {
    tab.set(KEPT, expiry); // the test may have moved the deadline: keep what counts
    const left = Math.ceil((expiry.deadline - Date.now()) / 1000);
    if (left > 0) {
      show(`The credential expires in ${left} s${graceText(method, seconds, grace)}; at zero this page calls me by itself.`);
      return;
    }
    if (expiry.calling || expiry.me_status !== null) return;
    expiry.calling = true;
    const result = await onZero(expiry);
    expiry.calling = false;
    if (!result) return; // the page was busy: at the next tick
    expiry.me_status = result.status;
    stopCountdown(false);
    showExpired(expiry);
  };
  timer = setInterval(tick, 250);
  tick();
}

function showExpired(expiry) {
  tab.set(KEPT, expiry);
  show(`Expired: the page called me by itself → ${expiry.me_status === null ? "nothing sent" : expiry.me_status}.`);
}

// After a reload or Back: go on counting the credential counted before (or say it already expired).
export function resumeCountdown(onZero) {
  const kept = tab.get(KEPT);
  if (!kept) return;
  if (kept.me_status !== null) {
    window.authlab.expiry = kept;
    showExpired(kept);
    return;
  }
  startCountdown(kept, kept.seconds, kept.grace, onZero, kept.deadline);
}

// Stop counting (a logout, another login, the matrix); `clear` also empties the line.
export function stopCountdown(clear = true) {
  clearInterval(timer);
  timer = null;
  if (clear) {
    if (window.authlab.expiry) window.authlab.expiry = null;
    tab.remove(KEPT);
    show("");
  }
}

// The line shown when a login gives no countdown: why not.
export function noCountdown(text) {
  stopCountdown();
  show(text);
}
