"""Every command on every shape of store: generated stores (Hypothesis) of the shapes a new user brings — touches
with or without times and ratings, surveys or none, staff or none, customer keys or none, one hall or several, a
custom blueprint of one or a few moments or the built-in one, one day or months — and every read command on each:
no traceback, and no `nan`, `NaT`, `None` or `-0.0` printed."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from urllib.parse import quote

import numpy as np
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from peakend.blueprint.new import new_blueprint_text
from peakend.cli import app as cli
from peakend.ingest.pipeline import ingest_records
from peakend.service import Workspace
from peakend.store.db import connect

SHAPE = st.fixed_dictionaries({
    "halls": st.sampled_from([1, 3]), "moments": st.sampled_from([0, 1, 3]),  # 0: the built-in blueprint
    "times": st.booleans(), "ratings": st.sampled_from(["all", "some", "none"]), "surveys": st.booleans(),
    "staff": st.booleans(), "customers": st.booleans(), "days": st.sampled_from([1, 40]), "seed": st.integers(0, 9)})
BAD_WORDS = re.compile(r"(?<![\w.])(nan|NaN|NaT|None|-0\.0+)(?![\w.])")
COMMANDS = [["score"], ["compare"], ["calibrate", "--boot", "50"], ["loyalty", "--no-drivers"], ["staff"],
            ["train", "effects"], ["quarantine"], ["hall", "list"], ["blueprint", "show"], ["blueprint", "versions"],
            ["activity", "verify"], ["train", "search", "等待"]]


def build(db: str, shape: dict) -> list[str]:
    """A store of `shape` at `db`; its hall ids."""
    rng = np.random.default_rng(shape["seed"])
    halls = [f"厅{i}" for i in range(shape["halls"])]
    with connect(db) as store:
        ws = Workspace(store)
        if shape["moments"]:
            ws.blueprints.save(new_blueprint_text([f"步骤{i}" for i in range(shape["moments"])], "svc"), "test")
        bp = ws.blueprint
        moments, start = bp.moment_ids(), datetime(2026, 9, 1, 9)
        touches, surveys = [], []
        for v in range(60):
            at = start + timedelta(days=int(rng.integers(0, shape["days"])), minutes=int(rng.integers(0, 480)))
            visit = {"visit_id": f"v{v}", "hall_id": halls[v % len(halls)]}
            if shape["customers"]:
                visit["customer_key"] = f"1380000{v % 20:04d}"
            for k, m in enumerate(moments[: int(rng.integers(1, len(moments) + 1))]):
                t = {**visit, "touch_id": f"v{v}-{k}", "moment_id": m, "seq": k}
                if shape["times"]:
                    t["start_at"] = str(at + timedelta(minutes=5 * k))
                if shape["ratings"] == "all" or (shape["ratings"] == "some" and rng.random() < 0.5):
                    t |= {"rating": int(rng.integers(1, 6)), "rating_scale": "1-5"}
                if shape["staff"]:
                    t["staff_id"] = f"s{v % 4}"
                touches.append(t)
            if shape["surveys"]:
                surveys.append({"visit_id": f"v{v}", "overall": int(rng.integers(1, 6)), "overall_scale": "1-5",
                                "recommend": int(rng.integers(0, 11)), "comment": "排队太久了" if v % 3 else "很好"})
        ctx = ws.files.context()
        assert not ingest_records(store, touches, "touch", ctx, "gen").problems
        if surveys:
            assert not ingest_records(store, surveys, "survey", ctx, "gen").problems
    return halls


@settings(max_examples=2, deadline=None, derandomize=True, phases=[Phase.explicit, Phase.generate],
          suppress_health_check=list(HealthCheck))
@given(SHAPE)
def test_every_command_on_every_shape_of_store(tmp_path_factory, shape):
    folder = tmp_path_factory.mktemp("shape")
    db = str(folder / "s.duckdb")
    halls = build(db, shape)
    runner = CliRunner()
    commands = [*COMMANDS, ["report", "-o", str(folder / "r.html")], ["digest", "--out", str(folder / "mail")],
                ["fit", halls[0], "--reps", "2", "--out", str(folder / "f.yaml")]]
    for args in commands:
        done = runner.invoke(cli, [*args, "--db", db])
        said = f"{shape} {args}: {done.output[-2000:]}"
        assert done.exception is None or isinstance(done.exception, SystemExit), said + repr(done.exception)
        assert done.exit_code in (0, 1, 2) and "Traceback" not in done.output, said
        assert done.exit_code == 0 or done.output.strip(), said  # a refusal says why
        assert not BAD_WORDS.search(done.output), said


PAGES = ["/", "/halls/{hall}", "/halls/{hall}/moments/{moment}", "/visits/{visit}", "/halls/{hall}/whatif",
         "/staff", "/comments", "/audits", "/audit", "/quality", "/admin/activity", "/training", "/cases", "/blueprint",
         "/blueprint/versions", "/blueprint/yaml", "/blueprint/edit", "/import", "/setup"]
ROLES = {"admin": None, "manager": 0, "auditor": 0, "staff": 0}  # the hall (by index) each one's scope holds
LANGS = {"admin": ("zh", "en"), "manager": ("zh",), "auditor": ("en",), "staff": ("zh",)}  # each page in both
HIDDEN = re.compile(r"<(script|style|template)\b.*?</\1>|<[^>]+>", re.S)


def visible(html: str) -> str:
    """A page's text as a reader sees it (no tags, scripts or styles)."""
    import html as entities

    return entities.unescape(HIDDEN.sub(" ", html))


