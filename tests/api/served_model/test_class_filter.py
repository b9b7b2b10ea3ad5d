"""Whether a top_class filter names a class: the served model's, or a stored result's call."""

from __future__ import annotations

from types import SimpleNamespace

from api.served_model.class_filter import unknown_class_message


class _Store:
    def __init__(self, by_client: dict[str | None, list[str]]) -> None:
        self.by_client = by_client
        self.asked: list[str | None] = []

    def top_classes(self, client=None):
        self.asked.append(client)
        return self.by_client[client]


MODEL = SimpleNamespace(class_names={"DSRCT": "DSRCT", "EWS": "Ewing sarcoma"})


def test_a_class_of_the_served_model_is_known_without_asking_the_store():
    store = _Store({})
    assert unknown_class_message("EWS", store, MODEL, None) is None
    assert store.asked == []


def test_a_stored_call_of_an_earlier_model_is_known():
    # A lab's own label, called by the model it served before this one.
    store = _Store({"lis-a": ["my own class"]})
    assert unknown_class_message("my own class", store, MODEL, "lis-a") is None
    assert store.asked == ["lis-a"]  # only this reader's results count


def test_an_unknown_code_is_refused_naming_the_known_ones():
    store = _Store({None: ["OLD"]})
    message = unknown_class_message("DSRTC", store, MODEL, None)
    assert message == (
        "no class 'DSRTC': it is neither a class of the served model nor the call of a stored "
        "result (known: DSRCT, EWS, OLD; see GET /v1/model)"
    )
    many = _Store({None: [f"C{i:02d}" for i in range(20)]})
    assert "C08, C09 and 12 more;" in unknown_class_message("X", many, MODEL, None)
    assert "known: none yet" in unknown_class_message("X", _Store({None: []}), None, None)
