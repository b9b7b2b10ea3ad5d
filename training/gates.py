"""Quality gates that decide whether a new model version may become champion.

The gates live in a TOML file (``training/quality_gates.toml`` by default)
so that the release criteria are reviewed like code but changed without it.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from classifier.errors import ClassifierError

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


def load_gates(path: str | Path = DEFAULT_GATES) -> dict:
    """Read a gates file; raises ClassifierError if missing or malformed."""
    p = Path(path)
    try:
        return tomllib.loads(p.read_text())
    except FileNotFoundError as exc:
        raise ClassifierError(f"quality gates file {p} not found", field="gates") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ClassifierError(
            f"quality gates file {p} is not valid TOML: {exc}", field="gates"
        ) from exc


def check_gates(metrics: dict, gates: dict) -> GateDecision:
    """Check nested-CV metrics against the gates.

    Parameters
    ----------
    metrics : dict
        The ``evaluation`` part of the training metrics (``calibrated`` report
        with ``per_class``), or an empty dict when no evaluation ran.
    gates : dict
        As read by :func:`load_gates`.

    Returns
    -------
    GateDecision
        Fails when any gate fails or a gated figure is missing.
    """
    if not metrics or "calibrated" not in metrics:
        return GateDecision(False, ["no nested cross-validation was run; gates cannot be checked"])
    cal = metrics["calibrated"]
    reasons: list[str] = []
    ok = True
    for key, bound in gates.get("calibrated", {}).items():
        name, kind = key.rsplit("_", 1)
        ok &= _check(reasons, f"calibrated {name}", cal.get(name), kind, bound)
    for key, bound in gates.get("per_class", {}).items():
        label, rest = key.split("_", 1)
        name, kind = rest.rsplit("_", 1)
        value = cal.get("per_class", {}).get(label, {}).get(name)
        if label not in cal.get("per_class", {}):
            reasons.append(f"{label} {name}: class absent from this cohort, gate skipped")
            continue
        ok &= _check(reasons, f"{label} {name}", value, kind, bound)
    return GateDecision(bool(ok), reasons)


def _check(reasons: list[str], label: str, value, kind: str, bound: float) -> bool:
    if kind not in ("min", "max"):
        raise ClassifierError(f"gate {label!r} must end in _min or _max", field="gates")
    if value is None or value != value:  # missing or NaN
        reasons.append(f"{label}: not available, FAIL")
        return False
    passed = value >= bound if kind == "min" else value <= bound
    sign = ">=" if kind == "min" else "<="
    reasons.append(
        f"{label} = {value:.4f} (must be {sign} {bound}): {'pass' if passed else 'FAIL'}"
    )
    return passed
