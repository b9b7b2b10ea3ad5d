"""Print the kill rate of the last mutation run per module (``make mutation``).

Reads ``mutmut results --all true`` (one ``module.function__mutmut_N: status``
line per mutant) and prints, per mutated module and in total, the mutants,
those killed (a test failed), timed out (the mutant looped: counted as
detected, as mutmut does), survived, and the kill rate
``(killed + timeout) / mutants``.
"""

from __future__ import annotations

import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

DETECTED = ("killed", "timeout")


def main() -> int:
    mutmut = Path(sys.executable).with_name("mutmut")
    out = subprocess.run(
        [str(mutmut), "results", "--all", "true"], capture_output=True, text=True, check=True
    ).stdout
    by_module: dict[str, Counter] = defaultdict(Counter)
    for line in out.splitlines():
        name, _, status = line.strip().rpartition(": ")
        if "__mutmut_" not in name:
            continue
        module = name.split(".x")[0]
        by_module[module][status] += 1
    if not by_module:
        print("no mutation results: run `mutmut run` first", file=sys.stderr)
        return 1
    total: Counter = Counter()
    print(f"{'module':32} {'mutants':>8} {'killed':>7} {'timeout':>8} {'survived':>9} {'rate':>7}")
    for module, counts in sorted(by_module.items()):
        total.update(counts)
        _row(module, counts)
    _row("total", total)
    return 0


def _row(name: str, counts: Counter) -> None:
    n = sum(counts.values())
    detected = sum(counts[s] for s in DETECTED)
    print(
        f"{name:32} {n:8d} {counts['killed']:7d} {counts['timeout']:8d} "
        f"{counts['survived']:9d} {detected / n:7.1%}"
    )


if __name__ == "__main__":
    sys.exit(main())
