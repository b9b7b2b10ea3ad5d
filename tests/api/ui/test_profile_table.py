"""Reading an uploaded profile table with Arrow: the values, and the line of every error."""

from __future__ import annotations

import math

import numpy as np
import pytest

from api.ui.profile_table import TableError, read_profile_table


def test_ids_values_and_lines():
    content = (
        b"\xef\xbb\xbf# exported 2026-12-07\r\n\r\nID_REF\tbeta # the header\r\n"
        b'"cg00000029"\t 0.5 \r\n  \r\ncg00000108\tNA\r\ncg00000109\t.25e1  # odd\r\n'
    )
    table = read_profile_table(content)
    assert table.ids.to_pylist() == ["cg00000029", "cg00000108", "cg00000109"]
    # 2.5 is a number: the range is the pipeline's check, which names line 7.
    assert [None if math.isnan(v) else v for v in table.values] == [0.5, None, 2.5]
    assert table.lines.tolist() == [4, 6, 7]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"probe,beta\ncg1,0.5\ncg2,\xff\n", "line 3 of the file holds the byte 0xFF"),
        (b"probe,beta,beta\ncg1,0.5,0.4\n", "names the column 'beta' twice"),
        (b"probe,beta\ncg1,-Infinity\n", "line 2: the beta value '-Infinity'"),
        (b"probe,beta\ncg1,1e999\n", "is not a finite number"),
        (b"probe,beta\ncg1,0,5\n", "Expected 2 fields in line 2, saw 3"),
        (b"probe,beta\ncg1,0x1p-2\n", "line 2: the beta value '0x1p-2' of column 'beta' is not"),
    ],
)  # fmt: skip
def test_errors_name_the_line(content, message):
    with pytest.raises(TableError, match=message.replace("(", r"\(")):
        read_profile_table(content)


def test_a_whole_array_reads_as_numbers_without_copies_of_lines():
    rng = np.random.default_rng(0)
    values = rng.uniform(0, 1, 50_000).round(4)
    text = "probe_id,beta\n" + "".join(f"cg{i:08d},{v}\n" for i, v in enumerate(values))
    table = read_profile_table(text.encode())
    np.testing.assert_array_equal(table.values, values)
    assert table.lines[0] == 2 and table.lines[-1] == 50_001
