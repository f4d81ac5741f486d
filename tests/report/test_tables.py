"""Reading a run's tables (sim/report/tables.py): a table too large for memory stops in
one line before it is read."""

import pandas as pd
import pytest

from sim.errors import InputError
from sim.report.tables import check_table_size, read_parquet


def test_a_parquet_table_larger_than_half_the_memory_is_refused_before_it_is_read(tmp_path):
    path = tmp_path / "trajectories.parquet"
    pd.DataFrame({"value": [0.5] * 10_000}).to_parquet(path)
    check_table_size(path, 2**30)  # 80 kB of data, far inside
    with pytest.raises(InputError) as info:
        check_table_size(path, 2**10)
    assert info.value.field == "file" and "10,000 rows" in info.value.fix


def test_a_file_that_is_not_parquet_is_refused_in_one_line(tmp_path):
    path = tmp_path / "trajectories.parquet"
    path.write_bytes(b"PAR1 not really")
    with pytest.raises(InputError) as info:
        read_parquet(path, ("value",))
    assert "cannot be read as Parquet" in info.value.fix
