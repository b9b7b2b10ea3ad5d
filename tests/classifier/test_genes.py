import gzip
import subprocess
import sys
from pathlib import Path

import pytest

from classifier.errors import UnknownFindingError, UnknownGeneError
from classifier.genes import approved_symbol, load_gene_symbols

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("submitted", "approved", "how"),
    [
        ("EWSR1", "EWSR1", "approved"),
        (" ewsr1 ", "EWSR1", "approved"),
        ("H3F3A", "H3-3A", "previous"),
        ("H3F3B", "H3-3B", "previous"),
        ("MLL", "KMT2A", "previous"),
        ("EWS", "EWSR1", "alias"),
    ],
)
def test_symbols_are_read_against_hgnc(submitted, approved, how):
    symbol = load_gene_symbols().resolve(submitted, field="f")
    assert (symbol.symbol, symbol.how) == (approved, how)
    assert approved_symbol(submitted, field="f") == approved


def test_a_renamed_symbol_says_so():
    symbols = load_gene_symbols()
    assert symbols.resolve("H3F3A", field="f").note == "H3F3A is now H3-3A"
    assert symbols.resolve("EWS", field="f").note == "EWS is an alias of EWSR1"
    assert symbols.resolve("WT1", field="f").note == ""


def test_an_unknown_symbol_is_refused_naming_it_and_the_field():
    with pytest.raises(UnknownGeneError, match="'NOTAGENE1' is not an HGNC-approved") as err:
        approved_symbol("NOTAGENE1", field="findings[4].gene")
    assert err.value.field == "findings[4].gene"
    assert issubclass(UnknownGeneError, UnknownFindingError)


def test_the_shipped_table_is_compact_and_holds_approved_and_renamed_symbols():
    path = ROOT / "classifier" / "data" / "hgnc_symbols.csv.gz"
    assert path.stat().st_size < 1_000_000
    header = gzip.decompress(path.read_bytes()).decode().splitlines()[0]
    assert header == "symbol,approved,status"
    symbols = load_gene_symbols()
    assert len(symbols.approved) > 40_000
    assert symbols.previous["H3F3A"] == ("H3-3A",)


def test_the_build_script_is_deterministic(tmp_path):
    source = tmp_path / "custom.tsv"
    source.write_text(
        "Approved symbol\tApproved name\tPrevious symbols\tAlias symbols\n"
        "H3-3A\tH3.3 histone A\tH3F3, H3F3A\tH3.3A\n"
        "EWSR1\tEWS RNA binding protein 1\t\tEWS\n"
        "ABC\tx\tOLD\tEWS\n",
        encoding="utf-8",
    )
    outs = []
    for name in ("a.csv.gz", "b.csv.gz"):
        out = tmp_path / name
        subprocess.run(
            [sys.executable, "scripts/build_hgnc_symbols.py", str(source), "--out", str(out)],
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        outs.append(out.read_bytes())
    assert outs[0] == outs[1]
    rows = gzip.decompress(outs[0]).decode().splitlines()
    assert rows == [
        "symbol,approved,status",
        "ABC,,approved",
        "EWS,ABC,alias",
        "EWS,EWSR1,alias",
        "EWSR1,,approved",
        "H3-3A,,approved",
        "H3.3A,H3-3A,alias",
        "H3F3,H3-3A,previous",
        "H3F3A,H3-3A,previous",
        "OLD,ABC,previous",
    ]
