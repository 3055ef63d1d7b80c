"""Shared fixtures: one index built from seeds/ per test session, opened per module, and the web app serving a copy."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from helpers import APP, ROOT, SEEDS, free_port

if TYPE_CHECKING:
    from qa import NewsIndex

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the model is bundled; tests never reach the network
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

APP_START_SECONDS = 180  # importing torch and gradio and loading the model on a 2-core machine


@pytest.fixture(scope="session")
def seed_index_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder of an index built from seeds/ with the real model (about 15 s, once per session).

    Treat it as read-only; copy it (see `app_url`) to add articles.
    """
    from qa import NewsIndex

    path = tmp_path_factory.mktemp("seed-index")
    with NewsIndex.open(path, create=True) as index:
        report = index.add([SEEDS])
    assert not report.skipped, report.skipped
    return path


@pytest.fixture(scope="module")
def seeds(seed_index_path: Path) -> Iterator[NewsIndex]:
    """The seed index, opened once per test module."""
    from qa import NewsIndex

    with NewsIndex.open(seed_index_path) as opened:
        yield opened


@pytest.fixture(scope="module")
def app_url(seed_index_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`python app.py` serving a private copy of the seed index on a free local port."""
    with serve_app(seed_index_path, tmp_path_factory) as url:
        yield url


@contextlib.contextmanager
def serve_app(seed_index_path: Path, tmp_path_factory: pytest.TempPathFactory, *args: str) -> Iterator[str]:
    """Start `python app.py ARGS` on a copy of the seed index; stop it on exit."""
    index_dir = tmp_path_factory.mktemp("app-index") / "index"
    shutil.copytree(seed_index_path, index_dir)
    port = free_port()
    env = {
        **os.environ,
        "QA_INDEX_DIR": str(index_dir),
        "GRADIO_SERVER_NAME": "127.0.0.1",
        "GRADIO_SERVER_PORT": str(port),
    }
    log = (index_dir.parent / "app.log").open("w")
    command = [sys.executable, str(APP), *args]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    try:
        _wait_until_serving(url, process, index_dir.parent / "app.log")
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def _wait_until_serving(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + APP_START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"app.py exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    pytest.fail(f"app.py did not serve {url} within {APP_START_SECONDS} s:\n{log.read_text()[-3000:]}")
