"""A request's deadline: the readers stop themselves once it has passed (every format), the web answers 503 with
Retry-After in both languages, and work outside a request has no deadline. Time is stepped by hand, never waited."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from peakend import deadline
from peakend.errors import TooLong
from peakend.ingest.readers import READERS, read_excel
from peakend.web.app import create_app
from tests.conftest import add_user, signed_in

ROWS = [{"visit_id": f"v{i}", "hall_id": "H1", "moment_id": "m1", "rating": i % 5 + 1} for i in range(30)]


def _written(folder: Path, fmt: str) -> Path:
    frame = pd.DataFrame(ROWS)
    path = folder / f"rows.{ {'csv': 'csv', 'jsonl': 'jsonl', 'parquet': 'parquet', 'excel': 'xlsx'}[fmt] }"
    if fmt == "csv":
        frame.to_csv(path, index=False)
    elif fmt == "jsonl":
        path.write_text("\n".join(json.dumps(r) for r in ROWS) + "\n")
    elif fmt == "parquet":
        frame.to_parquet(path)
    else:
        frame.to_excel(path, index=False)
    return path


def _read(path: Path, fmt: str) -> int:
    reader = read_excel if fmt == "excel" else READERS[fmt]
    return sum(len(c.numbers) for c in reader(path, "auto", 10, lambda _: None))


class Stepped:
    """A clock that moves `step` seconds on every reading."""

    def __init__(self, step: float):
        self.now, self.step = 0.0, step

    def __call__(self) -> float:
        self.now += self.step
        return self.now


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet", "excel"])
def test_every_reader_stops_at_the_deadline_and_reads_in_full_without_one(tmp_path, monkeypatch, fmt):
    path = _written(tmp_path, fmt)
    assert _read(path, fmt) == 30  # no request: no deadline
    monkeypatch.setattr(deadline, "clock", Stepped(1.0))
    with deadline.within(100.0):
        assert _read(path, fmt) == 30  # well within: 30 rows are far fewer than 100 readings of the clock
    with deadline.within(3.0), pytest.raises(TooLong) as stopped:  # not `Unreadable`: the file is fine
        _read(path, fmt)
    assert stopped.value.say("zh").startswith("此请求超过 3 秒")


def test_an_upload_past_the_deadline_is_a_503_and_the_next_one_is_read(tmp_path, monkeypatch):
    monkeypatch.setenv("PEAKEND_UPLOADS", str(tmp_path / "uploads"))
    app = create_app(str(tmp_path / "s.duckdb"), secret="s")
    add_user(app.state.peakend.store, "mgr", "mgr-pass-1", "manager", ["H1"])
    c: TestClient = signed_in(app, "mgr", "mgr-pass-1")
    body = io.BytesIO(pd.DataFrame(ROWS).to_csv(index=False).encode())
    monkeypatch.setattr(deadline, "clock", Stepped(1000.0))  # every reading of the clock: past the 20 s
    late = c.post("/api/v1/imports", files={"file": ("rows.csv", body.getvalue(), "text/csv")})
    assert late.status_code == 503 and late.headers["retry-after"] == "5"
    assert "20 s deadline" in late.json()["detail"] and "20 秒" in late.json()["detail_zh"]
    monkeypatch.setattr(deadline, "clock", Stepped(0.001))
    read = c.post("/api/v1/imports", files={"file": ("rows.csv", body.getvalue(), "text/csv")})
    assert read.status_code == 200, read.text
    assert "visit_id" in json.dumps(read.json(), ensure_ascii=False)
    app.state.peakend.store.close()
