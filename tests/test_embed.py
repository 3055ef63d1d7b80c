"""The ONNX embedder against sentence-transformers fp32, its span pooling, its cache, and a torch-free query path."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from helpers import ROOT, wikinews_records
from qa.ingest import chunk, runtimes
from qa.ingest.embed import MiniLMEmbedder, embed_soon
from qa.ingest.runtimes import MAX_TOKENS, model_path, onnx_path

WIKINEWS = wikinews_records()
QUESTIONS = ["what did Netanyahu say about Rafah?", "Who won the World Cup", "iodine", "¿qué dijo Netanyahu?"]
MIN_COSINE = 0.999


@pytest.fixture(scope="module")
def texts() -> list[str]:
    """Real news chunks (as the index embeds them), whole articles past the token limit, and questions."""
    chunks = [c.text for record in WIKINEWS[:12] for c in chunk.chunks(record["text"])]
    long = [record["text"] for record in WIKINEWS if len(record["text"]) > 4 * MAX_TOKENS * 4][:3]
    assert chunks and long
    return chunks + long + QUESTIONS


@pytest.fixture(scope="module")
def onnx() -> MiniLMEmbedder:
    embedder = MiniLMEmbedder(runtime="onnx")
    assert embedder.runtime == "onnx"
    return embedder


@pytest.fixture(scope="module", params=["onnx", "openvino"])
def fast(request, onnx) -> MiniLMEmbedder:
    """Each exported-graph runtime installed here: ONNX Runtime fp32, OpenVINO (bf16 where native)."""
    if request.param == "onnx":
        return onnx
    pytest.importorskip("openvino")
    embedder = MiniLMEmbedder(runtime="openvino")
    assert embedder.runtime.startswith("openvino")
    return embedder


@pytest.fixture(scope="module")
def transformer():
    """The model as sentence-transformers runs it, with its own tokenizer: the reference."""
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(model_path()), device="cpu")
    assert model.max_seq_length == MAX_TOKENS
    return model


def test_vectors_match_sentence_transformers_fp32(fast, transformer, texts):
    ours = fast.embed(texts)
    reference = transformer.encode(texts, batch_size=16, normalize_embeddings=True)
    assert ours.dtype == np.float32 and ours.shape == (len(texts), 384)
    np.testing.assert_allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    cosines = (ours * reference).sum(axis=1)
    assert cosines.min() >= MIN_COSINE, cosines.min()


def test_batching_and_order_do_not_change_a_vector(fast, texts):
    together = fast.embed(texts)
    alone = np.stack([fast.embed([text])[0] for text in texts[::5]])
    assert (together[::5] * alone).sum(axis=1).min() >= 0.9999


def test_a_question_embedded_in_the_background_is_the_same_vector(fast):
    """embed_soon runs the model on one thread beside the caller's word search; in a forked
    child too, whose parent's threads are gone."""
    for question in QUESTIONS:
        assert float(embed_soon(fast, question).result() @ fast.embed([question])[0]) >= 0.9999
    child = os.fork()
    if child == 0:  # pragma: no cover (the child reports through its exit status)
        vector = embed_soon(fast, QUESTIONS[0]).result(timeout=60)
        os._exit(0 if vector.shape == (384,) else 1)
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0


def test_span_vectors_pool_the_tokens_inside_the_span(fast, transformer, texts):
    """Oracle: the transformer's token vectors from sentence-transformers' own tokenizer, pooled by hand."""
    import torch

    chunks = texts[:6]
    spans = [[(s.start, s.end) for s in chunk.sentences(text)] for text in chunks]
    chunk_vectors, span_vectors = fast.embed_with_spans(chunks, spans)
    np.testing.assert_allclose(chunk_vectors, fast.embed(chunks), atol=1e-5)
    flat = iter(span_vectors)
    for text, text_spans in zip(chunks, spans, strict=True):
        features = transformer.tokenizer(
            [text], truncation=True, max_length=MAX_TOKENS, return_offsets_mapping=True, return_tensors="pt"
        )
        offsets = features.pop("offset_mapping")[0].numpy()
        with torch.inference_mode():
            tokens = transformer[0].auto_model(**features).last_hidden_state[0].numpy()
        real = offsets[:, 1] > offsets[:, 0]
        for start, end in text_spans:
            inside = real & (offsets[:, 0] >= start) & (offsets[:, 1] <= end)
            expected = tokens[inside].mean(axis=0)
            got = next(flat)
            assert got is not None and got.dtype == np.float32
            assert float(got @ (expected / np.linalg.norm(expected))) >= MIN_COSINE


def test_a_span_past_the_token_limit_has_no_vector(fast):
    text = "Words fill the window. " * 200
    _, vectors = fast.embed_with_spans([text], [[(0, 22), (len(text) - 22, len(text))]])
    assert vectors[0] is not None and vectors[1] is None


