"""How figures are written in docs/bench.md: one rule for ratios everywhere."""


def ratio(value):
    """A ratio with two decimals, or two significant digits when it is tiny (Basic's throughput)."""
    if value is None:
        return "-"
    return f"{value:.2f}x" if value >= 0.1 else f"{value:.2g}x"
