"""Shards served by Ray Serve: a deployment per shard (replicas, restarts and health checks are
Serve's), and a ShardedIndex whose shards are their handles. `python -m qa ask --ray` uses it."""

from __future__ import annotations

import logging
import os
import zlib
from pathlib import Path
from typing import Any

import ray
from ray import serve
from ray.serve.api import RunTarget

from qa.ingest.embed import Embedder
from qa.scale.sharded import ShardedIndex
from qa.scale.shards import Pending, Served, shard_count, shard_folder

REPLY_SECONDS = 30.0  # a shard slower than this is counted as not answering


@serve.deployment(ray_actor_options={"num_cpus": 0.25}, health_check_period_s=5, health_check_timeout_s=10)
class ShardDeployment:
    """One shard's index, read by each replica."""

    def __init__(self, folder: str) -> None:
        self.served = Served(Path(folder))

    def read(self, method: str, args: tuple) -> Any:
        return self.served.call(method, *args)

    def check_health(self) -> None:
        self.served.call("article_count")  # raises, and Serve restarts the replica, if the index cannot be read


class ServedShard:
    """A Shard reached through its Serve deployment's handle."""

    def __init__(self, name: str, handle: Any) -> None:
        self.name = name
        self.handle = handle

    def submit(self, method: str, *args: Any) -> Pending:
        return _Reply(self.handle.read.remote(method, args))


class _Reply:
    def __init__(self, response: Any) -> None:
        self.response = response

    def result(self) -> Any:
        return self.response.result(timeout_s=REPLY_SECONDS)


def app_name(folder: Path, shard: int) -> str:
    """The Serve application of one shard of one archive: another archive's never shares it."""
    where = str(folder.resolve()).encode("utf-8")
    return f"qa-{zlib.crc32(where):08x}-{shard_folder(shard)}"


def serve_archive(folder: Path, *, address: str | None = None, embedder: Embedder | None = None) -> ShardedIndex:
    """The index that asks the archive at `folder` through Serve, an application per shard: those
    already running on the cluster are used as they are, the others deployed (together). A local
    Ray when `address` and RAY_ADDRESS are unset."""
    count = shard_count(folder)  # before Ray starts: a wrong folder is told at once
    ray.init(
        address=address or os.environ.get("RAY_ADDRESS"),
        ignore_reinit_error=True,
        log_to_driver=False,
        logging_level=logging.WARNING,
    )
    names = [app_name(folder, n) for n in range(count)]
    running = {name for name, app in serve.status().applications.items() if app.status == "RUNNING"}
    missing = []
    for n, name in enumerate(names):
        if name not in running:
            deployment = ShardDeployment.options(name=shard_folder(n))  # type: ignore[attr-defined]  # added by @serve.deployment
            missing.append(
                RunTarget(deployment.bind(str((folder / shard_folder(n)).resolve())), name=name, route_prefix=None)
            )
    if missing:
        serve.run_many(missing)  # deployed together, each its own application
    shards = [ServedShard(shard_folder(n), serve.get_app_handle(name)) for n, name in enumerate(names)]
    return ShardedIndex(shards, embedder)
