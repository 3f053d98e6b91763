"""`make bench`: what each authentication method costs per request, on the wire, and across two servers.

    make bench              # full run (~4 min on 2 cores): reports/bench.json, reports/bench.png, docs/bench.md
    make bench ARGS=--quick # the same measurements, shorter (~1 min): reports/bench-quick.{json,png}
    python -m bench --help  # every knob (load tool, workers, durations, rounds)
"""
