"""File ingest benchmark: `peakend ingest` of CSV and Parquet files against DuckDB loading them bare, same run.

    python bench/bench_file_ingest.py                  # 1M touches (and their visits)
    python bench/bench_file_ingest.py --touches 2e5

For N touches (6 per visit; the data of bench_scoring.py) written as CSV and as Parquet, each
measurement starts from a store holding the visits:
  peakend csv / parquet    `ingest_file`: read, check every field by the contract, store, log
  bare csv / parquet       the reference: DuckDB reading the same file straight into the touches
                           table (no checks, no quarantine, no row numbers)
  rejected parquet         `ingest_file` of the same touches into a store without their visits:
                           every row quarantined (with its message and raw record)
  peakend xlsx             `ingest_file` of the same touches as an Excel workbook (one sheet, date cells as
                           dates, written by openpyxl): its ratio is to peakend's own CSV ingest of the same
                           rows in the same run (Excel's limit: 1,048,575 rows under the header)
Prints rows/s and the ratio of each peakend run to its bare reference; appends to
bench/results/file_ingest.csv. There is no target: the ratio is what to watch.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench_scoring import generate
from common import append_result, machine

from peakend.blueprint.load import load_blueprint
from peakend.ingest.pipeline import ingest_file
from peakend.ingest.validate import Context
from peakend.store.db import connect


def write_files(n: int, folder: Path) -> tuple[Path, int]:
    """About N touches (whole visits) as touches.csv and touches.parquet, and a store `visits.duckdb` holding
    their visits; the store and how many touches were written."""
    bp = load_blueprint()
    with connect(folder / "gen.duckdb") as store:
        generate(store.stage, n, bp.moment_ids())
        written = int(store.scalar("SELECT count(*) FROM touches"))
        for fmt in ("csv", "parquet"):
            store.stage.execute(f"COPY (SELECT * EXCLUDE (ingested_at) FROM touches) TO "
                                f"'{folder / 'touches'}.{fmt}' (FORMAT {fmt})")
    with connect(folder / "visits.duckdb") as store:
        store.stage.execute(f"ATTACH '{folder / 'gen.duckdb'}' AS gen (READ_ONLY)")
        store.stage.execute("INSERT INTO visits SELECT * FROM gen.visits")
        store.stage.execute("DETACH gen")
    (folder / "gen.duckdb").unlink()
    return folder / "visits.duckdb", written


def write_xlsx(csv_path: Path, xlsx_path: Path) -> None:
    """The CSV's rows as one worksheet, its timestamps as date cells (openpyxl, streaming: write-only)."""
    import openpyxl
    import pyarrow.csv as pacsv

    table = pacsv.read_csv(csv_path)
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("touches")
    sheet.append(table.column_names)
    for batch in table.to_batches(100_000):
        columns = [c.to_pylist() for c in batch.columns]
        for row in zip(*columns, strict=True):
            sheet.append(row)
    book.save(xlsx_path)


def fresh(visits: Path | None, work: Path) -> Path:
    """A store for one measurement: a copy of the visits store (or none: an empty store)."""
    db = work / "run.duckdb"
    db.unlink(missing_ok=True)
    if visits is not None:
        shutil.copy(visits, db)
    return db


def peakend(visits: Path | None, source: Path, work: Path) -> tuple[float, int, int]:
    """Seconds to ingest `source` into a copy of the visits store (or an empty one); stored, quarantined."""
    with connect(fresh(visits, work)) as store:
        t0 = time.perf_counter()
        result = ingest_file(store, source, Context(load_blueprint()))
        return time.perf_counter() - t0, result.stored, result.quarantined


def bare(visits: Path, source: Path, work: Path) -> float:
    """Seconds for DuckDB to load `source` into the touches table of a copy of the visits store."""
    with connect(fresh(visits, work)) as store:
        reader = "read_parquet" if source.suffix == ".parquet" else "read_csv"
        t0 = time.perf_counter()
        store.stage.execute(f"INSERT INTO touches BY NAME SELECT * FROM {reader}('{source}')")
        return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--touches", type=float, default=1e6, help="touches in each file")
    parser.add_argument("--no-xlsx", action="store_true", help="leave out the Excel workbook (slow to write)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=Path(__file__).parent) as tmp:
        folder = Path(tmp)
        visits, n = write_files(int(args.touches), folder)
        row: dict[str, object] = {"touches": n}
        print(f"machine: {machine()}; {n:,} touches per file")
        for fmt in ("csv", "parquet"):
            source = folder / f"touches.{fmt}"
            took, stored, _ = peakend(visits, source, folder)
            assert stored == n, f"{fmt}: {stored:,} of {n:,} stored"
            reference = bare(visits, source, folder)
            row |= {f"{fmt}_rate": round(n / took), f"bare_{fmt}_rate": round(n / reference),
                    f"{fmt}_ratio": round(reference / took, 3)}
            print(f"peakend {fmt:<8}: {n / took:>10,.0f} rows/s   bare DuckDB: {n / reference:>10,.0f} rows/s   "
                  f"ratio {reference / took:.3f}")
        if not args.no_xlsx:
            t0 = time.perf_counter()
            write_xlsx(folder / "touches.csv", folder / "touches.xlsx")
            print(f"(the workbook written in {time.perf_counter() - t0:.0f} s, "
                  f"{(folder / 'touches.xlsx').stat().st_size / 1e6:.0f} MB)")
            took, stored, _ = peakend(visits, folder / "touches.xlsx", folder)
            assert stored == n, f"xlsx: {stored:,} of {n:,} stored"
            ratio = (n / took) / float(row["csv_rate"])  # type: ignore[arg-type]
            row |= {"xlsx_rate": round(n / took), "xlsx_to_csv": round(ratio, 3)}
            print(f"peakend xlsx    : {n / took:>10,.0f} rows/s   ratio to peakend csv {ratio:.3f}")
        took, _, quarantined = peakend(None, folder / "touches.parquet", folder)
        assert quarantined == n, f"{quarantined:,} of {n:,} quarantined"
        row["rejected_rate"] = round(n / took)
        print(f"rejected parquet: {n / took:>10,.0f} rows/s quarantined (every row: its visit is not stored)")
    append_result("file_ingest", row)


if __name__ == "__main__":
    main()
