"""Untrusted input stays data: nothing unpickled or executed, no outbound network, no stray file writes.

HTML escaping of article text, titles and URLs is tested with the renderer (tests/test_render.py).
"""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from fakes import HashEmbedder
from helpers import APP, RAFAH, ROOT, free_port, import_app
from qa import NewsIndex
from qa.storage import vectors
from qa.types import Article

# Every module of the package, in its sub-packages too, and the app.
SOURCES = sorted((ROOT / "qa").rglob("*.py")) + [APP]
# Operator tools that write reports to the --out path they are given, and run their own workers.
TOOLS = {"qa/evaluate.py"}


def parsed(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def relative(path: Path) -> str:
    return str(path.relative_to(ROOT))


def test_no_pickle_eval_or_exec_anywhere_in_the_package_or_app():
    unsafe_modules = {"pickle", "cPickle", "_pickle", "dill", "cloudpickle", "joblib", "marshal", "shelve"}
    unsafe_calls = {"eval", "exec", "compile", "__import__"}
    found = []
    for path in SOURCES:
        for node in ast.walk(parsed(path)):
            if isinstance(node, ast.Import):
                names = [alias.name.split(".")[0] for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [(node.module or "").split(".")[0]]
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                names = [node.func.id] if node.func.id in unsafe_calls else []
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                # torch.load and numpy's allow_pickle unpickle; pandas.read_pickle too
                risky = (
                    node.func.attr in {"read_pickle", "loads"}
                    and isinstance(node.func.value, ast.Name)
                    and node.func.value.id in unsafe_modules
                )
                risky |= (
                    node.func.attr == "load" and isinstance(node.func.value, ast.Name) and node.func.value.id == "torch"
                )
                risky |= any(k.arg == "allow_pickle" for k in node.keywords)
                names = [ast.unparse(node.func)] if risky else []
            else:
                continue
            found += [
                f"{relative(path)}:{node.lineno}: {name}"
                for name in names
                if name in unsafe_modules | unsafe_calls or "." in name
            ]
    assert found == []


def test_only_the_operator_tools_start_processes():
    found = []
    for path in SOURCES:
        if relative(path) in TOOLS:
            continue
        for node in ast.walk(parsed(path)):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                names = {a.name.split(".")[0] for a in node.names} | {
                    (getattr(node, "module", None) or "").split(".")[0]
                }
                if names & {"subprocess", "pty", "multiprocessing"}:
                    found.append(f"{relative(path)}:{node.lineno}")
            elif (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id == "os"
                and node.attr.startswith(("system", "popen", "exec", "spawn", "fork", "posix_spawn"))
            ):
                found.append(f"{relative(path)}:{node.lineno}")
    assert found == []


# ---- file writes -------------------------------------------------------------------------------

# Calls that create, write or remove files: module functions, and Path methods no other type has.
MODULE_WRITERS = {
    "os": {"replace", "rename", "remove", "unlink", "mkdir", "makedirs", "symlink", "link", "rmdir", "truncate"},
    "shutil": {"copy", "copy2", "copyfile", "copytree", "move", "rmtree"},
    "tempfile": {"mkstemp", "mkdtemp", "NamedTemporaryFile", "TemporaryDirectory"},
    "faiss": {"write_index"},
    "sqlite3": {"connect"},
}
PATH_WRITERS = {"write_text", "write_bytes", "mkdir", "touch", "symlink_to", "hardlink_to", "unlink"}
# Every place outside the operator tools that creates, writes or removes a file, and from what name.
ALLOWED_WRITES = {
    ("qa/ingest/runtimes.py", "onnx_path"),  # the model cache: named after the weights' SHA-256
    ("qa/ingest/runtimes.py", "_weights_hash"),  # the model cache's hash memo
    ("qa/ingest/runtimes.py", "_session"),  # drops the cached ONNX graph when it cannot be loaded
    ("qa/ingest/runtimes.py", "_compile"),  # the OpenVINO runner drops that same cached graph likewise
    ("qa/ingest/runtimes.py", "openvino_graph"),  # its OpenVINO form beside it, named after it
    # (OpenVINO itself writes its compiled blobs, named by their hash, under the model cache)
    ("qa/storage/schema.py", "connect"),  # the index folder and news.sqlite, from the --index path given
    ("qa/storage/writer.py", "exclusive"),  # write.lock in the index folder
    ("qa/storage/candidates.py", "__init__"),  # ":memory:": the candidates' FTS5 table, never a file
    ("qa/storage/shard_reads.py", "_read_only"),  # a shard's news.sqlite opened read-only (mode=ro)
    ("qa/scale/ingest_job.py", "ingest"),  # the archive folder, from the --index path given
    ("qa/scale/ingest_job.py", "_check_manifest"),  # shards.json in that folder
    ("qa/storage/vectors.py", "save"),  # vectors-<generation>.faiss: an integer from SQLite
}


def _writes(call: ast.Call) -> bool:
    func = call.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    if name in ("open", "fdopen"):
        position = 0 if isinstance(func, ast.Attribute) and name == "open" else 1  # Path.open(mode)
        mode = next((a.value for a in call.args[position : position + 1] if isinstance(a, ast.Constant)), "r")
        mode = next(
            (k.value.value for k in call.keywords if k.arg == "mode" and isinstance(k.value, ast.Constant)), mode
        )
        return isinstance(mode, str) and bool(set(mode) & set("wax+"))
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id in MODULE_WRITERS:
        return name in MODULE_WRITERS[func.value.id]
    return isinstance(func, ast.Attribute) and name in PATH_WRITERS


def file_writes(path: Path) -> set[tuple[str, str]]:
    writes = set()

    def visit(node: ast.AST, function: str) -> None:
        for child in ast.iter_child_nodes(node):
            name = child.name if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)) else function
            if isinstance(child, ast.Call) and _writes(child):
                writes.add((relative(path), function))
            visit(child, name)

    visit(parsed(path), "<module>")
    return writes


