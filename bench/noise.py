"""How much CPU other programs took while a load ran, so a figure taken on a busy machine says so."""

import os
import time

import psutil


def _busy_seconds():
    """CPU seconds the whole machine spent not idle, from /proc/stat (None where there is none)."""
    try:
        with open("/proc/stat") as f:
            ticks = [int(x) for x in f.readline().split()[1:9]]
    except (OSError, ValueError):
        return None
    return (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")  # minus idle and iowait


def _own_seconds():
    """CPU seconds of this process and everything it started (API workers, Redis, wrk), finished or not."""
    me = psutil.Process()
    total = sum(me.cpu_times()[:4])  # user, system, and the same for children already waited for
    for child in me.children(recursive=True):
        try:
            total += sum(child.cpu_times()[:2])
        except psutil.Error:  # it ended meanwhile; its time is in our children's times once waited for
            pass
    return total


def _tree_seconds(pids):
    """CPU seconds of the given processes and their children (an API's gunicorn workers, Redis)."""
    total = 0.0
    for pid in pids:
        try:
            root = psutil.Process(pid)
            for proc in (root, *root.children(recursive=True)):
                total += sum(proc.cpu_times()[:2])
        except psutil.Error:  # gone: it contributes nothing more
            pass
    return total


class Meter:
    """`with Meter({"api": pid, ...}) as m: ...` then m.share: the fraction of all cores other programs used
    meanwhile, and m.watched: CPU seconds each named process (with its children) used meanwhile."""

    share = None

    def __init__(self, pids=None):
        self.pids = pids or {}

    def __enter__(self):
        self.start, self.busy, self.own = time.monotonic(), _busy_seconds(), _own_seconds()
        self.watched = {name: -_tree_seconds([pid]) for name, pid in self.pids.items()}
        return self

    def __exit__(self, *exc):
        self.watched = {name: spent + _tree_seconds([self.pids[name]]) for name, spent in self.watched.items()}
        busy = _busy_seconds()
        if busy is None or self.busy is None:
            return
        elapsed = time.monotonic() - self.start
        foreign = (busy - self.busy) - (_own_seconds() - self.own)
        self.share = round(max(0.0, foreign) / (elapsed * (os.cpu_count() or 1)), 3)
