"""Arrow tables to the frame a caller asked for: pandas (default), polars or Arrow.

pandas is the project's DataFrame library. Its default conversion would turn
dates into timestamps at midnight, nullable integers into float64 (turnover
beyond 2**53 would round) and decimals into Python objects; here:

* ``DATE`` -> ``date32[pyarrow]`` (values are :class:`datetime.date`),
* ``TIME`` -> ``time64[us][pyarrow]``, ``decimal128`` -> ``decimal128(p, s)[pyarrow]``,
* ``BIGINT`` -> ``Int64`` and ``BOOLEAN`` -> ``boolean`` (nullable, exact),
* timestamps -> ``datetime64[us, Asia/Tokyo]``, ``float64`` and strings as usual.

polars keeps Arrow's types as they are (``Date``, ``Decimal(p, s)``, ``Datetime(tz=
"Asia/Tokyo")``).
"""

from __future__ import annotations

from typing import Any, Literal

import pandas as pd
import pyarrow as pa

Output = Literal["pandas", "polars", "arrow"]
OUTPUTS = ("pandas", "polars", "arrow")


def _pandas_type(arrow: pa.DataType) -> Any:
    if pa.types.is_int64(arrow):
        return pd.Int64Dtype()
    if pa.types.is_boolean(arrow):
        return pd.BooleanDtype()
    if pa.types.is_date32(arrow) or pa.types.is_time64(arrow) or pa.types.is_decimal(arrow):
        return pd.ArrowDtype(arrow)
    return None  # pandas' default: float64, object strings, tz-aware datetime64


def frame(table: pa.Table, output: Output = "pandas") -> Any:
    """``table`` as a pandas DataFrame, a polars DataFrame or itself (``"arrow"``)."""
    if output == "pandas":
        return table.to_pandas(types_mapper=_pandas_type)
    if output == "polars":
        import polars as pl

        return pl.from_arrow(table)
    if output == "arrow":
        return table
    raise ValueError(f"output must be one of {', '.join(OUTPUTS)}, not {output!r}")
