"""How many syndicated-copy groups form, on the seeds, on MultiHop-RAG and on a synthetic test.

    .venv/bin/python -m bench.syndication [--threshold 0.5]

Synthetic test: 60 MultiHop-RAG articles (every 10th), each republished three ways by another
outlet: its own boilerplate around the same story (a byline and a credit line), a tweaked
headline, and a paragraph more at the end. A fourth version changes one figure in the middle of
the story's sentences, a fifth one figure in its first two sentences: each is another report,
which must not join the group. Recall: originals grouped with all three
copies; precision: groups holding only one original's versions and never the altered one.
Prints and writes bench/out/syndication.json, with every MultiHop-RAG pair whose estimated
similarity is at least 0.3, for checking by hand, and the groups among RGB's passages.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import re
import time

import numpy as np

from bench.answer_data import MULTIHOP, OUT, RGB_DIR
from index.documents import Article
from index.load import load_articles
from index.sentences import article_sections
from index.syndication import copy_groups, signatures_of
from tests.conftest import SEEDS


def versions(article: Article, filler: str) -> list[Article]:
    body = article.text
    copies = [
        dataclasses.replace(
            article, doc_id=f"{article.doc_id}#wire", source="Wire Service",
            text=f"By Wire Service staff\n\n{body}\n\nCopyright Wire Service. Reprinted with "
            "permission.",
        ),
        dataclasses.replace(
            article, doc_id=f"{article.doc_id}#headline", source="Daily Example",
            title=f"{article.title or ''}: what we know",
        ),
        dataclasses.replace(
            article, doc_id=f"{article.doc_id}#more", source="Evening Example",
            text=f"{body}\n\n{filler}",
        ),
    ]  # fmt: skip
    # One figure of the story's middle half (not a heading or an embedded post) changed; and,
    # apart, one figure of its first two sentences (the lede, where the figure usually is).
    sentences = [s for section in article_sections(article) for s in section]
    middle = sentences[len(sentences) // 4 : len(sentences) - len(sentences) // 4]
    for kind, part in (("altered", middle), ("lede", sentences[:2])):
        for sentence in part:
            number = re.search(r"(?<=\s)\d[\d,.]*(?=\s)", sentence.text)
            if number:
                at = sentence.start + number.start()
                changed = str(int(re.sub(r"\D", "", number.group(0)) or 0) + 7)
                altered = body[:at] + changed + body[at + len(number.group(0)) :]
                copies.append(
                    dataclasses.replace(article, doc_id=f"{article.doc_id}#{kind}", text=altered)
                )
                break
    return copies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threshold", type=float, default=0.5)
    threshold = parser.parse_args().threshold
    corpus = {a.doc_id: a for a in load_articles([MULTIHOP / "corpus.json"]).articles}
    seeds = {a.doc_id: a for a in load_articles([SEEDS]).articles}
    started = time.perf_counter()
    corpus_signatures = signatures_of(corpus.values())
    signing = time.perf_counter() - started
    corpus_groups = {tuple(g) for g in copy_groups(corpus, corpus_signatures, threshold).values()}
    ids = list(corpus)
    matrix = np.stack([corpus_signatures[d] for d in ids])
    near = []
    for i, doc_id in enumerate(ids):
        similar = (matrix[i + 1 :] == matrix[i]).mean(axis=1)
        for j in np.flatnonzero(similar >= 0.3):
            other = ids[i + 1 + j]
            near.append({"first": doc_id, "second": other, "similarity": round(float(similar[j]), 3),
                         "grouped": any(doc_id in g and other in g for g in corpus_groups)})  # fmt: skip

    originals = [corpus[d] for d in ids[::10][:60]]
    filler = corpus[ids[1]].text.split("\n\n")[-1][:400]
    synthetic = {a.doc_id: a for a in originals}
    altered_ids = set()
    for article in originals:
        for copy in versions(article, filler):
            synthetic[copy.doc_id] = copy
            if copy.doc_id.endswith(("#altered", "#lede")):
                altered_ids.add(copy.doc_id)
    groups = copy_groups(synthetic, signatures_of(synthetic.values()), threshold)
    found = {tuple(g) for g in groups.values()}
    whole = sum(
        all(
            f"{a.doc_id}#{kind}" in groups.get(a.doc_id, ())
            for kind in ("wire", "headline", "more")
        )
        for a in originals
    )
    pure = sum(len({d.split("#")[0] for d in g}) == 1 and not set(g) & altered_ids for g in found)
    seed_groups = {
        tuple(g) for g in copy_groups(seeds, signatures_of(seeds.values()), threshold).values()
    }
    # RGB's passages (written by bench.answer_data): short snippets on shared templates.
    rgb_file = RGB_DIR / "rgb-full.jsonl"
    rgb = {a.doc_id: a for a in load_articles([rgb_file]).articles} if rgb_file.exists() else {}
    rgb_groups = {
        tuple(g) for g in copy_groups(rgb, signatures_of(rgb.values()), threshold).values()
    }
    result = {
        "threshold": threshold,
        "rgb_full": {"articles": len(rgb), "groups": [list(g) for g in rgb_groups]},
        "seeds": {"articles": len(seeds), "groups": len(seed_groups)},
        "multihop": {
            "articles": len(corpus),
            "groups": [list(g) for g in corpus_groups],
            "signing_seconds": round(signing, 1),
            "pairs_at_least_0.3": near,
        },
        "synthetic": {
            "originals": len(originals),
            "copies": 3 * len(originals),
            "altered_versions": len(altered_ids),
            "of_them_in_the_lede": sum(d.endswith("#lede") for d in altered_ids),
            "originals_grouped_with_all_3_copies": whole,
            "groups": len(found),
            "groups_with_one_story_and_no_altered_version": pure,
            "altered_versions_grouped": sorted(d for g in found for d in set(g) & altered_ids),
        },
    }
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "syndication.json").write_text(json.dumps(result, indent=1, ensure_ascii=False))
    print(json.dumps(result, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
