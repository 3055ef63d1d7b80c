"""How many near-duplicate families a corpus holds, with samples to check by eye.

.venv/bin/python benchmarks/near_duplicates_bbc.py ../shared/data/bbc_news.documents.jsonl
"""

from __future__ import annotations

import json
import sys
import time
from collections import defaultdict

from qa.ingest.near_duplicates import THRESHOLD, NearDuplicates, signature


def main(path: str, samples: int = 8) -> None:
    documents = [json.loads(line) for line in open(path, encoding="utf-8")]
    started = time.perf_counter()
    groups, families = NearDuplicates(), defaultdict(list)
    for key, document in enumerate(documents):
        hashes = signature(document["text"])
        family = groups.family_of(hashes)
        family = key if family is None else family
        groups.add(key, family, hashes)
        families[family].append(key)
    seconds = time.perf_counter() - started
    shared = {f: keys for f, keys in families.items() if len(keys) > 1}
    print(
        f"{len(documents)} articles, threshold {THRESHOLD}: {len(shared)} families of 2+ articles "
        f"holding {sum(map(len, shared.values()))} articles; {seconds:.1f} s"
    )
    for keys in list(shared.values())[:samples]:
        print(" | ".join(f"{documents[k]['doc_id']}: {documents[k]['title'][:45]}" for k in keys))


if __name__ == "__main__":
    main(sys.argv[1])