def pages_of(shape: dict, halls: list[str], db: str) -> list[str]:
    """Every page of the store at `db`, with its ids filled in from the store."""
    from urllib.parse import quote

    with connect(db) as store:
        ws = Workspace(store)
        moment = ws.blueprint.moment_ids()[-1]
        visit = str(store.scalar("SELECT min(visit_id) FROM visits"))
    return [p.format(hall=quote(halls[0]), moment=moment, visit=quote(visit)) for p in PAGES]


@settings(max_examples=3, deadline=None, derandomize=True, phases=[Phase.explicit, Phase.generate],
          suppress_health_check=list(HealthCheck))
@given(SHAPE)
def test_every_page_on_every_shape_of_store_in_both_languages_as_every_role(tmp_path_factory, shape):
    """Every page, scored store or not, before and after its jobs ran, as each role (the admin in zh and en, the
    others in one language each): no 5xx, and no `nan`, `NaT`, `None` or `-0.0` a reader would see."""
    from fastapi.testclient import TestClient

    from peakend.web.app import create_app
    from tests.conftest import run_jobs, signed_in

    folder = tmp_path_factory.mktemp("pages")
    db = str(folder / "s.duckdb")
    halls = build(db, shape)
    assert CliRunner().invoke(cli, ["score", "--db", db]).exit_code == 0
    paths = pages_of(shape, halls, db)
    app = create_app(db, secret="s")
    try:
        for role, hall in ROLES.items():
            app.state.peakend.ws.people.add_user(role, "pass-word-1", role, None if hall is None else [halls[hall]])
        clients: dict[str, TestClient] = {role: signed_in(app, role, "pass-word-1") for role in ROLES}
        for rounds in range(2):  # first load (jobs queued), then after the jobs ran
            for role, c in clients.items() if rounds else [("admin", clients["admin"])]:  # first loads: admin
                for path in paths:
                    for lang in LANGS[role]:
                        page = c.get(path, params={"lang": lang})
                        said = f"{shape} {role} {path} {lang} round {rounds}: {page.status_code}"
                        assert page.status_code < 500, said + page.text[-1500:]
                        bad = BAD_WORDS.search(visible(page.text)) if page.status_code == 200 else None
                        assert bad is None, said + " " + visible(page.text)[max(0, bad.start() - 300):bad.end() + 100]
            run_jobs(app)
    finally:
        app.state.peakend.store.close()


def test_a_removed_moment_keeps_its_last_name_and_no_dead_link(tmp_path):
    """A moment taken out of the blueprint still has scores: the hall page names it by its last name (not its id)
    and links only the moments the blueprint has (a removed one's page is a 404)."""
    from urllib.parse import quote

    from peakend.web.app import create_app
    from tests.conftest import signed_in

    db = str(tmp_path / "s.duckdb")
    shape = {"halls": 1, "moments": 3, "times": True, "ratings": "all", "surveys": False, "staff": False,
             "customers": False, "days": 1, "seed": 1}
    halls = build(db, shape)  # moments 步骤0, 步骤1, 步骤2
    assert CliRunner().invoke(cli, ["score", "--db", db]).exit_code == 0
    with connect(db) as store:
        ws = Workspace(store)
        before = dict(zip(ws.blueprint.moment_ids(), ["步骤0", "步骤1", "步骤2"], strict=True))
        ws.blueprints.save(new_blueprint_text(["步骤0", "结束"], "svc"), "test")
        kept = ws.blueprint.moment_ids()
    gone = {m: name for m, name in before.items() if m not in kept}
    assert gone
    app = create_app(db, secret="s")
    try:
        app.state.peakend.ws.people.add_user("boss", "pass-word-1", "admin", None)
        c = signed_in(app, "boss", "pass-word-1")
        hall = f"/halls/{quote(halls[0])}"
        page = c.get(hall, params={"lang": "zh"}).text
        table = page.split('id="moments"')[1].split("</table>")[0]
        for m, name in gone.items():
            assert f"<td>{name} <small" in table and "（已从蓝图删除）" in table and f">{m}<" not in table
            assert f"/moments/{m}\"" not in page  # no link to its page, a 404
            assert c.get(f"{hall}/moments/{m}").status_code == 404
        assert f"/moments/{kept[0]}\"" in table  # the blueprint's own moments are linked
    finally:
        app.state.peakend.store.close()


