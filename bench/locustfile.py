"""The fallback load: Locust users hitting one path with one credential, as fast as the server answers.

bench/load.py starts it headless with BENCH_PATH and BENCH_HEADERS (JSON) in the environment.
"""

import json
import os

from locust import FastHttpUser, constant, task

PATH = os.environ.get("BENCH_PATH", "/api/public")
HEADERS = json.loads(os.environ.get("BENCH_HEADERS", "{}"))


class Client(FastHttpUser):
    """A closed-loop client: the next request leaves as soon as the last answer arrived."""

    wait_time = constant(0)

    @task
    def me(self):
        self.client.get(PATH, headers=HEADERS, name=PATH)
