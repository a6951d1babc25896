"""Small Ibis helpers that compile to SQL every backend accepts.

PostgreSQL casts a boolean neither to double precision nor to bigint, so shares and counts
of a condition are written with CASE instead of a cast.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir


def share(condition: ir.BooleanValue) -> ir.FloatingScalar:
    """The share (0–1) of rows where `condition` holds; NULL counts as not holding."""
    return ibis.ifelse(condition, 1.0, 0.0).mean()


def count_if(condition: ir.BooleanValue) -> ir.IntegerScalar:
    """How many rows `condition` holds for."""
    return ibis.ifelse(condition, 1, 0).sum()
