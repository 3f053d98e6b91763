"""The one clock sessions, tokens and revocation records agree on (tests move it instead of sleeping)."""

import math
import time


def now():
    """Seconds since the epoch."""
    return time.time()


def issued_at():
    """Now, floored to the millisecond: the `iat` of every token minted here and the logout-all marker alike."""
    return math.floor(now() * 1000) / 1000
