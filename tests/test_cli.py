"""The command line, as a user runs it: demo, ingest with bad files, blueprint, report."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from peakend.blueprint.load import default_text
from peakend.cli import app
from peakend.i18n import click_said
from tests.conftest import demo_copy

runner = CliRunner()


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory) -> Path:
    """`peakend demo --days 3` (the run's shared one, copied: these tests write to it)."""
    folder = tmp_path_factory.mktemp("demo") / "d"
    said = demo_copy(tmp_path_factory, 3, folder)
    assert "Open the report" in said
    return folder


def test_demo_goes_through_ingest_and_reports(demo_dir):
    import duckdb

    con = duckdb.connect(str(demo_dir / "peakend.duckdb"), read_only=True)
    halls = con.execute("SELECT count(*), min(visits) FROM hall_scores").fetchall()[0]
    assert halls[0] == 8 and halls[1] > 0
    logged = {r[0] for r in con.execute("SELECT kind FROM ingest_log").fetchall()}
    assert {"touch", "survey", "audit", "visit+touch+survey"} <= logged  # files went through ingest
    assert con.execute("SELECT count(*) FROM quarantine WHERE source LIKE '%errors.csv'").fetchall()[0][0] == 6
    assert con.execute("SELECT count(*) FROM surveys").fetchall()[0][0] > 100


def test_report_is_self_contained_and_bilingual(demo_dir):
    html = (demo_dir / "report.html").read_text("utf-8")
    assert "营业厅排名" in html and "Network ranking" in html
    assert "改进收益排名" in html and "Lift ranking" in html
    assert "天河北厅" in html and "Tianhe North" in html and "vegaEmbed" in html  # hall names in both languages
    assert not re.search(r"<script[^>]+src=", html) and not re.search(r"<link[^>]+href=\"http", html)
    for chart in ("ranking", "heatmap", "falls", "lift", "models"):
        assert f'data-chart="{chart}"' in html and f'"{chart}": {{' in html


def test_the_report_opens_in_its_language_and_says_so(tmp_path):
    """`--lang en` writes a report whose page is English (`<html lang="en">`, the English half shown first, the
    script's default), `--lang zh` a Chinese one; both halves are in each. A store of touches only, one hall."""
    from tests.test_any_store import build

    db = str(tmp_path / "s.duckdb")
    build(db, {"halls": 1, "moments": 0, "times": True, "ratings": "some", "surveys": False, "staff": False,
               "customers": False, "days": 3, "seed": 1})
    assert runner.invoke(app, ["score", "--db", db]).exit_code == 0
    for lang in ("en", "zh"):
        out = tmp_path / f"r-{lang}.html"
        assert runner.invoke(app, ["--lang", lang, "report", "--db", db, "-o", str(out)]).exit_code == 0
        html = out.read_text("utf-8")
        assert re.findall(r'<html lang="(\w+)">|<body class="([\w-]+)">', html) == [(lang, ""), ("", f"show-{lang}")]
        assert f'|| "{lang}";' in html and "营业厅排名" in html and "Network ranking" in html
        assert re.search(r": 1 hall, \d+ visits, \d+ touches\.", html) and "1 halls" not in html


def test_the_report_names_answers_and_the_blueprint_in_words(tmp_path):
    """One hall whose surveys asked overall satisfaction and recommend (nothing else): the verdict and the
    comparison table name it (总体满意度 / overall satisfaction), never the id `overall`; the weights name the
    blueprint by its name (the built-in's 电信营业厅服务蓝图), not its id; the loyalty note lists what was asked,
    with no telecom "switching"."""
    from html import unescape

    from tests.test_any_store import build

    db = str(tmp_path / "s.duckdb")
    build(db, {"halls": 1, "moments": 0, "times": True, "ratings": "all", "surveys": True, "staff": False,
               "customers": False, "days": 3, "seed": 1})
    assert runner.invoke(app, ["score", "--db", db]).exit_code == 0
    out = tmp_path / "r.html"
    assert runner.invoke(app, ["report", "--db", db, "-o", str(out)]).exit_code == 0
    html = out.read_text("utf-8")
    text = unescape(re.sub(r"<script.*?</script>|<style.*?</style>", "", html, flags=re.S))
    assert "在预测“总体满意度”上" in text and "in predicting overall satisfaction" in text
    assert "“overall”" not in text and "predicting overall:" not in text and "<td>overall</td>" not in text
    assert "问卷所问各组成部分（总体满意度、推荐意愿）" in text
    assert "the components the surveys asked (overall satisfaction, likelihood to recommend)" in text
    assert "转网" not in text and "switching" not in text and "telecom_hall" not in text
    assert "蓝图“电信营业厅服务蓝图”设定" in text and "blueprint 'Telecom business hall service blueprint' sets" in text


def test_ingest_prints_summary_and_never_a_traceback(tmp_path):
    db = str(tmp_path / "s.duckdb")
    bad = tmp_path / "bad.csv"
    bad.write_bytes(
        b"visit_id,hall_id,moment_id,rating,rating_scale\nv1,H,leaving,5,1-5\nv2,H,nope,9,1-5\nv3,\xff\xfe,x\n"
    )
    empty = tmp_path / "empty.jsonl"
    empty.write_bytes(b"")
    result = runner.invoke(app, ["ingest", str(bad), str(empty), "--db", db])
    assert result.exit_code == 1, result.output  # 2 of 3 rows quarantined: more than half, a script must notice
    assert "2 of 3 rows (67%) were quarantined, more than 50%" in " ".join(result.output.split())  # (wrapped)
    assert "Traceback" not in result.output
    assert ("3 rows read: 1 stored, 0 already there, 0 corrected, 0 stored with a warning, 0 in conflict, "
            "2 quarantined") in result.output
    assert "the file is empty" in result.output
    listed = runner.invoke(app, ["quarantine", "--db", db])
    assert "row 3: field 'moment_id' expected one of" in listed.output
    zh = runner.invoke(app, ["--lang", "zh", "quarantine", "--db", db])
    assert "第 3 行" in zh.output
    fine = tmp_path / "fine.csv"
    fine.write_text("visit_id,hall_id,moment_id,rating,rating_scale\nv4,H,leaving,5,1-5\nv5,H,nope,4,1-5\n")
    assert runner.invoke(app, ["ingest", str(fine), "--db", db]).exit_code == 0  # half: not more than half
    unknown = tmp_path / "own-words.csv"  # rows nothing tells the kind of: refused as a whole, every row counted
    unknown.write_text("网点,客户号,评分\n东城,C1,4\nB,C2,5\n", "utf-8")
    whole = runner.invoke(app, ["--lang", "en", "ingest", str(unknown), "--db", db])
    assert whole.exit_code == 1 and "2 of 2 rows (100%) were quarantined" in " ".join(whole.output.split())


def test_score_and_report_on_empty_store_say_what_to_do(tmp_path):
    db = str(tmp_path / "e.duckdb")
    result = runner.invoke(app, ["score", "--db", db])
    assert result.exit_code == 1 and "peakend ingest" in result.output
    result = runner.invoke(app, ["report", "--db", db, "--out", str(tmp_path / "r.html")])
    assert result.exit_code == 1 and "peakend score" in result.output


def test_blueprint_check_and_show(tmp_path):
    good = tmp_path / "bp.yaml"
    good.write_text(default_text(), "utf-8")
    result = runner.invoke(app, ["blueprint", "check", str(good)])
    assert result.exit_code == 0 and "is valid" in result.output
    bad = tmp_path / "bad.yaml"
    bad.write_text(default_text().replace("- id: approach", "- id: find_hall"), "utf-8")
    result = runner.invoke(app, ["blueprint", "check", str(bad)])
    assert result.exit_code == 1 and "duplicate id 'find_hall'" in result.output
    shown = runner.invoke(app, ["blueprint", "show"])
    assert shown.exit_code == 0 and "离开" in shown.output and "Leaving" in shown.output


def test_compare_prints_models(demo_dir):
    result = runner.invoke(app, ["compare", "--db", str(demo_dir / "peakend.duckdb"), "--target", "promoter"])
    assert result.exit_code == 0, result.output
    assert "AUC" in result.output and "峰值+终值" in result.output


def test_live_replay_and_tick(tmp_path):
    db = str(tmp_path / "live.duckdb")
    day = Path(__file__).parent / "data" / "recorded_day.jsonl"
    result = runner.invoke(app, ["live", "replay", str(day), "--db", db, "--sms", f"file:{tmp_path / 'sms.jsonl'}"])
    assert result.exit_code == 0, result.output
    said = "25 events: 23 stored, 0 rejected; fired 3 alerts, 2 cases, 3 surveys, 1 advice; 7 timers ran"
    assert said in result.output
    tick = runner.invoke(app, ["live", "tick", "--db", db, "--sms", f"file:{tmp_path / 'sms.jsonl'}"])
    assert tick.exit_code == 0 and "0 timers ran" in tick.output
    assert len((tmp_path / "sms.jsonl").read_text("utf-8").splitlines()) == 3


def test_the_command_line_loads_no_heavy_library_before_a_command_runs():
    """`peakend --help` answers at once: the libraries of the commands load only when one runs (bench_cli.py)."""
    import subprocess
    import sys

    code = ("import sys, peakend.cli; heavy = {'pandas', 'ibis', 'duckdb', 'fastapi', 'numpy', 'pyarrow', 'altair'}; "
            "print(sorted(heavy & set(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_the_chinese_help_wraps_and_cuts_no_command_s_sentence():
    import os
    import subprocess
    import sys

    env = {**os.environ, "COLUMNS": "80", "PEAKEND_LANG": "zh"}
    out = subprocess.run([sys.executable, "-m", "peakend.cli", "--help"], capture_output=True, text=True,
                         env=env, check=True).stdout
    assert "…" not in out  # rich broke zh only at spaces, and cut the rest with an ellipsis
    assert "导入事件文件；错误行进入隔离区，并注明文件、行和字段。" in re.sub(r"[│\s]", "", out)
    score = subprocess.run([sys.executable, "-m", "peakend.cli", "score", "--help"], capture_output=True, text=True,
                           env=env, check=True).stdout
    for said in (out, score):  # Click's and Typer's own words too: the usage line, --help, the completion options
        assert "用法：" in said and "显示本帮助并退出。" in said
        assert not re.search(r"Usage|Show this|completion for", said), said
    assert "为当前 shell 安装命令补全。" in out


def test_click_s_usage_errors_in_chinese_under_lang_zh():
    import os
    import subprocess
    import sys

    env = {**os.environ, "COLUMNS": "200"}
    run = subprocess.run([sys.executable, "-m", "peakend.cli", "--lang", "zh", "ingest", "nothere.csv"],
                         capture_output=True, text=True, env=env)
    assert run.returncode == 2
    assert "运行 'python -m peakend.cli ingest --help' 查看帮助。" in run.stderr
    assert "─ 错误 ─" in run.stderr and "'files' 的值无效：路径 'nothere.csv' 不存在。" in run.stderr
    assert not re.search(r"Try|Invalid|Error|exist", run.stderr), run.stderr
    said = {  # Click's words → the session's, by hand
        "Missing argument 'files'.": "缺少参数 'files'。",
        "No such option: --kindx (Possible options: --kind)": "没有选项 --kindx（可能的选项：--kind）",
        "No such command 'ingestx'. Did you mean 'ingest', 'digest'?":
            "没有子命令 'ingestx'。是否要用 'ingest', 'digest'？",
        "Option '--kind' requires an argument.": "选项 '--kind' 需要一个值。",
        "Got unexpected extra argument(s) (a b)": "多余的参数（a b）",
        "Invalid value for 'file': file 'data' is a directory.": "'file' 的值无效：'data' 是文件夹，此处应为文件。",
        "Invalid value for '--limit': Input should be a valid integer, unable to parse string as an integer":
            "'--limit' 的值无效：应为整数",
        "Invalid value for '--days': Input should be greater than or equal to 1": "'--days' 的值无效：应大于或等于 1",
    }
    for en, zh in said.items():
        assert (click_said(en, "zh"), click_said(en, "en")) == (zh, en)


def test_blueprint_check_tells_every_problem_in_chinese(tmp_path, monkeypatch):
    monkeypatch.setenv("PEAKEND_LANG", "zh")
    broken = tmp_path / "b.yaml"
    broken.write_text(default_text().replace("    role: end\n", "    role: ending\n", 1).replace(
        "moments: [entering, greeting, self_service, leaving]", "moments: [entering, greting, self_service, leaving]"),
        "utf-8")
    result = runner.invoke(app, ["blueprint", "check", str(broken)])
    assert result.exit_code == 1 and "发现 3 个问题" in result.output
    assert "moments[15].role: 应为 'peak', 'end' 或 'key' 之一\n    → 请使用所列的值之一" in result.output
    assert "names unknown moment 'greting'" in result.output and "Input should" not in result.output


def test_compare_writes_csv_and_json_and_refuses_another_format(demo_dir):
    import csv
    import io
    import json

    db = str(demo_dir / "peakend.duckdb")
    body = json.loads(runner.invoke(app, ["compare", "--db", db, "--format", "json"]).output)
    assert {"zh", "en", "winner", "p"} <= set(body["verdict"]) and body["verdict"]["en"]
    assert {m["model"] for m in body["models"]} >= {"mean", "peak_end"}
    assert {m["target"] for m in body["models"]} == {"overall"}
    rows = list(csv.DictReader(io.StringIO(runner.invoke(app, ["compare", "--db", db, "--format", "csv"]).output)))
    assert [r["model"] for r in rows] == [m["model"] for m in body["models"]]  # the same models, in the same order
    bad = runner.invoke(app, ["compare", "--db", db, "--format", "xml"])
    assert bad.exit_code == 2 and "--format: expected one of table, csv, json, got 'xml'" in bad.output


def test_options_out_of_their_range_stop_with_exit_code_2_and_say_why(tmp_path):
    moment = runner.invoke(app, ["blueprint", "show", "--moment", "nope"])
    assert moment.exit_code == 2 and "--moment: expected one of" in moment.output and "leaving" in moment.output
    one = runner.invoke(app, ["blueprint", "show", "--moment", "leaving"])
    assert one.exit_code == 0 and "leaving, end" in one.output
    db = tmp_path / "s.duckdb"
    kind = runner.invoke(app, ["ingest", str(Path(__file__)), "--kind", "nope", "--db", str(db)])
    assert kind.exit_code == 2 and "--kind: expected one of touch, visit, survey, audit" in kind.output
    named = runner.invoke(app, ["hall", "name", "H1", "--zh", " ", "--en", "x", "--db", str(db)])
    assert named.exit_code == 2 and "--zh/--en: expected one of 1–200 characters each" in named.output
    engine = runner.invoke(app, ["score", "--engine", "postgres", "--db", str(db)])
    assert engine.exit_code == 2 and "does not score this store (duckdb)" in engine.output
    neither = runner.invoke(app, ["blueprint", "new", str(tmp_path / "bp.yaml")])
    assert neither.exit_code == 2 and "expected one of one of them" in neither.output
    assert not db.exists()  # each refused before a store was opened


def test_ingest_reads_a_touch_log_named_in_its_own_words_as_touches(tmp_path):
    """A log whose columns are `moment`, `rating`, `time` is long (a column holds the moment): its rows are touches,
    as the import page reads it (`suggest.shape`), not visits."""
    import duckdb

    log = tmp_path / "pad.csv"
    log.write_text("visit_id,hall_id,moment,rating,time\nv1,H1,entering,4,2026-10-01 10:00\n"
                   "v1,H1,leaving,5,2026-10-01 10:20\nv2,H1,entering,2,2026-10-01 11:00\n", "utf-8")
    db = tmp_path / "s.duckdb"
    result = runner.invoke(app, ["ingest", str(log), "--db", str(db), "--rating-scale", "1-5"])
    assert result.exit_code == 0, result.output
    assert "3 stored" in result.output and "touches: 3 new" in result.output, result.output
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT visit_id, moment_id, rating FROM touches ORDER BY visit_id, seq, moment_id"
                       ).fetchall() == [("v1", "entering", 4.0), ("v1", "leaving", 5.0), ("v2", "entering", 2.0)]
    assert con.execute("SELECT count(*) FROM touches WHERE start_at IS NULL").fetchall()[0][0] == 0  # time read


def test_tables_and_notes_in_chinese_under_lang_zh(demo_dir, monkeypatch):
    """`--lang zh`: the staff, drivers and fit tables' headers, a driver's target and the fit's notes in Chinese;
    no share printed as -0.0."""
    monkeypatch.setenv("PEAKEND_LANG", "zh")  # restored after the test (--lang holds for the rest of the process)
    db = str(demo_dir / "peakend.duckdb")
    staff = runner.invoke(app, ["--lang", "zh", "staff", "--db", db]).output
    assert "营业厅" in staff and "负向峰值" in staff and "neg. peak" not in staff and "touches" not in staff, staff
    drivers = runner.invoke(app, ["--lang", "zh", "loyalty", "--db", db, "--hall", "天河北厅"]).output
    assert "推荐意愿 的关键驱动因素" in drivers and "重要性 %" in drivers, drivers
    assert "importance" not in drivers and "quadrant" not in drivers and not re.search(r"(?<![\d.])-0\.0\b", drivers)
    fit = runner.invoke(app, ["--lang", "zh", "fit", "天河北厅", "--reps", "2", "--db", db, "--out",
                              str(demo_dir / "fit.yaml")]).output
    notes = [line for line in fit.splitlines() if line.startswith("说明：")]
    assert notes and not any(re.search(r"[A-Za-z]{5,} [a-z]{3,}", n) for n in notes), notes  # no English sentence
    assert "时段" in fit and "有效人数" in fit, fit
