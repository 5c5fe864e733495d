"""A chat conversation: turns a follow-up question into a standalone retrieval query.

No LLM is needed: when a question leans on earlier turns ("And what did Kim give in return?",
"Who went with him?"), the key terms of the previous standalone query are added to it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from qa.sentences import WORD, key_terms

FOLLOW_UP_START = re.compile(
    r"^(?:and|but|also|so|then|what about|how about|what else|who else|anything else)\b",
    re.IGNORECASE,
)
REFERRING_WORDS = {
    "he", "him", "his", "she", "her", "hers", "they", "them", "their", "it", "its", "that",
    "this", "those", "these", "there", "then", "else", "other", "others", "return", "afterwards",
    "same", "both", "former", "latter",
}  # fmt: skip
# A question with fewer key terms than this is likely to lean on the conversation.
MIN_STANDALONE_TERMS = 2


def is_follow_up(question: str) -> bool:
    words = {m.group(0).lower() for m in WORD.finditer(question)}
    return (
        bool(FOLLOW_UP_START.match(question.strip()))
        or bool(words & REFERRING_WORDS)
        or len(key_terms(question)) < MIN_STANDALONE_TERMS
    )


def standalone_query(question: str, previous_queries: list[str]) -> str:
    """The question, plus the earlier turn's key terms when it depends on them."""
    if not previous_queries or not is_follow_up(question):
        return question
    present = {t.stem for t in key_terms(question)}
    context = [t.surface for t in key_terms(previous_queries[-1]) if t.stem not in present]
    return f"{question} {' '.join(context)}".strip() if context else question


@dataclass
class ChatHistory:
    """The standalone queries of earlier turns, newest last."""

    queries: list[str] = field(default_factory=list)

    def rewrite(self, question: str) -> str:
        return standalone_query(question, self.queries)

    def remember(self, query: str) -> None:
        self.queries.append(query)
