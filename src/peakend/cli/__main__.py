"""`python -m peakend.cli`: the command line."""

from peakend.cli import app

app()