def test_one_time_format_on_every_page(tmp_path):
    """Times read `2026-10-03 11:05` whatever they were (a datetime with microseconds, ISO text with `T`, a
    timestamp); a day is a day, a missing time a dash, other text as it is; the versions page shows no microseconds."""
    from datetime import date
    from datetime import datetime as dt

    import pandas as pd

    from peakend.web.app import create_app
    from peakend.web.pages import when
    from tests.conftest import signed_in

    assert when(dt(2026, 10, 3, 11, 5, 42, 123456)) == "2026-10-03 11:05"
    assert when("2026-10-03T11:05:42.5+08:00") == "2026-10-03 11:05"
    assert when(pd.Timestamp("2026-10-03 09:00")) == "2026-10-03 09:00"
    assert when(date(2026, 10, 3)) == "2026-10-03" and when("2026-10-03") == "2026-10-03"
    assert when(None) == when(pd.NaT) == when(float("nan")) == "–" and when("walk-in") == "walk-in"
    app = create_app(str(tmp_path / "s.duckdb"), secret="s")
    try:
        ws = app.state.peakend.ws
        ws.blueprints.save(new_blueprint_text(["排队", "办理"], "svc"), "test")
        ws.people.add_user("boss", "pass-word-1", "admin", None)
        page = signed_in(app, "boss", "pass-word-1").get("/blueprint/versions?lang=en").text
        shown = page.split('id="versions"')[1].split("</table>")[0]
        assert re.search(r"<td>\d{4}-\d\d-\d\d \d\d:\d\d</td>", shown), shown
        assert not re.search(r"\d\d:\d\d:\d\d\.\d|\dT\d", shown), shown
    finally:
        app.state.peakend.store.close()


def test_a_hall_without_times_says_why_it_has_no_day(tmp_path):
    """Touches with no time at all (no start, no arrival): the hall page shows no "today" zeros but says why, and
    why its live cards miss the imported data; the network page's 7-day change says it needs times — each in the
    page's language. A hall of the same store with times (one day of them) shows the day's figures, and its change
    says the span is too short instead."""
    from fastapi.testclient import TestClient

    from peakend.web.app import create_app
    from tests.conftest import signed_in

    db = str(tmp_path / "t.duckdb")
    shape = {"halls": 1, "moments": 3, "times": False, "ratings": "all", "surveys": False, "staff": False,
             "customers": False, "days": 1, "seed": 0}
    [timeless] = build(db, shape)
    timed = "有时间的厅"
    with connect(db) as store:
        ws = Workspace(store)
        touches = [{"visit_id": f"t{v}", "hall_id": timed, "touch_id": f"t{v}-{k}", "moment_id": m, "seq": k,
                    "start_at": f"2026-09-01 10:{v:02d}", "rating": 1 + (v + k) % 5, "rating_scale": "1-5"}
                   for v in range(12) for k, m in enumerate(ws.blueprint.moment_ids())]
        assert not ingest_records(store, touches, "touch", ws.files.context(), "gen").problems
    assert CliRunner().invoke(cli, ["score", "--db", db]).exit_code == 0
    reasons = {"zh": ("无时间：7 天变化需要触点或来访时间", "数据不足："),
               "en": ("no times: the change over 7 days needs touch or visit times", "too short: ")}
    app = create_app(db, secret="s")
    try:
        app.state.peakend.ws.people.add_user("boss", "pass-word-1", "admin")
        c: TestClient = signed_in(app, "boss", "pass-word-1")
        for hall, times in ((timeless, False), (timed, True)):
            en = c.get(f"/halls/{quote(hall)}", params={"lang": "en"}).text
            zh = c.get(f"/halls/{quote(hall)}", params={"lang": "zh"}).text
            assert ('id="today-none"' in en) is not times and ('id="today"' in en) is times
            assert ('id="live-no-times"' in en) is not times and ('id="live-no-times"' in zh) is not times
            if not times:
                assert "No touch of this hall has a time" in en and "本厅的触点都没有时间" in zh
                assert "count only live events" in en and "导入的数据不计入" in zh
        for lang, said in reasons.items():
            network = c.get("/", params={"lang": lang}).text
            rows = {visible(r).split()[1]: visible(r) for r in network.split("<tr>")[2:4]}  # by hall name
            assert said[0] in rows[timeless] and said[1] not in rows[timeless], rows
            assert said[1] in rows[timed] and said[0] not in rows[timed], rows
        from tests.conftest import run_jobs

        c.get(f"/halls/{quote(timeless)}/whatif")
        run_jobs(app)  # the what-if's fit fails: no arrival or touch time; told once, not also as a failed job
        whatif = c.get(f"/halls/{quote(timeless)}/whatif", params={"lang": "zh"}).text
        assert whatif.count("来访和触点都没有时间") == 1 and "计算失败" not in whatif and "`" not in whatif
    finally:
        app.state.peakend.store.close()


