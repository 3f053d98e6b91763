// Page wiring shared by both frontends: fill in where we are and whether the API answers.
import { api, config } from "/shared/client.js";

const originEl = document.querySelector("#origin");
const apiEl = document.querySelector("#api");
const healthEl = document.querySelector("#health");

originEl.textContent = config.origin;
apiEl.textContent = config.api;

async function showHealth() {
  try {
    const { status, body } = await api("/api/health", { credentials: "omit" });
    healthEl.textContent = `${status} ${JSON.stringify(body)}`;
  } catch (error) {
    healthEl.textContent = `unreachable: ${error.message}`;
  }
}

showHealth();
