"""One language per page: a zh page shows no English id or catalogue word, an en page no Chinese one.

Every page of a small demo store is rendered in both languages (the test client, as an admin) and its visible
text — and the data its charts draw — is scanned for the ids pages must name instead (survey answers, the
blueprint's lanes, stages and zones) and for the other language's catalogue words (i18n WORDS).
"""

from __future__ import annotations

import html
import re
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from peakend.blueprint.model import CASE_KINDS
from peakend.i18n import WORDS
from peakend.live.pending import run_pending
from peakend.web.app import create_app
from tests.conftest import add_user, run_jobs

A = "天河北厅"
ANSWERS = ["overall", "recommend", "repurchase", "relationship", "switch_resist", "promoter"]
EDITORS = ("/blueprint/edit", "/blueprint/yaml")  # forms that edit the ids themselves


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    """Every page's HTML in each language, from a one-day demo whose jobs (verdicts, loyalty, comments) ran."""
    folder = tmp_path_factory.mktemp("one-language")
    app = create_app(str(folder / "demo.duckdb"), secret="one-language")
    ws = app.state.peakend.ws
    ws.demo.load(folder / "sources", days=1)
    add_user(ws.store, "admin", "admin-pass", "admin")
    c = TestClient(app, headers={"Origin": "http://testserver"})
    assert c.post("/api/v1/login", json={"username": "admin", "password": "admin-pass"}).status_code == 200
    bad = [{"touch_id": f"bad-{i}", "visit_id": "bad", "hall_id": A, "moment_id": m, "seq": i, "rating": r,
            "start_at": f"2026-10-01 11:0{i}", "rating_scale": "1-5"} for i, (m, r) in enumerate(
               [("entering", 2), ("leaving", 1)], start=1)]
    assert c.post("/api/v1/touches/batch", json=bad).status_code == 200
    st = app.state.peakend
    assert run_pending(st.store, st.blueprint, st.clock()).cases == 1  # a case (the live worker's pass, by hand)
    c.post("/cases/bad", data={"action": "comment", "text": "called back"})
    worst = ws.figures.worst_visits(A, "counter_result")
    routes = ["/", f"/halls/{quote(A)}", f"/halls/{quote(A)}/moments/counter_result", "/staff", "/audits",
              "/audits?by=item", "/audit", "/cases?status=", "/cases/bad", "/comments?q=%E6%85%A2", "/quality",
              "/admin/activity", "/training?q=queue", "/blueprint", "/blueprint/versions", "/import",
              "/admin/users", "/admin/users/admin", "/admin/tokens", "/password",
              f"/visits/{quote(str(worst.visit_id.iloc[0]))}",
              *EDITORS]
    for r in routes:  # the first visit queues each page's jobs; run them, then read the pages with their results
        c.get(r)
    run_jobs(app)
    routes.append(f"/halls/{quote(A)}/whatif")  # (its simulation left out: slow, and the page reads the same)
    routes.append(f"/halls/{quote(A)}/roster")  # (no staff, no roster: what it says when empty)
    got = {(r, lang): c.get(r + ("&" if "?" in r else "?") + f"lang={lang}") for r in routes for lang in ("zh", "en")}
    yield app.state.peakend.blueprint, got, [*ws.figures.hall_names("zh"), *ws.figures.hall_names("zh").values()]
    ws.store.close()


def visible(page: str) -> tuple[str, str]:
    """A page's visible text (no scripts, styles, tags or form field values) and its charts' specs. A refused
    record's reason (data quality) is left out: it names the values its field takes, which are ids."""
    specs = " ".join(re.findall(r'<script type="application/json"[^>]*>(.*?)</script>', page, re.S))
    page = re.sub(r'<td class="reason">.*?</td>', " ", page, flags=re.S)
    page = re.sub(r"<(script|style|textarea)\b.*?</\1>", " ", page, flags=re.S)
    page = re.sub(r"<[^>]+>", " ", page)
    return html.unescape(page), specs


def words(lang: str) -> set[str]:
    """The other language's catalogue words a page in `lang` must not show (those that differ; no templates)."""
    other = "en" if lang == "zh" else "zh"
    return {v[other] for v in WORDS.values() if v[other] != v[lang] and len(v[other]) >= 4 and "{" not in v[other]}


def found(needles, text: str) -> list[str]:
    return sorted({n for n in needles if re.search(rf"(?<![\w/#.-]){re.escape(n)}(?![\w])", text)})


def test_every_page_answered(pages):
    _, got, _ = pages
    assert {k: r.status_code for k, r in got.items() if r.status_code != 200} == {}


