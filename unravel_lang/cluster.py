"""Running many independent jobs (files to measure, seeds to render): in this process, on a
local Dask cluster, or on an existing Dask scheduler.

Dask is the optional extra `unravel-lang[cluster]`; without it jobs run here, one after
another. A job is a module-level function of one item; what it raises is reported for that
item while the others go on. When a Dask worker dies, the scheduler gives its jobs to
another worker (up to `distributed.scheduler.allowed-failures` times).
"""

from __future__ import annotations

import logging
import os
import traceback
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from unravel_lang.errors import UnravelError

EXTRA = "pip install 'unravel-lang[cluster]'"


@dataclass(frozen=True)
class Outcome:
    """What one job gave: `value`, or `error` (one line) when it failed."""

    item: Any
    value: Any = None
    error: str | None = None


@dataclass(frozen=True)
class Where:
    """Where jobs run: `workers` processes of a local Dask cluster, or the Dask scheduler at
    `scheduler` (an address such as tcp://host:8786, or a scheduler file); neither: here."""

    workers: int | None = None
    scheduler: str | None = None

    @property
    def distributed(self) -> bool:
        return self.workers is not None or self.scheduler is not None

    def describe(self) -> str:
        if self.scheduler is not None:
            return f"on the Dask scheduler {self.scheduler}"
        if self.workers is not None:
            return f"on a local Dask cluster of {self.workers} worker processes"
        return "in one process"


def run_jobs(job: Callable[[Any], Any], items: Iterable[Any], where: Where) -> Iterator[Outcome]:
    """Run `job(item)` for every item and yield an `Outcome` per item as each finishes (in
    order when run here). Raises `UnravelError` when Dask is asked for and is missing or its
    scheduler cannot be reached."""
    items = list(items)
    if not where.distributed:
        for item in items:
            yield _guarded(job, item)
        return
    try:
        from dask.distributed import Client, as_completed
    except ImportError:
        raise UnravelError(f"--workers and --scheduler need Dask: {EXTRA}") from None
    logging.getLogger("distributed").setLevel(logging.ERROR)  # its start/stop chatter
    cluster = None
    try:
        if where.scheduler is not None:
            client = _connect(Client, where.scheduler)
        else:
            cluster = local_cluster(where.workers)
            client = Client(cluster)
        with client:
            futures = {client.submit(_guarded, job, item, pure=False): item for item in items}
            for future in as_completed(futures):
                try:
                    yield future.result()
                except Exception as exc:  # noqa: BLE001 - e.g. KilledWorker: report, go on
                    yield Outcome(futures[future], error=f"{type(exc).__name__}: {exc}")
    finally:
        if cluster is not None:
            cluster.close()


WORKER_CONFIG = {"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}
"""Dask's nannies set glibc's MALLOC_TRIM_THRESHOLD_ in their workers, which turns off
glibc's adaptive mmap threshold: every large torch temporary is then mapped and unmapped
again, and a RAVE v2 encode runs about 1.8 times slower. Our workers keep glibc's default."""


def local_cluster(workers: int):
    """A Dask `LocalCluster` of `workers` single-threaded worker processes on 127.0.0.1."""
    import dask
    from dask.distributed import LocalCluster

    with dask.config.set(WORKER_CONFIG):
        return LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                            host="127.0.0.1", dashboard_address=None)


def _connect(client_type, scheduler: str):
    kind = "scheduler_file" if Path(scheduler).suffix == ".json" else "address"
    try:
        return client_type(**{kind: scheduler}, timeout="10s")
    except (OSError, TimeoutError) as exc:
        raise UnravelError(f"cannot reach the Dask scheduler {scheduler}: {exc}") from None


def _guarded(job: Callable[[Any], Any], item: Any) -> Outcome:
    """`job(item)` as an `Outcome`: a user error by its message, anything else by its type."""
    try:
        return Outcome(item, value=job(item))
    except UnravelError as err:
        return Outcome(item, error=str(err))
    except Exception as err:  # noqa: BLE001 - one failed job never stops the others
        where = traceback.extract_tb(err.__traceback__)[-1]
        return Outcome(item, error=f"{type(err).__name__}: {err} "
                       f"({os.path.basename(where.filename)}:{where.lineno})")


@lru_cache(maxsize=4)
def worker_model(path: str | None):
    """The model at `path` (None: the embedded default), loaded once per process: a Dask
    worker keeps it for every job it runs."""
    from unravel_lang.model import load_model

    return load_model(path)
