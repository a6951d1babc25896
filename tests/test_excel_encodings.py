"""Excel and Chinese encodings in: a two-row merged header, date cells (one a bare serial), GBK and a BOM, each
storing exactly the rows its clean UTF-8 twin stores, with row numbers as Excel and editors show them."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from peakend.cli import app
from peakend.ingest.readers import detect_encoding, header_names, read_excel
from peakend.store.db import connect

TWINS = Path(__file__).parent / "data" / "twins"
runner = CliRunner()
COLUMNS = "visit_id, moment_id, seq, start_at, staff_id, rating, rating_scale, wait_min, outcome"


def stored(db: Path) -> tuple[list[tuple], list[tuple], list[tuple]]:
    with connect(str(db)) as s:
        touches = s.rows(f"SELECT {COLUMNS} FROM touches ORDER BY touch_id")
        visits = s.rows("SELECT visit_id, hall_id FROM visits ORDER BY visit_id")
        kept = s.rows("SELECT row_number, field, code FROM quarantine ORDER BY row_number, field")
    return touches, visits, kept


def ingest(tmp_path: Path, name: str, *args: str) -> Path:
    db = tmp_path / f"{name}.duckdb"
    result = runner.invoke(app, ["ingest", *args, "--db", str(db)])
    assert result.exit_code == 0 and "Traceback" not in result.output, result.output
    return db


def test_gbk_bom_and_the_merged_header_workbook_store_what_the_clean_csv_stores(tmp_path):
    clean = stored(ingest(tmp_path, "clean", str(TWINS / "clean.csv"), "--rating-scale", "1-5"))
    touches, visits, kept = clean
    assert len(touches) == 9 and len(visits) == 3 and [k[1:] for k in kept] == [("rating", "out_of_range")]
    assert {t[4] for t in touches} >= {"张伟", "李娜"} and {v[1] for v in visits} == {"天河北厅", "珠江新城厅"}
    for name in ("gbk.csv", "bom.csv"):
        assert stored(ingest(tmp_path, name, str(TWINS / name), "--rating-scale", "1-5")) == clean, name
    xlsx = stored(ingest(tmp_path, "xlsx", str(TWINS / "merged.xlsx"), "--sheet", "评价流水", "--rating-scale",
                         "1-5", "--mapping", str(TWINS / "merged.mapping.yaml")))
    assert xlsx[:2] == clean[:2]  # the same rows, the serial-number date read as its date
    assert xlsx[2] == [(13, "服务/评分", "out_of_range")]  # the file's own column; Excel row 13, CSV line 11


def test_every_sheet_is_its_own_source_and_a_sheet_without_events_is_said(tmp_path):
    db = tmp_path / "all.duckdb"
    result = runner.invoke(app, ["ingest", str(TWINS / "merged.xlsx"), "--rating-scale", "1-5", "--mapping",
                                 str(TWINS / "merged.mapping.yaml"), "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert "merged.xlsx#评价流水" in result.output and "merged.xlsx#说明" in result.output
    with connect(str(db)) as s:
        assert s.rows("SELECT count(*) FROM touches")[0][0] == 9
        assert {r[0].split("#")[1] for r in s.rows("SELECT source FROM ingest_log")} == {"评价流水", "说明"}
    missing = runner.invoke(app, ["ingest", str(TWINS / "merged.xlsx"), "--sheet", "no such", "--db", str(db)])
    assert missing.exit_code == 2 and "Traceback" not in missing.output, missing.output  # refused, its sheets named
    assert "has no sheet 'no such'; its sheets are: 评价流水, 说明" in " ".join(missing.output.split())
    zh = runner.invoke(app, ["--lang", "zh", "ingest", str(TWINS / "merged.xlsx"), "--sheet", "Sheet1",
                             "--db", str(db)])
    assert zh.exit_code == 2 and "工作簿中没有工作表“Sheet1”；现有工作表：评价流水, 说明" in zh.output
    assert "1 个文件被整体拒收" in zh.output
    with connect(str(db)) as s:
        assert s.rows("SELECT count(*) FROM touches")[0][0] == 9  # nothing more stored


def test_the_two_row_header_by_hand():
    merged = [((0, 1), (0, 2)), ((0, 0), (1, 0)), ((0, 3), (1, 3))]
    assert header_names(["流水号", "评价", "", "备注"], ["", "柜台", "离开", ""], merged, (0, 0)) == (
        ["流水号", "评价/柜台", "评价/离开", "备注"], 2)
    assert header_names(["a", "b"], ["1", "2"], [], (0, 0)) == (["a", "b"], 1)  # no merge: one header row
    # no merge information (.xls, .ods): a blank top cell with a word below joins the group on its left
    assert header_names(["流水号", "评价", "", "备注"], ["", "柜台", "离开", ""], None, (0, 0)) == (
        ["流水号", "评价/柜台", "评价/离开", "备注"], 2)
    assert header_names(["id", "", "x"], ["1", "2", "3"], None, (0, 0)) == (["id", "", "x"], 1)  # data below


def test_rows_are_numbered_as_excel_shows_them():
    chunks = list(read_excel(TWINS / "merged.xlsx", "auto", 4, lambda _: None, sheet="评价流水"))
    numbers = [n for c in chunks for n in c.numbers]
    assert numbers == [3, 4, 5, 6, 7, 8, 10, 11, 12, 13]  # row 9 is blank
    first = chunks[0].to_arrow().to_pylist()[0]
    assert first["触点/开始时间"] == "2026-11-02 09:15:00" and first["服务/评分"] == "5" and first["触点/序号"] == "1"


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=st.characters(codec="gbk", categories=["Lo", "Ll", "Lu", "Nd", "Zs", "Po"]), min_size=8,
               max_size=200).filter(lambda t: any(ord(c) > 0x2E80 for c in t) and "\n" not in t))
def test_detection_reads_what_was_written(tmp_path_factory, text):
    """Chinese text written in GBK is read back as written (GB18030, its superset), in UTF-8 as UTF-8."""
    folder = tmp_path_factory.mktemp("enc")
    for encoding in ("gbk", "utf-8"):
        path = folder / f"{encoding}.csv"
        body = f"hall_id,comment\n天河北厅,{text}\n营业厅,{text}\n"
        path.write_bytes(body.encode(encoding))
        assert path.read_bytes().decode(detect_encoding(path)) == body


def test_an_unreadable_workbook_is_quarantined_not_raised(tmp_path):
    bad = tmp_path / "broken.xlsx"
    bad.write_bytes(b"PK\x03\x04 not really a zip")
    db = ingest(tmp_path, "bad", str(bad))
    with connect(str(db)) as s:
        assert s.rows("SELECT code FROM quarantine") == [("unreadable",)]


@pytest.mark.parametrize("suffix", [".xls", ".ods"])
def test_other_workbook_suffixes_are_read(suffix):
    from peakend.ingest.readers import file_format

    assert file_format(Path("x" + suffix)) == "excel"


def test_utf8_with_one_damaged_byte_stays_utf8_and_the_row_is_quarantined(tmp_path):
    good = "".join(f"V{i},天河北厅,离开时很满意\n" for i in range(200))
    path = tmp_path / "damaged.csv"
    path.write_bytes(b"visit_id,hall_id,comment\n" + good.encode() + "V9,天河北厅,坏".encode()[:-1] + b"\n")
    assert detect_encoding(path) == "utf-8"  # not GB18030, which would read every line wrongly
