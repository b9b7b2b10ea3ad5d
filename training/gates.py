"""Quality gates that decide whether a new model version may become champion.

The gates live in a TOML file (``training/quality_gates.toml`` by default)
so that the release criteria are reviewed like code but changed without it.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from classifier.errors import ClassifierError
from classifier.metrics import PER_CLASS_METRICS, REPORT_METRICS
from classifier.model_metrics import Evaluation

__all__ = ["DEFAULT_GATES", "GateDecision", "check_gates", "load_gates"]

DEFAULT_GATES = Path(__file__).with_name("quality_gates.toml")


@dataclass(frozen=True)
class GateDecision:
    """Outcome of the quality gates.

    Attributes
    ----------
    passed : bool
    reasons : list of str
        One line per gate: the figure, the bound and whether it held.
    """

    passed: bool
    reasons: list[str]

    def outcome(self, registered: bool) -> str:
        """The champion decision a run records.

        Parameters
        ----------
        registered : bool
            Whether the run's model was registered (``--register``); only a
            registered version can become champion.

        Returns
        -------
        str
            ``"promoted"``, ``"not promoted"`` (gates failed) or
            ``"not registered"`` (gates checked all the same, for comparison).
        """
        if not registered:
            return "not registered"
        return "promoted" if self.passed else "not promoted"


#: The sections a gates file may have.
_SECTIONS = ("calibrated", "per_class")


def load_gates(path: str | Path = DEFAULT_GATES) -> dict:
    """Read a gates file and check its form.

    Checked when it is read, before any training: an unknown section (which
    would otherwise gate nothing), a key not of the form ``<metric>_<min|max>``
    (``<class>_<metric>_<min|max>`` in ``[per_class]``), a metric the
    evaluation does not report, or a bound that is not a number. A class
    code is not checked: a lab's own cohort has its own labels, and a gate
    on a class absent from the cohort is skipped, and said so, by
    :func:`check_gates`.

    Parameters
    ----------
    path : str or Path
        The TOML file; by default ``training/quality_gates.toml``.

    Returns
    -------
    dict
        Its sections, as :func:`check_gates` takes them.

    Raises
    ------
    ClassifierError
        If the file is missing, not TOML, or malformed as above.
    """
    p = Path(path)
    try:
        gates = tomllib.loads(p.read_text())
    except FileNotFoundError as exc:
        raise ClassifierError(f"quality gates file {p} not found", field="gates") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ClassifierError(
            f"quality gates file {p} is not valid TOML: {exc}", field="gates"
        ) from exc
    for section, entries in gates.items():
        if section not in _SECTIONS or not isinstance(entries, dict):
            raise ClassifierError(
                f"quality gates file {p}: [{section}] is not a section of gates "
                f"(known: {', '.join(f'[{s}]' for s in _SECTIONS)})",
                field="gates",
            )
        known = REPORT_METRICS if section == "calibrated" else PER_CLASS_METRICS
        for key, bound in entries.items():
            try:
                metric = _split_key(key, section)[-2]
            except ClassifierError as exc:
                raise ClassifierError(f"quality gates file {p}: {exc}", field="gates") from None
            if metric not in known:
                # A misspelt metric would fail every run, after its folds, as "not available".
                raise ClassifierError(
                    f"quality gates file {p}: gate [{section}] {key!r} names no metric "
                    f"{metric!r} (known: {', '.join(known)})",
                    field="gates",
                )
            if isinstance(bound, bool) or not isinstance(bound, int | float):
                raise ClassifierError(
                    f"quality gates file {p}: gate [{section}] {key!r} must be a number, "
                    f"not {bound!r}",
                    field="gates",
                )
    return gates


def check_gates(evaluation: Evaluation | None, gates: dict) -> GateDecision:
    """Check nested-CV metrics against the gates.

    Parameters
    ----------
    evaluation : Evaluation or None
        The nested cross-validation (its ``calibrated`` report is gated), or
        None when none ran.
    gates : dict
        As read by :func:`load_gates`.

    Returns
    -------
    GateDecision
        Fails when any gate fails or a gated figure is missing. A per-class
        gate on a class absent from the cohort is skipped, and its reason
        says so.

    Raises
    ------
    ClassifierError
        If a gate key is not ``<metric>_<min|max>`` (``[calibrated]``) or
        ``<class>_<metric>_<min|max>`` (``[per_class]``).
    """
    # Parsed before anything else, so that a malformed key fails every run.
    calibrated = {
        _split_key(key, "calibrated"): bound for key, bound in gates.get("calibrated", {}).items()
    }
    per_class = {
        _split_key(key, "per_class"): bound for key, bound in gates.get("per_class", {}).items()
    }
    if evaluation is None:
        return GateDecision(False, ["no nested cross-validation was run; gates cannot be checked"])
    cal = evaluation.calibrated
    reasons: list[str] = []
    ok = True
    for (name, kind), bound in calibrated.items():
        ok &= _check(reasons, f"calibrated {name}", cal.figures().get(name), kind, bound)
    for (label, name, kind), bound in per_class.items():
        if label not in cal.per_class:
            # A user's cohort may lack the default's classes (see quality_gates.toml).
            reasons.append(f"{label} {name}: class absent from this cohort, gate skipped")
            continue
        figures = cal.per_class[label]
        value = getattr(figures, name) if name in PER_CLASS_METRICS else None
        ok &= _check(reasons, f"{label} {name}", value, kind, bound)
    return GateDecision(bool(ok), reasons)


def _split_key(key: str, section: str) -> tuple[str, ...]:
    """Split a gate key from the right into (class,) metric and bound kind.

    Class codes may contain underscores (``CS_IDH_A_sensitivity_min``) and so
    may calibrated metric names (``classified_accuracy_min``), but per-class
    metric names (sensitivity, precision, support) do not: the kind is after
    the last underscore and a per-class metric after the one before it.
    """
    parts = 3 if section == "per_class" else 2
    fields = tuple(key.rsplit("_", parts - 1))
    if len(fields) != parts or not all(fields):
        form = "<class>_<metric>_<min|max>" if parts == 3 else "<metric>_<min|max>"
        raise ClassifierError(f"gate [{section}] {key!r} must have the form {form}", field="gates")
    if fields[-1] not in ("min", "max"):
        raise ClassifierError(
            f"gate [{section}] {key!r} must end in _min or _max, not _{fields[-1]}",
            field="gates",
        )
    return fields


def _check(reasons: list[str], label: str, value, kind: str, bound: float) -> bool:
    if value is None or value != value:  # missing or NaN
        reasons.append(f"{label}: not available, FAIL")
        return False
    passed = value >= bound if kind == "min" else value <= bound
    sign = ">=" if kind == "min" else "<="
    reasons.append(
        f"{label} = {value:.4f} (must be {sign} {bound}): {'pass' if passed else 'FAIL'}"
    )
    return passed
