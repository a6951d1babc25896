"""The lake and the engines: export, ingest back, and the same scores on DuckDB, PostgreSQL and Spark.

The data set is made to be awkward: ties in e (1–5 pad ratings) and in touch order (equal
start times), single-touch visits, touches without a time, missing ratings, a hall named in
Chinese. It goes in through the real ingest path, once into DuckDB and once into PostgreSQL;
the DuckDB store is exported to a lake, which DuckDB and Spark (local mode) score.
"""

from __future__ import annotations

import json
import os
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from peakend.cli import app
from peakend.ingest.pipeline import expand_paths, ingest_file
from peakend.ingest.validate import Context
from peakend.scoring.engines import score_lake
from peakend.scoring.run import score
from peakend.store.db import connect
from peakend.store.lake import LakeError, export_lake, lake_files
from tests.conftest import empty_postgres, write_csv

HALLS = ["天河北厅", "Hall-B", "白云新市厅"]
KEYS = {"touch_scores": ["touch_id"], "visit_scores": ["visit_id"], "moment_scores": ["hall_id", "moment_id"],
        "hall_scores": ["hall_id"]}
HEADER = ["visit_id", "hall_id", "arrival", "touch_id", "moment_id", "seq", "start_at", "rating", "rating_scale",
          "wait_min", "service_min", "outcome"]


def awkward_events(folder: Path, moments: list[str]) -> list[Path]:
    """Touches (CSV), survey answers (JSON Lines) and audits (CSV) with ties and gaps."""
    rng = np.random.default_rng(11)
    t0 = datetime(2026, 10, 5, 9)
    rows, surveys = [], []
    for v in range(300):
        arrival = t0 + timedelta(days=v % 4, minutes=int(rng.integers(0, 600)))
        n = 1 if v % 7 == 0 else int(rng.integers(2, 7))
        for s in range(1, n + 1):
            start = "" if v % 11 == 0 and s == 2 else str(arrival + timedelta(minutes=3 * s if v % 5 else 0))
            rated = rng.random() < 0.5
            rows.append([f"v{v}", HALLS[v % 3], str(arrival), f"v{v}-{s}", moments[int(rng.integers(len(moments)))], s,
                         start, int(rng.integers(1, 6)) if rated else "", "1-5" if rated else "",
                         round(float(rng.exponential(8)), 1) if rng.random() < 0.4 else "",
                         round(float(rng.exponential(5)), 1) if rng.random() < 0.6 else "",
                         ["resolved", "unresolved", "complaint", ""][int(rng.integers(4))]])
        if v % 3 == 0:
            surveys.append({"survey_id": f"s{v}", "visit_id": f"v{v}", "overall": int(rng.integers(1, 11)),
                            "overall_scale": "1-10", "answered_at": str(arrival + timedelta(hours=2))})
    for v in range(8):  # averaged ratings equally far from neutral (|e| = 2/3 in floats differing in the last bit)
        arrival = t0 + timedelta(days=1, hours=v)
        low_first = v % 2 == 0
        for s, r in enumerate((5 / 3, 13 / 3) if low_first else (13 / 3, 5 / 3), start=1):
            rows.append([f"tie{v}", HALLS[v % 3], str(arrival), f"tie{v}-{s}", moments[s], s,
                         str(arrival + timedelta(minutes=s)), repr(r), "1-5", "", "", ""])
    touches = write_csv(folder / "touches.csv", HEADER, rows)
    answers = folder / "surveys.jsonl"
    answers.write_text("\n".join(json.dumps(s, ensure_ascii=False) for s in surveys), "utf-8")
    audits = write_csv(folder / "audits.csv", ["audit_id", "hall_id", "audited_at", "item", "passed"],
                       [[f"a{i}", HALLS[i % 3], "2026-10-06 10:00", "clear_voice", i % 4 != 0] for i in range(30)])
    return [touches, answers, audits]


def tables_of_store(store) -> dict[str, pd.DataFrame]:
    return {t: store.query(f"SELECT * FROM {t}") for t in KEYS}


def tables_of_lake(folder: Path) -> dict[str, pd.DataFrame]:
    return {t: pd.read_parquet(folder / t) for t in KEYS}


def same(a: dict[str, pd.DataFrame], b: dict[str, pd.DataFrame], label: str) -> None:
    """Every score table equal row for row (floats to 1e-12; times compared as instants)."""
    for table, key in KEYS.items():
        x, y = (f.sort_values(key).reset_index(drop=True) for f in (a[table], b[table]))
        assert list(x.columns) == list(y.columns), (label, table)
        for col in x.columns:
            if pd.api.types.is_datetime64_any_dtype(x[col]) or pd.api.types.is_datetime64_any_dtype(y[col]):
                x[col], y[col] = pd.to_datetime(x[col]).astype("datetime64[us]"), pd.to_datetime(y[col]).astype(
                    "datetime64[us]")
            elif col == "day":
                x[col], y[col] = pd.to_datetime(x[col]).dt.date, pd.to_datetime(y[col]).dt.date
            elif not pd.api.types.is_numeric_dtype(x[col]) or not pd.api.types.is_numeric_dtype(y[col]):
                x[col], y[col] = (c.astype(object).where(c.notna(), None) for c in (x[col], y[col]))  # None, not NaN
        pd.testing.assert_frame_equal(x, y, check_dtype=False, rtol=1e-12, atol=1e-12, obj=f"{label}: {table}")


