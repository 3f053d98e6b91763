// The method table, as the API serves it (GET /api/methods): every label, summary, storage, path and cookie name the
// pages show comes from here, so none is written in JavaScript. Loaded once, before any module that imports this one
// runs (a top-level await); when it cannot be loaded, `methods` is empty and `failure` is the answer that came instead.
import { api } from "./client.js";

export const PATH = "/api/methods";

async function load() {
  const answer = await api(PATH);
  if (answer.ok && Array.isArray(answer.body?.methods)) return { methods: answer.body.methods, failure: null };
  return { methods: [], failure: answer };
}

export const methodTable = await load();