def test_every_file_write_is_to_a_name_the_code_chose():
    """Article ids, titles, URLs and uploaded file names never name a file: only these functions write."""
    writes = set().union(*(file_writes(path) for path in SOURCES if relative(path) not in TOOLS))
    assert writes <= ALLOWED_WRITES, writes - ALLOWED_WRITES


HOSTILE = [
    "../../escaped",
    "/etc/passwd",
    "..\\..\\windows",
    "x/../../y",
    "nul\x00byte",
    "~/.ssh/id_rsa",
    "$(touch pwned)",
    "'; DROP TABLE articles; --",
]


def test_hostile_ids_titles_urls_and_file_names_write_nothing_outside_the_index(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for number, name in enumerate(
        ["up..%2F..%2Fescaped.txt", "$(touch pwned).txt", "a;b|c&d.txt", "-rf.txt", "\u202eevil\u202dtxt.txt"]
    ):
        (inbox / name).write_text(f"Story {number} arrived under an odd file name.")
    records = [
        {
            "id": hostile,
            "title": hostile,
            "url": f"file://{hostile}",
            "source": hostile,
            "text": f"Story about {hostile!r} number {n}.",
            "extra": hostile,
        }
        for n, hostile in enumerate(HOSTILE)
    ]
    (inbox / "records.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    before = set(tmp_path.rglob("*"))

    with NewsIndex.open(tmp_path / "index", create=True, embedder=HashEmbedder()) as index:
        report = index.add([inbox])
        assert len(report.added) == 5 + len(HOSTILE) and not report.skipped
        assert {a.id for a in index.articles()} >= set(HOSTILE)
        for hostile in HOSTILE:
            assert index.get(hostile).title == hostile.replace("\x00", "")
        index.delete([HOSTILE[0]])

    created = set(tmp_path.rglob("*")) - before
    assert {p.relative_to(tmp_path).parts[0] for p in created} == {"index"}
    names = {p.name for p in created if p.parent == tmp_path / "index"}
    assert {n for n in names if not n.startswith("vectors-")} <= {
        "news.sqlite",
        "news.sqlite-wal",
        "news.sqlite-shm",
        "write.lock",
    }
    assert [n for n in names if n.startswith("vectors-")] == []  # FAISS files only from 50k chunks
    assert not (tmp_path / "pwned").exists() and not (ROOT / "pwned").exists()


def test_the_index_on_disk_holds_no_pickles(tmp_path, monkeypatch):
    monkeypatch.setattr(vectors, "SAVE_FROM", 0)  # the FAISS file large indexes keep, at a test's size
    with NewsIndex.open(tmp_path / "index", create=True, embedder=HashEmbedder()) as index:
        index.add([Article("a1", "An article with metadata.", metadata={"tags": ["x"], "n": 1})])
        metadata = [json.loads(row[0]) for row in index.db.execute("SELECT metadata FROM articles")]
    assert metadata == [{"tags": ["x"], "n": 1}]  # JSON, not a pickled object
    (saved,) = (tmp_path / "index").glob("vectors-*.faiss")
    assert saved.read_bytes()[:4] == b"IxM2"  # FAISS's own format (IndexIDMap2), not a pickle
    for path in (tmp_path / "index").iterdir():
        data = path.read_bytes()
        assert not data.startswith(b"\x80") and b"cnumpy" not in data  # pickle protocol 2+ / numpy reduce


# ---- the network -------------------------------------------------------------------------------

GUARD = '''
"""Test socket guard: loopback and Unix sockets only; every other attempt is logged and refused."""
import errno, json, os, socket

_LOG = os.environ["QA_NET_LOG"]
_LOCAL = ("127.", "::1", "localhost", "0.0.0.0", "::")


def _log(kind, address):
    with open(_LOG, "a") as handle:
        handle.write(json.dumps([kind, repr(address)]) + "\\n")


def _local(address):
    return isinstance(address, (str, bytes)) or str(address[0]).startswith(_LOCAL) or address[0] == ""


def _guard(name):
    original = getattr(socket.socket, name)

    def guarded(self, address, *rest):
        if name == "bind":
            _log("bind", address)
        elif not _local(address):
            _log(name, address)
            raise OSError(errno.ENETUNREACH, "outbound network blocked by the test guard")
        return original(self, address, *rest)
    setattr(socket.socket, name, guarded)


for _name in ("connect", "connect_ex", "bind"):
    _guard(_name)
_sendto = socket.socket.sendto


def _guarded_sendto(self, data, *rest):
    if not _local(rest[-1]):
        _log("sendto", rest[-1])
        raise OSError(errno.ENETUNREACH, "outbound network blocked by the test guard")
    return _sendto(self, data, *rest)


socket.socket.sendto = _guarded_sendto
_getaddrinfo = socket.getaddrinfo


def _guarded_getaddrinfo(host, *rest, **options):
    if host is not None and not _local((host.decode() if isinstance(host, bytes) else host,)):
        _log("getaddrinfo", host)
        raise socket.gaierror(socket.EAI_NONAME, "name lookups blocked by the test guard")
    return _getaddrinfo(host, *rest, **options)


socket.getaddrinfo = _guarded_getaddrinfo
'''


@pytest.fixture
def guarded_env(tmp_path: Path) -> tuple[dict, Path]:
    """Environment for a child process whose every non-loopback socket use is refused and logged.

    HF_HUB_OFFLINE and GRADIO_ANALYTICS_ENABLED are left unset: the code must not need them.
    """
    folder = tmp_path / "guard"
    folder.mkdir()
    (folder / "sitecustomize.py").write_text(GUARD)
    log = tmp_path / "network.log"
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"HF_HUB_OFFLINE", "GRADIO_ANALYTICS_ENABLED", "GRADIO_SERVER_NAME", "TRANSFORMERS_OFFLINE"}
    }
    env.update(PYTHONPATH=f"{folder}{os.pathsep}{ROOT}", QA_NET_LOG=str(log))
    return env, log


