"""kernel/hash_memory.py: an app built with KEEP_HASH_MEMORY checks a password without mapping scrypt's 32 MiB anew
(counted as the page faults of a check, in a fresh process each, since malloc's settings are the whole process's);
and kernel/users.py runs no more hashes at once than there are cores."""

import os
import subprocess
import sys
import threading

import pytest

from kernel import users

PAGE_FAULTS_OF_A_CHECK = """
import queue, resource, threading
from kernel import hash_memory, users
{setup}
tasks, results = [queue.Queue(), queue.Queue()], queue.Queue()

def server_thread(own):  # as a server's threads: each lives on, takes requests in turn, and keeps memory of its own
    kept = []
    while own.get():
        kept.append(bytearray(2048))  # (without it, malloc may hand the one freed arena from thread to thread)
        results.put(users.verify("alice", "wonderland"))

for own in tasks:
    threading.Thread(target=server_thread, args=(own,), daemon=True).start()

def checks(count):
    for number in range(count):
        tasks[number % 2].put(True)
        assert results.get(timeout=30), "refused"

checks(2)  # each thread's first check may grow the heap; the next ones show what every later check costs
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
checks(2)
print((resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / 2)
"""

WORK_AREA_PAGES = 32 * 1024 * 1024 // 4096  # scrypt N=2^15, r=8: 128 * r * N bytes, in 4 KiB pages


def faults_of_a_check(setup, keep_setting="1"):
    env = {**os.environ, "KEEP_HASH_MEMORY": keep_setting, "REDIS_URL": "redis://127.0.0.1:9/0"}
    done = subprocess.run([sys.executable, "-c", PAGE_FAULTS_OF_A_CHECK.format(setup=setup)],
                          env=env, capture_output=True, text=True, timeout=60, check=True)
    return float(done.stdout.split()[-1])


@pytest.mark.parametrize("app_package", ["backend", "issuer"])
def test_an_app_keeps_the_work_area_so_a_check_maps_no_fresh_memory(app_package):
    assert faults_of_a_check(f"from {app_package} import create_app; create_app()") < WORK_AREA_PAGES / 20


def test_with_the_setting_off_every_check_maps_and_zeroes_the_whole_area():
    assert faults_of_a_check("from backend import create_app; create_app()", keep_setting="0") >= WORK_AREA_PAGES


def test_keep_false_gives_the_process_back_glibcs_defaults():
    assert faults_of_a_check("assert hash_memory.keep() and hash_memory.keep(False)") >= WORK_AREA_PAGES


def test_no_more_hashes_run_at_once_than_there_are_cores(monkeypatch):
    cores, running, most = len(os.sched_getaffinity(0)), [], []
    real_check = users.check_password_hash

    def counted_check(*args):
        running.append(1)
        most.append(len(running))
        try:
            return real_check(*args)
        finally:
            running.pop()

    monkeypatch.setattr(users, "check_password_hash", counted_check)
    threads = [threading.Thread(target=users.verify, args=("alice", "wonderland")) for _ in range(cores + 3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(most) == cores + 3 and max(most) == cores
