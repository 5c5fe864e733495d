from qa.session import ChatHistory, is_follow_up, standalone_query


def test_follow_ups_borrow_the_previous_topic() -> None:
    history = ChatHistory()
    history.remember("What did Putin give Kim at the summit?")
    query = history.rewrite("And what did Kim give in return?")
    assert query.startswith("And what did Kim give in return?")
    assert "Putin" in query and "summit" in query
    assert "Pyongyang" in standalone_query(
        "Who went with him?", ["When is Putin visiting Pyongyang?"]
    )


def test_standalone_questions_are_left_alone() -> None:
    previous = ["What did Putin give Kim at the summit?"]
    question = "What did the Pope say about the Vostochny summit?"
    assert not is_follow_up(question)
    assert standalone_query(question, previous) == question
    assert standalone_query("Who went with him?", []) == "Who went with him?"
