"""Peak memory of a process tree, sampled from /proc (Linux).

A Lambda's memory limit applies to everything in its sandbox, so with worker processes the
honest peak is the largest *sum* of the resident set sizes of the process and all its
descendants at one moment (shared library pages count once per process: slightly pessimistic).
"""

from __future__ import annotations

import os
import threading
import time

PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024


def _parents() -> dict[int, int]:
    """pid -> parent pid of every process."""
    parents = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as stat:
                fields = stat.read().rsplit(b")", 1)[1].split()
            parents[int(entry)] = int(fields[1])
        except (OSError, IndexError, ValueError):
            continue
    return parents


def descendants(pid: int) -> set[int]:
    parents = _parents()
    tree, changed = {pid}, True
    while changed:
        changed = False
        for child, parent in parents.items():
            if parent in tree and child not in tree:
                tree.add(child)
                changed = True
    return tree


def rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm", "rb") as statm:
            return int(statm.read().split()[1]) * PAGE_KB
    except (OSError, IndexError, ValueError):
        return 0


class TreeSampler:
    """Samples the RSS sum of ``pid``'s tree every ``interval`` s (rescanning for children less often)."""

    def __init__(self, pid: int, interval: float = 0.02, rescan: float = 0.1) -> None:
        self.pid = pid
        self.interval = interval
        self.rescan = rescan
        self.peak_kb = 0
        self.peak_processes = 1
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)

    def __enter__(self) -> TreeSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        tree = {self.pid}
        scanned = 0.0
        while not self._stop.is_set():
            now = time.monotonic()
            if now - scanned >= self.rescan:
                tree = descendants(self.pid)
                scanned = now
            sizes = [rss_kb(pid) for pid in tree]
            total = sum(sizes)
            if total > self.peak_kb:
                self.peak_kb = total
                self.peak_processes = sum(1 for size in sizes if size)
            self._stop.wait(self.interval)

    @property
    def peak_mb(self) -> float:
        return self.peak_kb / 1024