def attempts(log: Path, kinds=("connect", "connect_ex", "sendto", "getaddrinfo")) -> list:
    if not log.exists():
        return []
    return [entry for entry in map(json.loads, log.read_text().splitlines()) if entry[0] in kinds]


def test_the_guard_itself_blocks_and_logs(guarded_env):
    env, log = guarded_env
    probe = (
        "import socket\ntry:\n    socket.create_connection(('192.0.2.1', 80), timeout=1)\nexcept OSError as e:\n"
        "    print(e)"
    )
    done = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=60)
    assert "blocked by the test guard" in done.stdout
    assert attempts(log) and "192.0.2.1" in attempts(log)[0][1]


@pytest.mark.slow
def test_cli_ingest_and_ask_make_no_outbound_network_calls(guarded_env, tmp_path):
    env, log = guarded_env
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copy(RAFAH, inbox)
    (inbox / "page.html").write_text(  # trafilatura, and links that must not be fetched
        '<html><head><title>Budget vote</title><link rel="stylesheet" href="https://example.com/a.css">'
        "</head><body><article><h1>Budget vote</h1><p>The council approved the budget on Monday after a long "
        'debate about schools.</p><img src="https://example.com/x.png"></article></body></html>'
    )
    (inbox / "feed.rss").write_text(  # feedparser, with a DOCTYPE pointing to the network
        '<?xml version="1.0"?><!DOCTYPE rss SYSTEM "http://example.com/rss.dtd"><rss version="2.0"><channel>'
        "<title>Wire</title><item><title>Storm</title><link>https://example.com/storm</link><description>"
        "A storm reached the coast on Tuesday.</description></item></channel></rss>"
    )
    index = str(tmp_path / "index")
    for command in (
        ["ingest", "--index", index, str(inbox)],
        ["ask", "--index", index, "--json", "what did Netanyahu say about Rafah"],
    ):
        done = subprocess.run(
            [sys.executable, "-m", "qa", *command], env=env, cwd=ROOT, capture_output=True, text=True, timeout=600
        )
        assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["citations"]
    assert attempts(log) == []


