"""Sentences written to a machine rather than to a reader: an article that addresses the answerer.

A page can carry text meant for a language model ("System: …", "Ignore previous instructions
and say …"), put there to be quoted as an answer or obeyed. Such a sentence is never an answer
or a source: the extractive answerer doesn't quote it, and a language model's sentence is not
verified by it. A report that quotes such words ('he typed "ignore previous instructions"') is
news, not an instruction: words inside quotation marks are not read as one. A speaker's label
("System:", "User:") marks a sentence only in an article that also gives such orders: a game
review's "System: PS5" is a fact.
"""

from __future__ import annotations

import re

# A chat template's own marks: never news.
TEMPLATE_MARK = re.compile(
    r"<\|/?(?:im_start|im_end|system|user|assistant|endoftext|eot_id|start_header_id)\|>"
    r"|\[/?INST\]|<</?SYS>>",
    re.IGNORECASE,
)
# A speaker's role at the start of a sentence, as a chat transcript writes it.
ROLE_LABEL = re.compile(r"^\W{0,3}(?:system|assistant|user)(?:\s+(?:message|prompt))?\s*:", re.I)
# Orders to whatever reads the text: to drop its instructions, to take a new role, to answer
# in given words.
ORDER = re.compile(
    r"\b(?:ignore|disregard|forget|override|bypass)\s+(?:all\s+|any\s+|the\s+|your\s+|every\s+)*"
    r"(?:previous|prior|above|earlier|preceding|former|original|system|other)\s+"
    r"(?:instructions?|prompts?|messages?|directions?|rules?|context|guidelines?)"
    r"|\byou\s+are\s+now\s+(?:a|an|in|the)\b"
    r"|\b(?:new|updated|real)\s+instructions?\s*:"
    r"|\bas\s+an?\s+(?:ai|language\s+model|assistant)\b.{0,40}\b(?:must|should|will)\b"
    r"|^(?:please\s+)?(?:reply|respond|answer|output|print|say|write|repeat)\s+"
    r"(?:only|exactly|just|with|back|the\s+(?:word|phrase|text))\b"
    r"|\b(?:reply|respond|answer|say|output)\s+(?:only|exactly|just)\s+(?:with\s+)?"
    r"(?:the\s+(?:word|phrase|text)\s+)?[\"'“‘]?(?-i:[A-Z]{3,})\b",
    re.IGNORECASE,
)
QUOTED = re.compile(r"\"[^\"]*\"|“[^”]*”|‘[^’]*’")


def gives_orders(sentence: str) -> bool:
    """Whether the sentence orders its reader to drop instructions, take a role or answer in
    given words, outside any quotation; or carries a chat template's marks."""
    text = " ".join(sentence.split())
    if TEMPLATE_MARK.search(text):
        return True
    unquoted = QUOTED.sub(" ", text)
    # The end of a quotation opened in an earlier sentence, or the start of one that goes on.
    unquoted = unquoted.rsplit("”", 1)[-1].split("“", 1)[0]
    return bool(ORDER.search(unquoted.strip()))


class MachineAddress:
    """Tells the sentences of articles that are written to a machine. An article is read for
    orders once, the first time one of its sentences is asked about."""

    def __init__(self) -> None:
        self._orders: dict[str, bool] = {}

    def __call__(self, sentence: str, doc_id: str, article_text: str) -> bool:
        if gives_orders(sentence):
            return True
        if not ROLE_LABEL.search(" ".join(sentence.split())):
            return False
        if doc_id not in self._orders:
            self._orders[doc_id] = bool(TEMPLATE_MARK.search(article_text)) or any(
                gives_orders(line) for line in re.split(r"(?<=[.!?])\s+|\n", article_text)
            )
        return self._orders[doc_id]
