# The two commands a fresh machine needs: `make run` (the app on seeds/) and `make test`.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
export HF_HUB_OFFLINE := 1
export GRADIO_ANALYTICS_ENABLED := False

.PHONY: run test test-fast lint install bench bench-quick bench-scale bench-ray bench-stream

# torch is pinned in pyproject.toml (the CPU build; see the comment there), so one install does it.
$(VENV)/installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $@

install: $(VENV)/installed

run: install
	$(PY) app.py

test: install
	$(PY) -m pytest $(PYTEST_ARGS)

test-fast: install
	$(PY) -m pytest -m "not slow" $(PYTEST_ARGS)

lint: install
	$(PY) -m pip install -q -e '.[lint]'
	$(PY) -m ruff check qa tests benchmarks app.py
	$(PY) -m ruff format --check qa tests benchmarks app.py
	$(PY) -m mypy qa
	$(VENV)/bin/lint-imports  # imports run one way: the contracts in pyproject.toml

bench: install
	$(PY) -m pip install -q -e '.[bench]'
	$(PY) benchmarks/bench.py --out docs/BENCHMARKS.md

# The one-machine scale curve, 10k to 1M chunks of Reuters text (synthetic vectors past 10k):
# ~15 minutes and ~5 GB of scratch disk; writes docs/SCALE.md. SIZES=10000,...,5000000 adds 5M (~90 min, ~45 GB at the peak).
bench-scale: install
	$(PY) -m pip install -q -e '.[bench]'
	$(PY) benchmarks/bench_scale.py $(if $(SIZES),--sizes $(SIZES))

# A sharded archive on a local Ray cluster (~5 min): Ray ingest and Serve against one index on 400 BBC
# articles; writes its section of docs/SCALE.md.
bench-ray: install
	$(PY) -m pip install -q -e '.[bench,scale]'
	$(PY) benchmarks/bench_ray.py

# A 5 GB JSONL (the shared corpora, then exact copies) ingested, killed and resumed, its memory
# sampled: ~15 minutes and ~5 GB of scratch disk; writes its section of docs/SCALE.md.
bench-stream: install
	$(PY) benchmarks/bench_stream.py

# The speed and size guard (< 3 min): ingest ratio to the fp32 limit, ask p50/p95, cold start, bytes
# per chunk on 400 BBC articles from ../shared/data; prints, never fails on timing.
bench-quick: install
	$(PY) benchmarks/bench_quick.py