def test_the_lift_chart_names_each_moment_whole_above_its_bar():
    """Lift bars carry their moment's name above them as text as wide as the chart (no axis label cut at a fixed
    width on a phone), the hall left out when all the bars are one hall's, and the full name in the tooltip."""
    import json

    import pandas as pd

    from peakend.report.charts import lift_bars

    long = "柜台业务办理与身份核验（含开户、挂失与大额取现的全部手续）"
    top = pd.DataFrame({"hall_id": ["厅0", "厅0"], "moment_zh": [long, "离开"], "lift": [3.0, 1.0],
                        "affected_visits": [9, 4]})
    spec = json.loads(lift_bars(top, "zh").to_json())
    text = next(layer for layer in spec["layer"] if layer["mark"]["type"] == "text")
    assert text["encoding"]["text"]["field"] == "pair" and text["mark"]["limit"] == {"expr": "max(width, 40)"}
    assert [r["pair"] for r in spec["datasets"][spec["data"]["name"]]] == [long, "离开"]
    assert all(layer["encoding"]["y"]["axis"] is None for layer in spec["layer"])  # no axis labels to clip
    two = json.loads(lift_bars(top.assign(hall_id=["厅0", "厅1"]), "zh").to_json())
    assert [r["pair"] for r in two["datasets"][two["data"]["name"]]] == [f"厅0 · {long}", "厅1 · 离开"]


def test_distinct_halls_are_the_same_on_either_store_with_or_without_an_index(store):
    """`Store.distinct` (on PostgreSQL a step from value to value down an index that leads with the column, else a
    DISTINCT) gives every non-null value once, in order: halls of visits (indexed), of audits (not), of none."""
    assert store.distinct("visits", "hall_id") == [] == store.distinct("audits", "hall_id")
    halls = ["南站", "A1", "a1", "B", "北站"]
    store.executemany("INSERT INTO visits (visit_id, hall_id) VALUES (?, ?)",
                      [(f"v{i}", halls[i % len(halls)]) for i in range(23)])
    store.executemany("INSERT INTO audits (audit_id, hall_id, item, passed, audited_at) VALUES (?, ?, 'x', TRUE, "
                      "TIMESTAMP '2026-01-01 10:00:00')", [(f"a{i}", halls[i % 2]) for i in range(5)])
    expected = [r[0] for r in store.rows("SELECT DISTINCT hall_id FROM visits ORDER BY 1")]
    assert store.distinct("visits", "hall_id") == expected and sorted(expected) == sorted(halls)
    assert store.distinct("audits", "hall_id") == sorted(halls[:2], key=lambda h: expected.index(h))


def test_the_network_trend_from_the_day_parts_equals_the_mean_of_the_visits(tmp_path_factory, tmp_path):
    """Each hall's 7-day change, read from the day parts the score writes, equals the mean REI of its visits of the
    last 7 days minus the 7 before, worked out with pandas from every scored visit (the 3-day demo: each change is
    blank, the 7 days before are empty; so a copy with its visits moved 7 days back for half of them)."""
    from datetime import timedelta

    import pandas as pd

    from peakend.service import figures
    from tests.conftest import demo_copy

    demo_copy(tmp_path_factory, 3, tmp_path / "d")
    with connect(str(tmp_path / "d" / "peakend.duckdb")) as store:
        store.execute("UPDATE touches SET start_at = start_at - INTERVAL 7 DAY WHERE hash(visit_id) % 2 = 0")
        store.execute("UPDATE visits SET arrival = arrival - INTERVAL 7 DAY WHERE hash(visit_id) % 2 = 0")
        Workspace(store).scores.run(full=True)
        found = figures.halls(store, None).set_index("hall_id")["trend"]
        vs = store.query("SELECT hall_id, CAST(day AS VARCHAR) AS day, rei FROM visit_scores WHERE day IS NOT NULL")
        day = pd.to_datetime(vs.day).dt.date
        last, week = day.max(), timedelta(days=7)
        recent = vs[day > last - week].groupby("hall_id").rei.mean()
        before = vs[(day <= last - week) & (day > last - 2 * week)].groupby("hall_id").rei.mean()
        expected = (recent - before).reindex(found.index)
        assert found.notna().all() and len(found) == 8
        assert (found - expected).abs().max() < 1e-9
        one = found.index[3]
        assert figures.halls(store, {one})["trend"].tolist() == [found[one]]
        assert figures.halls(store, set()).empty  # a manager of no hall yet: no rows, no SQL error
