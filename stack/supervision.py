"""Keeping the demo's processes up until a stop signal: each one's output in a log file of its own, a process that
died started again once its delay has passed, and the name of a vital one that died (then everything stops)."""

import sys
import time

from redis.exceptions import RedisError


def give_logs(services, folder):
    """Each process writes to var/log/<name>.log instead of the terminal; returns the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    for service in services:
        service.log = folder / f"{service.name}.log"
    return folder


def supervise(restartable, vital, how="starting it again"):
    """Until a stop signal: start again any `restartable` process that died, once its delay has passed (a service:
    seconds mapping); return the name of a `vital` one that died (then everything stops)."""
    died = {}
    while True:
        time.sleep(0.2)
        for service in vital:
            if service.proc.poll() is not None:
                return service.name
        for service, delay in restartable.items():
            if service.proc.poll() is None:
                continue
            if service not in died:
                died[service] = time.monotonic()
                when = f" in {delay:g} s" if delay else ""
                where = getattr(service, "address", service.port)
                print(f"authlab: {service.name} at {where} exited ({service.proc.returncode}); {how}{when}",
                      file=sys.stderr, flush=True)
            if time.monotonic() - died[service] < delay:
                continue
            try:
                service.start()
                del died[service]
                print(f"authlab: {service.name} at {getattr(service, 'address', service.port)} is back",
                      file=sys.stderr, flush=True)
            except (RuntimeError, OSError, RedisError) as exc:  # e.g. its port was taken meanwhile: try again
                print(f"authlab: restart failed ({exc}); retrying", file=sys.stderr, flush=True)
