import json
from pathlib import Path

import pytest

from index.documents import Article
from qa.questions import CannedQuestion, QuestionFileError, load_questions, score_answer
from qa.results import Answer, Citation


def write(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "q.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", "line 2: not valid JSON"),
        (
            json.dumps({"id": "x", "question": "q", "color": "red"}),
            "line 2: unknown field(s) color",
        ),
        (json.dumps({"id": "x"}), "line 2: 'question' must be"),
        (
            json.dumps({"id": "x", "question": "q", "facts": ["a"]}),
            "line 2: 'facts' must be a list",
        ),
        (
            json.dumps({"id": "x", "question": "q", "facts": [["(unclosed"]]}),
            "bad regular expression",
        ),
        (json.dumps({"id": "x", "question": "q", "answerable": "yes"}), "'answerable' must be"),
        (json.dumps(["a", "list"]), "line 2: expected a JSON object"),
    ],
)
def test_malformed_lines_name_the_line(tmp_path: Path, line: str, message: str) -> None:
    path = write(tmp_path, json.dumps({"id": "ok", "question": "fine?"}), line)
    with pytest.raises(QuestionFileError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_questions(path)


def test_defaults_and_scoring(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        json.dumps(
            {"id": "a", "question": "Gifts?", "docs": ["d2"], "facts": [["glove"], ["rifle|gun"]]}
        ),
    )
    [question] = load_questions(path)
    assert question.answerable and question.turns == ()
    article = Article(doc_id="d2", text="x", path="p")

    def cite(n: int, doc_id: str) -> Citation:
        return Citation(n, doc_id, article.title, None, None, 0, 1, "x", 1.0, 0, 1)

    answer = Answer("Gifts?", "A glove [1] and a gun [2].", False, [cite(1, "d9"), cite(2, "d2")])
    score = score_answer(question, answer)
    assert (score.hit_at_1, score.hit_at_3, score.reciprocal_rank) == (0.0, 1.0, 0.5)
    assert score.all_facts and score.correct and score.citation_precision == 0.5
    unanswerable = CannedQuestion(id="u", question="Pope?", answerable=False)
    assert score_answer(unanswerable, Answer("Pope?", "…", True)).correct
