"""The one clock tokens and revocation records agree on."""

import math
import time


def issued_at():
    """Now, floored to the millisecond: the `iat` of every token minted here and the logout-all marker alike."""
    return math.floor(time.time() * 1000) / 1000