def test_a_zh_page_shows_no_english_id_or_word(pages):
    bp, got, _ = pages
    ids = [*ANSWERS, *CASE_KINDS, "open", "resolved", *(x.id for x in [*bp.lanes, *bp.stages, *bp.zones])]
    leaks = {}
    for (route, lang), r in got.items():
        if lang != "zh" or route in EDITORS:
            continue
        text, _ = visible(r.text)
        bad = found(ids, text) + found(words("zh"), text)
        if bad:
            leaks[route] = bad
    assert leaks == {}


def test_an_en_page_shows_no_chinese_word_or_hall_name(pages):
    bp, got, halls = pages
    ids = [x for x in [*ANSWERS, *CASE_KINDS, *(p.id for p in [*bp.lanes, *bp.stages, *bp.zones])] if "_" in x]
    zh_halls = set(halls)
    leaks = {}
    for (route, lang), r in got.items():
        if lang != "en" or route in EDITORS:
            continue
        text, specs = visible(r.text)
        bad = found(words("en"), text) + found(ids, text) + [f"chart: {h}" for h in zh_halls if h in specs]
        bad += [f"chart: {z}" for z in re.findall(r"[\u4e00-\u9fff]{2,}", specs)][:3]  # no Chinese in any chart
        if bad:
            leaks[route] = bad
    assert leaks == {}


def test_survey_answers_lanes_and_stages_by_name(pages):
    """The network's verdicts name each survey answer, the moment page its zone, lane and stage, in the page's
    language (worked out from the catalogue and the blueprint, not from the page)."""
    bp, got, _ = pages
    for lang in ("zh", "en"):
        verdicts = got[("/", lang)].text.split('id="verdicts"')[1].split("</ul>")[0]
        assert WORDS["answer_overall"][lang] in verdicts
        m = bp.moment("counter_result")
        names = {x.id: getattr(x, lang) for x in [*bp.zones, *bp.lanes, *bp.stages]}
        where = got[(f"/halls/{quote(A)}/moments/counter_result", lang)].text.split('id="moment-where">')[1]
        assert where.split("</p>")[0].endswith(" · ".join(names[x] for x in (m.zone, m.lane, m.stage)))


def test_the_peaks_and_ends_chart_gives_each_kind_one_colour_in_both_languages():
    """The end is blue and a negative peak red whatever the page's language (the colours followed the labels'
    alphabetical order, which differs between 终点/负向峰值/正向峰值 and End/Negative peak/Positive peak)."""
    import pandas as pd

    from peakend.report import charts

    falls = pd.DataFrame({"moment_en": ["A"] * 3, "moment_zh": ["甲"] * 3, "kind": ["pos_peak", "end", "neg_peak"],
                          "share": [0.1, 0.2, 0.3]})
    colours = {}
    for lang in ("zh", "en"):
        scale = charts.peaks_and_ends(falls, ["A", "甲"], lang).to_dict()["encoding"]["color"]["scale"]
        colours[lang] = dict(zip(scale["domain"], scale["range"], strict=True))
    assert colours["zh"] == {"终点": "#2166ac", "负向峰值": "#b2182b", "正向峰值": "#999999"}
    assert colours["en"] == {"End": "#2166ac", "Negative peak": "#b2182b", "Positive peak": "#999999"}


def test_the_model_chart_names_the_answer_and_its_axis_only_the_score():
    """The model comparison's axis is titled by the score alone (the error bars' low end gave "…, lo") and its
    legend names the answer in the chart's language, not its id."""
    import json

    import pandas as pd

    from peakend.report import charts

    cmp = pd.DataFrame({"model": ["mean"], "name_zh": ["仅平均"], "name_en": ["Mean only"], "score": [0.7],
                        "sd": [0.1], "metric": ["r2"], "target": ["overall"], "target_zh": ["总体满意度"],
                        "target_en": ["overall satisfaction"]})
    for lang, axis, legend in (("en", "Cross-validated score", "overall satisfaction (R2)"),
                               ("zh", "交叉验证得分", "总体满意度 (R2)")):
        spec = json.loads(charts.script_json(charts.models(cmp, lang)))
        titles = {layer["encoding"]["x"].get("title") for layer in spec["layer"]}
        assert titles == {axis}, titles
        assert [r["target_label"] for r in next(iter(spec["datasets"].values()))] == [legend]


def test_a_count_of_one_takes_the_singular_in_english():
    from peakend.i18n import one_counted, say

    assert one_counted("1 halls, 1 routes, 11 visits, 1 touches, 0.1 days, 21 rows, 1 staff members") == \
        "1 hall, 1 route, 11 visits, 1 touch, 0.1 days, 21 rows, 1 staff member"
    assert say("ingest_total", "en", files=1, stored=2, quarantined=1).startswith(
        "1 file, 2 new records, 1 row quarantined")
    assert say("ingest_total", "zh", files=1, stored=2, quarantined=1) == say("ingest_total", "zh", files=1,
                                                                             stored=2, quarantined=1)
