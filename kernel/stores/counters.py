"""Fixed-window counters for the rate limits: one Lua script in Redis, this process's memory while Redis is out.

Each count is all or nothing over every window it names (one INCR per window, in one script): if any window is
full, every count is taken back and the caller learns which window and when it resets. Redis down or hung: the
counters fall back to this process's memory for FALLBACK_SECONDS, then Redis is tried again; when it answers
again, what memory counted meanwhile is added to Redis first (SET NX EX, then INCRBY), so an outage resets no
window. On a Redis Cluster the keys of one identity share a slot (their hash tag), so each identity's windows
are counted by one script. Which windows a request counts, and what a full one answers, is kernel/password_limits.py's.
"""

import functools
import logging
import math
import threading
import time

from kernel.failures import STORE_ERRORS
from kernel.stores import redis_client

FALLBACK_SECONDS = 2  # after a Redis error, count in memory this long before asking Redis again

log = logging.getLogger("authlab.limits")

# Count one attempt in every window (KEYS; ARGV: limits, then window seconds). All or nothing: if any window
# is over its limit, every count is taken back and {index of that window, its ms to reset} is returned.
COUNT_SCRIPT = """
local n = #KEYS
for i = 1, n do
  local count = redis.call('INCR', KEYS[i])
  if count == 1 then redis.call('EXPIRE', KEYS[i], ARGV[n + i]) end
  if count > tonumber(ARGV[i]) then
    for j = 1, i do redis.call('DECR', KEYS[j]) end
    return {i, redis.call('PTTL', KEYS[i])}
  end
end
return {0, 0}
"""


class MemoryCounters:
    """The same windows in this process's memory, for while Redis cannot be asked."""

    def __init__(self):
        self.lock, self.counts = threading.Lock(), {}  # key -> [count, window ends at]

    def count(self, keys, amounts, seconds):
        now = time.monotonic()
        with self.lock:
            if len(self.counts) > 10_000:
                self.counts = {k: v for k, v in self.counts.items() if v[1] > now}
            entries = []
            for key, amount, window in zip(keys, amounts, seconds, strict=True):
                entry = self.counts.get(key)
                if entry is None or entry[1] <= now:
                    entry = self.counts[key] = [0, now + window]
                entry[0] += 1
                entries.append(entry)
                if entry[0] > amount:
                    for taken in entries:
                        taken[0] -= 1
                    return len(entries), (entry[1] - now) * 1000
            return 0, 0

    def refund(self, keys):
        with self.lock:
            for key in keys:
                if key in self.counts:
                    self.counts[key][0] -= 1

    def take(self):
        """Every count still standing, as (key, count, whole seconds its window has left), and forget them here."""
        now = time.monotonic()
        with self.lock:
            taken, self.counts = self.counts, {}
        return [(key, count, math.ceil(ends - now)) for key, (count, ends) in taken.items() if count > 0 and ends > now]

    def put_back(self, taken):
        """Counts that could not be carried to Redis after all: counted here again."""
        now = time.monotonic()
        with self.lock:
            for key, count, seconds in taken:
                entry = self.counts.setdefault(key, [0, now + seconds])
                entry[0] += count


class Counters:
    """Redis first (one script per count, one pipeline per refund); this process's memory while Redis is out.

    On a cluster the windows of one identity share a slot, not those of the client and of the name: there it is
    one script per identity, and a later one that is full takes the earlier counts back (a refund)."""

    def __init__(self, redis):
        self.redis = redis
        self.per_slot = redis.topology == "cluster"
        self.memory = MemoryCounters()
        self.redis_out_until = 0.0
        self.carry_back = False

    @functools.cached_property
    def script(self):
        return self.redis.register_script(COUNT_SCRIPT)

    @functools.cached_property
    def refunds(self):
        """Refunds are best effort and come after the answer is decided: one try, so a hung Redis costs one
        timeout."""
        return redis_client.without_retry(self.redis)

    def _count_in_redis(self, keys, amounts, seconds):
        groups = {}  # hash tag -> positions: every key of one identity, in order
        for i, key in enumerate(keys):
            groups.setdefault(key.partition("{")[2].partition("}")[0] if self.per_slot else "", []).append(i)
        done = []
        for positions in groups.values():
            group_keys = [keys[i] for i in positions]
            args = [*(amounts[i] for i in positions), *(seconds[i] for i in positions)]
            over, ms = self.script(keys=group_keys, args=args)
            if over:
                if done:
                    self.refund(self.redis, done)
                return positions[over - 1] + 1, ms
            done += group_keys
        return 0, 0

    def _carry_back(self):
        """Add what was counted in memory during an outage to Redis, so an outage resets no window: a window
        Redis does not have yet starts with the memory's seconds left (SET NX EX, then INCRBY)."""
        taken = self.memory.take()
        if not taken:
            return
        try:
            pipe = self.redis.pipeline(transaction=False)
            for key, count, seconds in taken:
                pipe.set(key, 0, ex=max(1, seconds), nx=True)
                pipe.incrby(key, count)
            pipe.execute()
        except STORE_ERRORS:
            self.memory.put_back(taken)
            raise

    def count(self, keys, amounts, seconds):
        """(0, 0) if counted; else (1-based index of the full window, ms until it resets). And the store used."""
        if time.monotonic() >= self.redis_out_until:
            try:
                if self.carry_back:
                    self._carry_back()
                    self.carry_back = False
                return self._count_in_redis(keys, amounts, seconds), self.redis
            except STORE_ERRORS:
                self.redis_out_until = time.monotonic() + FALLBACK_SECONDS
                self.carry_back = True  # what memory counts from now on goes to Redis when it answers again
                log.warning("rate-limit counters in process memory: Redis is not answering")
        return self.memory.count(keys, amounts, seconds), self.memory

    def refund(self, store, keys):
        if store is self.memory:
            return self.memory.refund(keys)
        try:
            pipe = self.refunds.pipeline(transaction=False)
            for key in keys:
                pipe.decr(key)
            pipe.execute()
        except STORE_ERRORS:  # the count stays: a right password may be counted once as a failure
            self.redis_out_until = time.monotonic() + FALLBACK_SECONDS
            self.carry_back = True
