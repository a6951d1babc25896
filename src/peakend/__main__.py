"""`python -m peakend`: the command line (how `peakend serve --workers N` starts its live worker)."""

from peakend.cli import app

app()
