"""reports/bench.png: each method against the usual way and /api/public (ratios), and its bytes on the wire."""

import matplotlib

matplotlib.use("Agg")  # files only, no display

import matplotlib.pyplot as plt  # after choosing the backend


def draw(result, path):
    """Three panels: throughput against the usual way with the target, cost ratios to public (log), bytes."""
    rows = result["methods"]
    labels = [row["label"].replace(" (baseline)", "") for row in rows]
    x = range(len(rows))
    fig, (speed, cost, size) = plt.subplots(3, 1, figsize=(11, 12), constrained_layout=True)

    bars = speed.bar(x, [row["vs_peer"] or 0 for row in rows], color=[_colour(row) for row in rows])
    speed.bar_label(bars, fmt="%.2f", fontsize=8)
    speed.axhline(1.0, linestyle="--", linewidth=1, color="grey")
    speed.text(len(rows) - 0.5, 1.0, "target: >= 1 (public: >= 0.97)", ha="right", va="bottom", fontsize=8,
               color="grey")
    speed.set_ylabel("req/s / usual way's req/s")
    speed.set_title(f"Throughput against the usual way under {result['settings']['tool']} (higher is better)")

    series = (("p50", "p50 latency"), ("p99", "p99 latency"), ("server_cpu", "server CPU under load"),
              ("inproc", "in-process time"))
    width = 0.8 / len(series)
    for i, (key, name) in enumerate(series):
        cost.bar([p + (i - 1.5) * width for p in x], [row["ratios"][key] for row in rows], width, label=name)
    cost.set_yscale("log")
    cost.axhline(1, linewidth=1, color="black")
    cost.set_ylabel("x public (log)")
    cost.set_title("Time per request relative to public (lower is better)")
    cost.legend(fontsize=8)

    size.bar([p - 0.2 for p in x], [row["request_bytes"] for row in rows], 0.4, label="request bytes (every request)")
    size.bar([p + 0.2 for p in x], [row["credential"]["issued_bytes"] or 0 for row in rows], 0.4,
             label="credential size at issue")
    size.set_ylabel("bytes")
    size.set_title("On the wire")
    size.legend(fontsize=8)

    for ax in (speed, cost, size):
        ax.set_xticks(list(x), labels, rotation=20, ha="right", fontsize=9)
    machine = result["machine"]
    fig.suptitle(f"authlab bench ({result['mode']}): {machine['cores']} cores, Python {machine['python']}, "
                 f"Redis {machine['redis_server']}, {result['finished'][:16]}", fontsize=10)
    fig.savefig(path, dpi=90)
    plt.close(fig)


def _colour(row):
    """Green met, red missed, grey for rows without a target."""
    return {True: "tab:green", False: "tab:red", None: "tab:grey"}[row["verdict"]["met"]]
