"""Entities of every sentence, found at index time by the real spaCy model and stored."""

from pathlib import Path

import pytest

from index.build import IndexBuilder
from index.entities import LABEL_ID, LABELS, find_entities
from index.settings import Settings
from index.store import LocalStore
from tests.conftest import CountingEmbedder


def test_the_recogniser_finds_people_places_dates_and_amounts() -> None:
    (found,) = find_entities(
        ["Vladimir Putin met Kim Jong Un at the Vostochny Cosmodrome on 13 September 2023; "
         "the talks lasted four hours and the deal is worth $2 billion."]
    )  # fmt: skip
    labels = {LABELS[label] for _, _, label in found}
    assert {"PERSON", "DATE", "TIME", "MONEY"} <= labels


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("Rani Zim bought Psagot Investment House for NIS 405 million from Altshuler Shaham.",
         "NIS 405 million"),
        ("The bridge will cost Rs 500 crore, the ministry said.", "Rs 500 crore"),
        ("Its shares were sold for CHF 12 billion in the end.", "CHF 12 billion"),
    ],
)  # fmt: skip
def test_an_amount_led_by_a_currency_code_is_money_not_a_company(text: str, amount: str) -> None:
    (found,) = find_entities([text])
    assert (text.index(amount), text.index(amount) + len(amount), LABEL_ID["MONEY"]) in found


def test_every_seed_sentence_has_its_entities_inside_it(seed_index: Settings) -> None:
    stored = LocalStore(seed_index.index_dir).load()
    table = stored.sentences
    assert len(table.entities) > 200
    for doc_id, article in stored.articles.items():
        sentences = [s for run in table.sections(doc_id, article.text) for s in run]
        found = table.entities_of(s.row for s in sentences)
        for sentence in sentences:
            for label, start, end in found[sentence.row]:
                assert sentence.start <= start < end <= sentence.end
                assert 0 <= label < len(LABELS)
    cosmodrome = next(
        s
        for run in table.sections(
            "002_164cd89d12bb7479", stored.articles["002_164cd89d12bb7479"].text
        )
        for s in run
        if "Amur Oblast" in s.text
    )
    names = {
        stored.articles["002_164cd89d12bb7479"].text[start:end]: label
        for label, start, end in table.entities_of([cosmodrome.row])[cosmodrome.row]
    }
    assert names.get("the Amur Oblast") in {LABEL_ID["LOC"], LABEL_ID["GPE"]}
    assert "the Vostochny Cosmodrome" in names


def test_unchanged_articles_keep_their_entities_when_another_changes(
    tmp_path: Path, seed_copy: Path, counting_embedder: CountingEmbedder
) -> None:
    settings = Settings(index_dir=tmp_path / "index")
    IndexBuilder(settings, counting_embedder).run([seed_copy])
    before = LocalStore(settings.index_dir).load().sentences
    changed = seed_copy / "000_b32fb440e881743b.txt"
    changed.write_text(changed.read_text() + "\nSergei Shoigu visited Pyongyang in July.\n")
    IndexBuilder(settings, counting_embedder).run([seed_copy])
    after = LocalStore(settings.index_dir).load()
    for doc_id in after.articles:
        if doc_id == "000_b32fb440e881743b":
            continue
        assert (after.sentences.of(doc_id)[2] == before.of(doc_id)[2]).all()
    text = after.articles["000_b32fb440e881743b"].text
    entities = after.sentences.of("000_b32fb440e881743b")[2]
    assert "Sergei Shoigu" in {text[start:end] for _, _, start, end in entities}


@pytest.mark.parametrize("texts", [[], [""], ["no names here at all"]])
def test_texts_without_entities_give_empty_lists(texts: list[str]) -> None:
    assert find_entities(texts) == [[] for _ in texts]


def test_a_corpus_is_tagged_in_worker_processes_with_the_same_result() -> None:
    from index.entities import PARALLEL_MIN_CHARS

    paragraph = (
        "Kim Jong Un arrived in Vladivostok on Tuesday, and Sergei Lavrov met him at the station. "
    ) * 40
    texts = [paragraph] * (PARALLEL_MIN_CHARS // len(paragraph) + 2)
    one = find_entities([paragraph])[0]
    assert one
    assert find_entities(texts) == [one] * len(texts)
