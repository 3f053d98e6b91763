"""Keep the password hash's 32 MiB work area between checks, instead of mapping and zeroing it for every hash.

scrypt (N=2^15, r=8) needs 32 MiB of scratch memory. glibc's malloc serves a block that large with a fresh mmap and
unmaps it on free, so every password check also paid ~8,200 page faults for the kernel to map and zero it: about a
sixth of the check's CPU here (`make bench` prints both). Told never to map blocks itself, to keep freed memory, and
to serve every thread from its one main heap (a thread's own arena unmaps an extra heap as soon as it is free, so a
server thread's next check faulted again), malloc hands the same pages back at the next check. The hash, its cost
parameters and so an attacker's cost per guess are unchanged; OpenSSL wipes the area before freeing it, so no hash
input stays behind. What the process gives up is returning that memory to the system: 32 MiB for each check that ran
at once, at most one per core (kernel/users.py).

Only glibc has these knobs (Debian, most Linux); elsewhere `keep` changes nothing and says so. The arena limit holds
for threads that have not yet allocated: the apps call this from their factory, before the server's threads run them.
"""

import ctypes
import platform

_M_TRIM_THRESHOLD, _M_MMAP_MAX, _M_ARENA_MAX = -1, -4, -8  # glibc's malloc.h
_GLIBC_DEFAULTS = {_M_TRIM_THRESHOLD: 128 * 1024, _M_MMAP_MAX: 65536}  # an arena limit, once set, stays
# Never trim below 1 GiB of free heap, never mmap a block, one heap for all threads.
_KEPT = {_M_TRIM_THRESHOLD: 1 << 30, _M_MMAP_MAX: 0, _M_ARENA_MAX: 1}


def _mallopt():
    """glibc's mallopt, or None on another C library."""
    return ctypes.CDLL(None).mallopt if platform.libc_ver()[0] == "glibc" else None


def keep(enabled=True):
    """Keep (or, with False, give back as glibc does by default: the bench measures both) freed heap memory in this
    process; True if done. The one heap stays: glibc cannot take an arena limit back."""
    mallopt = _mallopt()
    if mallopt is None:
        return False
    for option, value in (_KEPT if enabled else _GLIBC_DEFAULTS).items():
        if mallopt(option, value) != 1:
            return False
    return True