@pytest.fixture(scope="module")
def lake(tmp_path_factory, bp):
    """The awkward events ingested into DuckDB and PostgreSQL, both scored, the DuckDB store exported."""
    folder = tmp_path_factory.mktemp("lake")
    files = awkward_events(folder, bp.moment_ids())
    stores = {"duckdb": connect(folder / "events.duckdb"), "postgres": connect(empty_postgres())}
    for store in stores.values():
        for f in files:
            assert ingest_file(store, f, Context(bp, allow_fractions=True)).quarantined == 0
        score(store, bp)
    export_lake(stores["duckdb"], folder / "lake")
    yield folder, stores
    for store in stores.values():
        store.close()


def test_the_lake_is_partitioned_by_date_and_hall_with_plain_folder_names(lake):
    folder, stores = lake
    touches = folder / "lake" / "touches"
    assert (touches / "date=2026-10-05" / "hall_id=天河北厅").is_dir()  # not percent-encoded: Spark reads it
    assert pd.read_parquet(touches)["touch_id"].nunique() == stores["duckdb"].scalar("SELECT count(*) FROM touches")
    files = lake_files(folder / "lake")
    assert files[0].relative_to(folder / "lake").parts[0] == "visits"  # visits first when ingested
    with pytest.raises(LakeError, match="not a lake"):
        lake_files(folder)


def test_peak_ties_on_averaged_ratings_go_to_the_later_touch_on_every_engine(lake, bp):
    """5/3 and 13/3 on 1–5 are e = −2/3 and +2/3, floats that differ in the last bit: a tie, the later touch wins."""
    folder, stores = lake
    assert abs(2 * (5 / 3 - 1) / 4 - 1) != abs(2 * (13 / 3 - 1) / 4 - 1)  # the trap is real
    by_engine = {name: s.query("SELECT visit_id, peak, peak_moment FROM visit_scores WHERE visit_id LIKE 'tie%'")
                 for name, s in stores.items()}
    score_lake("duckdb", folder / "lake", bp, folder / "ties-duckdb")
    lake_scores = pd.read_parquet(folder / "ties-duckdb" / "visit_scores")
    by_engine["duckdb lake"] = lake_scores[lake_scores.visit_id.str.startswith("tie")]
    later = bp.moment_ids()[2]
    for name, frame in by_engine.items():
        assert len(frame) == 8, name
        assert (frame.peak_moment == later).all(), name
        low_first = frame.visit_id.str[3:].astype(int) % 2 == 0
        assert (frame.peak.where(low_first, -frame.peak).round(12) == round(2 / 3, 12)).all(), name


def test_postgres_scores_equal_duckdb(lake):
    _, stores = lake
    same(tables_of_store(stores["duckdb"]), tables_of_store(stores["postgres"]), "postgres vs duckdb")


def test_duckdb_and_spark_on_the_lake_equal_the_store(lake, bp):
    folder, stores = lake
    assert os.environ.get("PEAKEND_JAVA") or Path("/usr/bin/java").exists(), "Spark needs Java: run `make test`"
    reference = tables_of_store(stores["duckdb"])
    on_duckdb = score_lake("duckdb", folder / "lake", bp, folder / "scores-duckdb")
    same(reference, tables_of_lake(folder / "scores-duckdb"), "duckdb lake vs store")
    on_spark = score_lake("spark", folder / "lake", bp, folder / "scores-spark")
    same(reference, tables_of_lake(folder / "scores-spark"), "spark lake vs store")
    assert (on_duckdb.visits, on_duckdb.touches) == (on_spark.visits, on_spark.touches) == (
        308, stores["duckdb"].scalar("SELECT count(*) FROM touches"))


def test_a_lake_ingests_back_into_the_same_store_once(lake, bp, tmp_path):
    _, stores = lake
    runner = CliRunner()
    pg_lake = tmp_path / "from-postgres"
    result = runner.invoke(app, ["export", str(pg_lake), "--db", stores["postgres"].url])  # export from PostgreSQL
    assert result.exit_code == 0, result.output
    db = str(tmp_path / "back.duckdb")
    for _ in range(2):  # the second time stores nothing
        result = runner.invoke(app, ["ingest", str(pg_lake), "--db", db, "--allow-fractions"])  # as it went in
        assert result.exit_code == 0, result.output
    assert "0 new records" in result.output and "0 stored, " in result.output
    with connect(db) as back:
        score(back, bp)
        same(tables_of_store(stores["duckdb"]), tables_of_store(back), "lake round trip")
    assert len(expand_paths([pg_lake])) == len(lake_files(pg_lake))


def test_score_command_on_a_lake_and_wrong_engines(lake, tmp_path):
    folder, _ = lake
    runner = CliRunner()
    result = runner.invoke(app, ["score", "--lake", str(folder / "lake"), "--out", str(tmp_path / "s")])
    assert result.exit_code == 0 and "308 visit(s)" in result.output, result.output
    assert (tmp_path / "s" / "visit_scores").is_dir()
    result = runner.invoke(app, ["score", "--engine", "spark", "--db", str(tmp_path / "x.duckdb")])
    assert result.exit_code == 2 and "peakend export" in result.output
    assert runner.invoke(app, ["score", "--engine", "oracle", "--lake", str(folder / "lake")]).exit_code == 2


def test_a_lake_table_without_rows_or_partitions_still_reads(tmp_path, bp):
    """An empty store exports one plain file per table; a lake written by another tool need not be partitioned."""
    with connect(tmp_path / "empty.duckdb") as store:
        rows = export_lake(store, tmp_path / "lake")
    assert rows == dict.fromkeys(["visits", "touches", "surveys", "audits"], 0)
    assert (tmp_path / "lake" / "audits" / "empty.parquet").exists()
    from peakend.scoring.run import NoData

    with pytest.raises(NoData):  # read, found empty: nothing to score
        score_lake("duckdb", tmp_path / "lake", bp)
