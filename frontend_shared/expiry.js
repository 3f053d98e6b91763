// "Expires in": after a login, the credential's remaining time, counting down; at zero the page calls `me` by
// itself, so a person sees the 401 the API answers once the credential has expired. The countdown's state is
// window.authlab.expiry (the automated tests read it, and move `deadline` to now instead of waiting).

// Why a method's credential does not count down.
export const NO_EXPIRY = {
  basic: "No expiry: the password is sent each time, and the API checks it each time.",
};

let timer = null;

function show(text) {
  document.querySelector("#expiry").textContent = text;
}

// Start counting `seconds` (plus `grace`, e.g. a JWT's clock leeway, said so) for the credential `choice` logged in
// with; `onZero(expiry)` calls `me` and resolves to its result, or to null when the page is busy (tried again).
export function startCountdown(choice, seconds, grace, onZero) {
  stopCountdown();
  const { method, storage, cookieOption, username } = choice;
  const expiry = { method, storage, cookieOption, username, seconds, grace, deadline: Date.now() + (seconds + grace) * 1000, calling: false, me_status: null };
  window.authlab.expiry = expiry;
  const tick = async () => {
    const left = Math.ceil((expiry.deadline - Date.now()) / 1000);
    if (left > 0) {
      const extra = grace ? ` (${seconds} s, then the ${grace} s the API allows for clock skew)` : "";
      show(`The credential expires in ${left} s${extra}; at zero this page calls me by itself.`);
      return;
    }
    if (expiry.calling || expiry.me_status !== null) return;
    expiry.calling = true;
    const result = await onZero(expiry);
    expiry.calling = false;
    if (!result) return; // the page was busy: at the next tick
    expiry.me_status = result.status;
    stopCountdown(false);
    show(`Expired: the page called me by itself → ${result.status === null ? "nothing sent" : result.status}.`);
  };
  timer = setInterval(tick, 250);
  tick();
}

// Stop counting (a logout, another login, the matrix); `clear` also empties the line.
export function stopCountdown(clear = true) {
  clearInterval(timer);
  timer = null;
  if (clear) {
    if (window.authlab.expiry) window.authlab.expiry = null;
    show("");
  }
}

// The line shown when a login gives no countdown: why not.
export function noCountdown(text) {
  stopCountdown();
  show(text);
}
