"""Syndicated copies: one report published by several outlets, under their own boilerplate.

Each article's story text (its sentences, boilerplate and filler left out) gets a MinHash
signature of its 5-word shingles at index time (datasketch; stored with the index, so only new
or changed articles cost anything). Copies are the pairs that MinHash LSH finds with an
estimated Jaccard similarity of at least the threshold, and that don't disagree: a copy may
add words at its edges (a dateline, a byline, a credit line, a paragraph more at the end), but
a figure or a name replaced anywhere, the lede included, makes another report, which must be
shown beside the first, not folded into it. Groups are the connected pairs.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping

import numpy as np

from index.documents import Article
from index.sentences import Sentence, article_sections

SHINGLE_WORDS = 5
PERMUTATIONS = 128
SEED = 1
SCHEME = "affine32"  # datasketch 2: 32-bit values, stored as uint32
WORD = re.compile(r"\w+")
# A story this short (a snippet, a caption, a list of credits) says too little to be told
# apart from another built on the same template: it is never a copy.
MIN_STORY_WORDS = 40
# Words this near either end of a story are its edges: datelines, bylines, credits. Words
# added there are not another report; words replaced there are, if they are facts.
EDGE_WORDS = 30
# Word-by-word comparisons an article gets with its likeliest copies (see copy_groups).
MAX_CHECKS = 8
# A wire's name in a dateline or credit ("(Reuters)" where a copy says "(AP)") credits the
# report; it is not one of its facts.
CREDIT_WORDS = frozenset(
    {"Reuters", "AP", "Associated", "Press", "AFP", "Agence", "Presse", "Bloomberg", "CNN", "BBC"}
)


def story_words(article: Article, sections: list[list[Sentence]] | None = None) -> list[str]:
    """The words of the story's sentences; `sections` are article_sections(article), when the
    caller has them already."""
    if sections is None:
        sections = article_sections(article)
    return [w for section in sections for s in section for w in WORD.findall(s.text)]


def signature(article: Article, sections: list[list[Sentence]] | None = None) -> np.ndarray:
    """The MinHash of the article's story shingles (PERMUTATIONS unsigned 32-bit values); all
    zeros for a story under MIN_STORY_WORDS."""
    from datasketch import MinHash

    words = [w.lower() for w in story_words(article, sections)]
    if len(words) < MIN_STORY_WORDS:
        return np.zeros(PERMUTATIONS, dtype=np.uint32)  # too short to tell a copy: never one
    shingles = {
        " ".join(words[i : i + SHINGLE_WORDS]) for i in range(len(words) - SHINGLE_WORDS + 1)
    }
    minhash = MinHash(num_perm=PERMUTATIONS, seed=SEED, scheme=SCHEME)
    minhash.update_batch([s.encode("utf-8") for s in shingles])
    return np.asarray(minhash.hashvalues, dtype=np.uint32)


def copy_groups(
    articles: Mapping[str, Article],
    signatures: dict[str, np.ndarray],
    threshold: float,
    sections: Callable[[str], list[list[Sentence]]] | None = None,
) -> dict[str, tuple[str, ...]]:
    """For each article that has copies, every article of its group (itself included), in
    the order of `articles`.

    Articles of the same headline and text are copies at once. Among the rest, one of each,
    an article is compared word by word (`agree`) with at most MAX_CHECKS of the candidates
    MinHash LSH finds, most similar first: a story with hundreds of near-copies (a rolling
    story's versions, a wire story's rewrites) would otherwise cost hundreds of comparisons,
    and what a cap can miss is a fold, never a wrong one. `sections(doc_id)` gives an
    article's article_sections where the caller has them (the index's sentence table).
    """
    import xxhash
    from datasketch import MinHashLSH
    from datasketch.lean_minhash import LeanMinHash
    from datasketch.minhash import MinHash

    ids = [doc_id for doc_id in articles if doc_id in signatures and signatures[doc_id].any()]
    if len(ids) < 2:
        return {}
    parent = {doc_id: doc_id for doc_id in ids}

    def root(doc_id: str) -> str:
        while parent[doc_id] != doc_id:
            parent[doc_id] = parent[parent[doc_id]]
            doc_id = parent[doc_id]
        return doc_id

    first_of: dict[bytes, str] = {}
    for doc_id in ids:
        article = articles[doc_id]
        key = xxhash.xxh3_128_digest(f"{article.title or ''}\x00{article.text}".encode())
        if key in first_of:
            parent[doc_id] = first_of[key]
        else:
            first_of[key] = doc_id
    distinct = list(first_of.values())
    lsh = MinHashLSH(threshold=threshold, num_perm=PERMUTATIONS)
    hashes = {}
    for doc_id in distinct:
        minhash = MinHash(
            num_perm=PERMUTATIONS, seed=SEED, hashvalues=signatures[doc_id], scheme=SCHEME
        )
        hashes[doc_id] = LeanMinHash(minhash)
        lsh.insert(doc_id, hashes[doc_id])
    words: dict[str, list[str]] = {}

    def words_of(doc_id: str) -> list[str]:
        # An article similar to many (a wire story and its reprints) is split into words once.
        if doc_id not in words:
            known = sections(doc_id) if sections is not None else None
            words[doc_id] = story_words(articles[doc_id], known)
        return words[doc_id]

    for doc_id in distinct:
        found = [other for other in lsh.query(hashes[doc_id]) if other > doc_id]
        if not found:
            continue
        own = signatures[doc_id]
        similar = (np.stack([signatures[other] for other in found]) == own).mean(axis=1)
        checks = 0
        for place in np.argsort(-similar, kind="stable"):
            other = found[place]
            if similar[place] < threshold or checks == MAX_CHECKS:
                break
            if root(other) == root(doc_id):
                continue
            checks += 1
            if agree(words_of(doc_id), words_of(other)):
                parent[root(other)] = root(doc_id)
    members: dict[str, list[str]] = {}
    for doc_id in ids:
        members.setdefault(root(doc_id), []).append(doc_id)
    return {d: tuple(group) for group in members.values() if len(group) > 1 for d in group}


def agree(a: list[str], b: list[str]) -> bool:
    """Whether two near-identical stories (their story_words) state the same facts: no number
    or name in one is replaced by another in the other, anywhere; inside the story, none is
    added either (at its edges a copy may add a dateline, a byline, a credit line or a
    paragraph). The words are aligned by edit distance (rapidfuzz, C++: a tenth of difflib's
    time on a 900-word story)."""
    from rapidfuzz.distance import Levenshtein

    # A short story (a wire brief) has short edges: a tenth of it at most.
    edge = min(EDGE_WORDS, min(len(a), len(b)) // 10)
    for step in Levenshtein.opcodes(a, b):
        tag, a_start, a_end = step.tag, step.src_start, step.src_end
        b_start, b_end = step.dest_start, step.dest_end
        removed, added = a[a_start:a_end], b[b_start:b_end]
        if tag == "replace" and any(map(is_fact, removed)) and any(map(is_fact, added)):
            return False  # "in 24 years" made "in 14 years", "Putin" made "Medvedev"
        inside = min(a_start, b_start) >= edge and (
            a_end <= len(a) - edge and b_end <= len(b) - edge
        )
        if tag != "equal" and inside and any(map(is_fact, (*removed, *added))):
            return False
    return True


def is_fact(word: str) -> bool:
    return (word[:1].isdigit() or word[:1].isupper()) and word not in CREDIT_WORDS


def signatures_of(articles: Iterable[Article]) -> dict[str, np.ndarray]:
    return {article.doc_id: signature(article) for article in articles}
