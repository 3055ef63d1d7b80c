"""The README's bridge examples run as written, against a copy of the seed index at ./index."""

from __future__ import annotations

import shutil
import subprocess
import sys

from helpers import child_env, readme_python


def test_langchain_example_prints_the_cited_spans(seed_index_path, seeds, tmp_path):
    shutil.copytree(seed_index_path, tmp_path / "index")
    example = readme_python("## LangChain")
    result = subprocess.run(
        [sys.executable, "-c", example], cwd=tmp_path, env=child_env(), capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    printed = result.stdout.splitlines()
    cited = seeds.ask("what did Netanyahu say about Rafah", sources=["WION"]).citations
    assert printed == [f"{c.title} {c.start} {c.end} {c.text}" for c in cited]