def test_torch_fallback_gives_the_same_vectors(onnx, texts):
    torch_vectors = MiniLMEmbedder(runtime="torch").embed(texts[:8])
    assert ((onnx.embed(texts[:8]) * torch_vectors).sum(axis=1)).min() >= 0.99999


def test_empty_input_and_bad_options():
    assert MiniLMEmbedder().embed([]).shape == (0, 384)
    with pytest.raises(ValueError, match="runtime must be one of auto, openvino, onnx, torch, got 'gpu'"):
        MiniLMEmbedder(runtime="gpu")
    with pytest.raises(ValueError, match="batch_size and threads must be at least 1"):
        MiniLMEmbedder(batch_size=0)


def cached_file(folder: Path) -> Path:
    """Where the export of the bundled weights belongs: named by their SHA-256, computed here independently."""
    import hashlib

    digest = hashlib.sha256((model_path() / "model.safetensors").read_bytes()).hexdigest()
    return folder / f"minilm-l6-{digest[:16]}-v1.onnx"


def test_the_export_is_cached_under_the_weights_hash(tmp_path, monkeypatch):
    monkeypatch.setenv("NEWS_QA_CACHE", str(tmp_path))
    cached = cached_file(tmp_path)
    cached.write_bytes(b"already exported")  # present, so no export runs
    assert onnx_path() == cached and cached.read_bytes() == b"already exported"
    assert cached.name.split("-")[2] in (tmp_path / "hashes.json").read_text()
    assert not list(tmp_path.glob("*.tmp"))


@pytest.mark.parametrize("runtime", ["onnx", "openvino"])
def test_a_damaged_cached_model_is_removed_and_the_error_says_what_to_do(tmp_path, monkeypatch, runtime):
    from qa.errors import ModelMissing

    monkeypatch.setenv("NEWS_QA_CACHE", str(tmp_path))
    cached = cached_file(tmp_path)
    cached.write_bytes(b"not an onnx graph")
    with pytest.raises(ModelMissing, match=r"could not be loaded .* run the command again to export it anew"):
        MiniLMEmbedder(runtime=runtime).embed(["a question"])
    assert not cached.exists()


@pytest.mark.slow
def test_answering_from_the_command_line_never_imports_torch(seed_index_path):
    onnx_path()  # export (with torch) here, so the child only reads the cached graph
    probe = (
        "import sys; from qa.cli import main; code = main(['ask', '--index', sys.argv[1], "
        "'what did Netanyahu say about Rafah?']); from qa.ingest.embed import MiniLMEmbedder; "
        "MiniLMEmbedder().embed_with_spans(['One. Two.'], [[(0, 4)]]); "
        "print('HEAVY', [m for m in ('torch', 'transformers', 'sentence_transformers') if m in sys.modules]); "
        "sys.exit(code)"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, str(seed_index_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )
    assert done.returncode == 0, done.stderr
    assert "Rafah" in done.stdout
    assert done.stdout.rstrip().endswith("HEAVY []"), done.stdout[-300:]


@pytest.mark.slow
def test_openvino_caches_its_compiled_graph_and_the_cached_one_embeds_the_same(texts):
    """The compiled graph is kept beside the export; a new process loads it from there (a cold
    `ask` skips 0.4 s of compiling) and must give the vectors a fresh compile gives."""
    pytest.importorskip("openvino")
    here = MiniLMEmbedder(runtime="openvino").embed(texts[:3])
    blobs = list((onnx_path().parent / "openvino").glob("*.blob"))
    assert blobs
    child = subprocess.run(
        [
            sys.executable,
            "-c",
            "import json, sys; from qa.ingest.embed import MiniLMEmbedder; "
            "print(json.dumps(MiniLMEmbedder(runtime='openvino').embed(json.loads(sys.stdin.read())).tolist()))",
        ],
        input=json.dumps(texts[:3]),
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )
    assert np.allclose(np.array(json.loads(child.stdout)), here, atol=1e-6)
    assert set((onnx_path().parent / "openvino").glob("*.blob")) == set(blobs)  # loaded, not compiled anew


@pytest.mark.slow
def test_a_cache_it_cannot_write_to_still_embeds_from_the_onnx_graph(tmp_path, monkeypatch, texts):
    """OpenVINO's own format is converted into the cache; where that cannot be written, the ONNX
    graph already there is compiled instead, and embeds the same."""
    pytest.importorskip("openvino")
    expected = MiniLMEmbedder(runtime="openvino").embed(texts[:2])
    (tmp_path / onnx_path().name).symlink_to(onnx_path())
    monkeypatch.setenv("NEWS_QA_CACHE", str(tmp_path))

    def unwritable(*args, **kwargs):
        raise PermissionError(13, "Permission denied", str(tmp_path))

    monkeypatch.setattr(runtimes.tempfile, "mkdtemp", unwritable)
    vectors = MiniLMEmbedder(runtime="openvino").embed(texts[:2])
    assert not list(tmp_path.glob("*.xml"))
    assert np.allclose(vectors, expected, atol=1e-3)
