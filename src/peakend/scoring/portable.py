"""Small Ibis helpers that compile to SQL every backend accepts.

PostgreSQL casts a boolean neither to double precision nor to bigint (but to integer), and
Spark reads a literal such as 1.0 as a decimal; shares and counts are written for all three.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir


def share(condition: ir.BooleanValue) -> ir.FloatingScalar:
    """The share (0–1) of rows where `condition` holds; NULL counts as not holding."""
    # Not ifelse(condition, 1.0, 0.0): Spark reads the literal 1.0 as a decimal, and so averages decimals.
    return condition.fill_null(False).cast("int32").cast("float64").mean()


def count_if(condition: ir.BooleanValue) -> ir.IntegerScalar:
    """How many rows `condition` holds for."""
    return total(ibis.ifelse(condition, 1, 0))


def total(counts: ir.IntegerColumn) -> ir.IntegerScalar:
    """The sum of a column of counts, as a bigint on every engine (PostgreSQL sums bigints to numeric, which
    pandas reads as Decimal; a cast straight to int64 Ibis drops, as the type it already thinks it is)."""
    return counts.sum().cast("decimal(38, 0)").cast("int64")