@pytest.mark.slow
def test_app_binds_to_loopback_by_default_and_makes_no_outbound_calls(guarded_env, seed_index_path, tmp_path):
    env, log = guarded_env
    index_dir = tmp_path / "index"
    shutil.copytree(seed_index_path, index_dir)
    port = free_port()
    env.update(QA_INDEX_DIR=str(index_dir), GRADIO_SERVER_PORT=str(port))
    output = (tmp_path / "app.log").open("w")
    app = subprocess.Popen([sys.executable, str(APP)], cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 180
        while True:
            assert app.poll() is None, (tmp_path / "app.log").read_text()[-3000:]
            assert time.monotonic() < deadline, "app.py did not start serving within 180 s"
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2):
                    break
            except OSError:
                time.sleep(0.5)
        from gradio_client import Client

        result = Client(f"http://127.0.0.1:{port}/", verbose=False).predict(
            "What did Netanyahu say about Rafah?", api_name="/ask"
        )
        assert result["citations"]
    finally:
        app.terminate()
        app.wait(timeout=30)
        output.close()
    assert attempts(log) == [], (tmp_path / "app.log").read_text()[-3000:]
    binds = [entry[1] for entry in map(json.loads, log.read_text().splitlines()) if entry[0] == "bind"]
    served = [address for address in binds if f", {port})" in address]
    assert served and all(address.startswith("('127.0.0.1'") for address in served), binds


@pytest.mark.slow
def test_app_serves_only_loopback_unless_told_and_caps_uploads(monkeypatch):
    monkeypatch.delenv("GRADIO_SERVER_NAME", raising=False)
    app = import_app()
    assert app.launch_options()["server_name"] == "127.0.0.1"
    monkeypatch.setenv("GRADIO_SERVER_NAME", "0.0.0.0")
    assert app.launch_options()["server_name"] == "0.0.0.0"  # told otherwise
    limit = app.launch_options()["max_file_size"]
    assert limit and str(limit).lower().endswith("mb") and int(str(limit)[:-2]) <= 100
