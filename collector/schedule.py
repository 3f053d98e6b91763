"""When the collector tries again: at once, after each of COLLECTOR_DELAYS (the page long closed), and on demand.

Due attempts wait in one Redis sorted set (`collector:due`, scored by when), so any collector process may run them and
each runs once (ZREM decides who). A daemon thread checks it every half second; tests call run_due with their clock.
"""

import logging
import threading
import time

import requests

from backend import clock
from backend.stores import keys
from backend.stores.redis_client import redis
from backend.web.errors import STORE_ERRORS

from . import loot_store
from .uses import USES

log = logging.getLogger("authlab.collector")
POLL_SECONDS = 0.5


def plan(run, index, received_at, delays, deadline):
    """Queue the later attempts of one item (those before the run's records expire)."""
    due = {f"{run} {index} {delay}": received_at + delay for delay in delays if received_at + delay < deadline}
    if due:
        redis().zadd(keys.COLLECTOR_DUE, due)


def attempt(run, index, trigger, now=None):
    """Use item `index` of `run` once and record what answered; None when there is no such item (any more)."""
    now = clock.now() if now is None else now
    item = loot_store.item(run, index)
    if item is None or item["kind"] not in USES:
        return None
    try:
        how, status, body = USES[item["kind"]](item)
    except (requests.RequestException, KeyError) as exc:
        how, status, body = "reach its target", 503, {"error": "unreachable", "message": type(exc).__name__}
    loot_store.update_item(run, index, item)
    record = {
        "item": index, "at": now, "after": round(now - item["received_at"], 1), "trigger": trigger, "how": how,
        "status": status, "worked": 200 <= status < 300, "error": body.get("error") if status >= 300 else None,
        "message": (body.get("message") or body.get("error_description")) if status >= 300 else None,
    }
    loot_store.add_attempt(run, record, now)
    return record


def run_due(now=None):
    """Run every attempt due by `now`; how many ran."""
    now = clock.now() if now is None else now
    ran = 0
    for member in redis().zrangebyscore(keys.COLLECTOR_DUE, "-inf", now):
        if not redis().zrem(keys.COLLECTOR_DUE, member):
            continue  # another process took it
        run, index, delay = member.decode().split(" ")
        attempt(run, int(index), f"after {delay} s", now)
        ran += 1
    return ran


def start(app):
    """The daemon thread that runs due attempts in this process until it exits."""

    def loop():
        while True:
            time.sleep(POLL_SECONDS)
            with app.app_context():
                try:
                    run_due()
                except STORE_ERRORS as exc:  # Redis away: the attempts wait for it
                    log.warning("collector schedule: %s", exc)

    threading.Thread(target=loop, name="collector-schedule", daemon=True).start()
