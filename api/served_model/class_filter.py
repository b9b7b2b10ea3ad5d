"""Whether a ``top_class`` filter names a class at all, for the results API and the worklist.

A misspelt class code would otherwise list nothing, and a LIS could read
"no such results" where it asked for something that does not exist. A code
is known when the served model has it or a stored result (of this reader)
was called it: a lab's own cohort may have other labels than the 65
default classes, and results of earlier models stay listable.
"""

from __future__ import annotations

from api.served_model.loader import ServedModel
from api.store import ResultStore

__all__ = ["unknown_class_message"]


def unknown_class_message(
    code: str, store: ResultStore, model: ServedModel | None, client: str | None
) -> str | None:
    """Why ``code`` cannot be a ``top_class`` filter, or None when it can.

    Parameters
    ----------
    code : str
        The filter as given.
    store : ResultStore
        Asked for the stored calls only when the served model lacks ``code``.
    model : ServedModel or None
        The served model (None while none is loaded).
    client : str or None
        Only this client's results count (a LIS key: it learns no other
        client's calls), or every result (None).

    Returns
    -------
    str or None
        The message of the 422 / 400 answer, naming the known codes.
    """
    served = set(model.class_names) if model is not None else set()
    if code in served:
        return None
    stored = store.top_classes(client=client)
    if code in stored:
        return None
    known = sorted(served | set(stored))
    shown = ", ".join(known[:10]) + (f" and {len(known) - 10} more" if len(known) > 10 else "")
    return (
        f"no class {code!r}: it is neither a class of the served model nor the call of a "
        f"stored result (known: {shown or 'none yet'}; see GET /v1/model)"
    )
