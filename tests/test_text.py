"""Comments: segmentation, moment tags and polarity against a hand-labelled set, negation and contrast by
hand, hall-scoped search with phones masked, the comments page and the moment page's quotes."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st

from peakend.blueprint.load import check_text, default_text, load_blueprint
from peakend.text.comments import index, read_all, themes
from peakend.text.reading import read
from peakend.text.words import tokens
from peakend.web.app import create_app
from tests.conftest import add_user, run_jobs, scored_through_api

LABELLED = Path(__file__).parent / "data" / "comments_labelled.csv"
BP = load_blueprint(None)


def test_the_labelled_comments_are_tagged_and_read_well_enough():
    """204 realistic comments (zh and en) tagged by hand with the moments they are about and their polarity:
    moment tagging precision and recall and polarity accuracy each at least 0.8 (measured: 0.85, 0.83, 0.84)."""
    f = pd.read_csv(LABELLED, keep_default_na=False)
    assert len(f) >= 200 and f["text"].str.contains("[a-z]").sum() >= 30
    tp = fp = fn = right = 0
    for r in f.itertuples():
        got = read(r.text, BP)
        truth, named = set(filter(None, r.moments.split(";"))), set(got.moments)
        tp, fp, fn = tp + len(named & truth), fp + len(named - truth), fn + len(truth - named)
        right += got.label == r.polarity
    precision, recall, accuracy = tp / (tp + fp), tp / (tp + fn), right / len(f)
    print(f"moment tags: precision {precision:.3f}, recall {recall:.3f}; polarity accuracy {accuracy:.3f}")
    assert precision >= 0.8 and recall >= 0.8 and accuracy >= 0.8


@pytest.mark.parametrize(("text", "label"), [
    ("营业员不耐烦", "neg"), ("办理不快", "neg"), ("态度特别好", "pos"), ("排队等了快一个小时，太慢了", "neg"),
    ("等了很久，但是问题当场解决了", "pos"),  # the clause after 但是 counts double: −1 + 2
    ("The clerk was not friendly", "neg"), ("Nobody said goodbye", "neg"),  # goodbye is not good
    ("没什么特别的", "neu"),
])
def test_negation_contrast_and_almost_by_hand(text, label):
    assert read(text, BP).label == label


def test_a_moment_is_read_apart_from_the_rest_of_the_comment():
    r = read("排队很久，不过营业员很热情", BP)
    assert set(r.moments) == {"counter_handling", "waiting"}
    assert r.about("waiting") < 0 < r.about("counter_handling")


def test_hall_terms_stay_whole_and_the_blueprint_adds_its_own():
    assert "携号转网" in tokens("今天来办携号转网") and "白跑一趟" in tokens("白跑一趟")
    assert "的" not in tokens("营业员的态度") and tokens("The CLERK was rude") == ["clerk", "rude"]
    assert "翼支付" in tokens("翼支付开通了", ("翼支付",))


def test_a_keyword_on_two_moments_is_a_problem_with_a_fix():
    text = default_text().replace("keywords: {zh: [离开,", "keywords: {zh: [排队, 离开,", 1)
    bp, problems = check_text(text)
    assert bp is None and [(p.path, p.message) for p in problems] == [
        ("moments[15].keywords.zh[0]", "keyword '排队' already ties comments to 'waiting'")]
    assert problems[0].fix == "keep it on one moment: a keyword names one moment"


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=120))
def test_any_text_reads_without_crashing(text):
    r = read(text, BP)
    assert -1 < r.polarity < 1 and set(r.moments) <= set(BP.moment_ids()) and r.label in ("neg", "neu", "pos")


def frame(rows: list[tuple[str, str]]) -> pd.DataFrame:
    return pd.DataFrame([{"kind": "survey", "ref": f"r{i}", "hall_id": h, "visit_id": f"v{i}",
                          "at": pd.Timestamp("2026-11-02"), "text": t} for i, (h, t) in enumerate(rows)])


def test_search_ranks_by_bm25_within_the_halls_given():
    read_ = read_all(frame([("A", "排队太慢了，排队排了一个小时"), ("A", "营业员很热情"), ("B", "排队太慢"),
                            ("A", "自助机坏了，只好排队")]), BP)
    ix = index(read_)
    hits = ix.search("排队 太慢", {"A"}, BP, k=5)
    assert list(hits["hall_id"].unique()) == ["A"] and hits["text"].iloc[0] == "排队太慢了，排队排了一个小时"
    assert "排队太慢" in set(ix.search("排队 太慢", None, BP, k=5)["text"])
    assert ix.search("咖啡", {"A"}, BP).empty and ix.search("", {"A"}, BP).empty and ix.search("排队", set(), BP).empty
    grouped = themes(read_, BP)
    assert set(grouped["hall_id"]) <= {"A", "B"} and (grouped["negative"] > 0).all()


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=60))
def test_any_query_searches_without_crashing(query):
    ix = index(read_all(frame([("A", "排队太慢"), ("B", "The clerk was rude")]), BP))
    hits = ix.search(query, {"A"}, BP)
    assert set(hits["hall_id"]) <= {"A"}


A, B = "天河北厅", "花都新华厅"


@pytest.fixture
def web(tmp_path):
    app = create_app(str(tmp_path / "c.duckdb"), secret="s")
    store = app.state.peakend.store
    add_user(store, "admin", "admin-pass-1", "admin")
    add_user(store, "mgr_a", "mgr-pass-1", "manager", [A])
    admin = TestClient(app, headers={"Origin": "http://testserver"})
    assert admin.post("/api/v1/login", json={"username": "admin", "password": "admin-pass-1"}).status_code == 200
    visits = [{"visit_id": v, "hall_id": h, "arrival": "2026-11-02 10:00", "departure": "2026-11-02 10:30"}
              for v, h in (("a1", A), ("a2", A), ("b1", B))]
    touches = [{"touch_id": f"{v}-1", "visit_id": v, "moment_id": "waiting", "seq": 1,
                "start_at": "2026-11-02 10:01", "wait_min": 30} for v in ("a1", "a2", "b1")]
    surveys = [{"survey_id": "s1", "visit_id": "a1", "overall": 2, "overall_scale": "1-5",
                "comment": "排队等了一个小时，太慢了，打我电话13812345678"},
               {"survey_id": "s2", "visit_id": "a2", "overall": 5, "overall_scale": "1-5", "comment": "排队很快，满意"},
               {"survey_id": "s3", "visit_id": "b1", "overall": 1, "overall_scale": "1-5", "comment": "排队太慢，秘密"}]
    for kind, rows in (("visits", visits), ("touches", touches), ("surveys", surveys)):
        assert admin.post(f"/api/v1/{kind}/batch", json=rows).status_code == 200, kind
    assert scored_through_api(admin, app)["visits"] == 3
    yield app
    store.close()


def test_comments_page_api_and_moment_quotes_keep_to_the_readers_halls(web):
    mgr = TestClient(web, headers={"Origin": "http://testserver"})
    assert mgr.post("/api/v1/login", json={"username": "mgr_a", "password": "mgr-pass-1"}).status_code == 200
    first = mgr.get("/api/v1/comments", params={"q": "排队 太慢"})  # the comments are read as a job
    assert first.status_code == 202 and first.json()["job"]["kind"] == "comments"
    assert 'id="comments-job"' in mgr.get("/comments", params={"lang": "en"}).text  # the page follows it
    run_jobs(web)
    found = mgr.get("/api/v1/comments", params={"q": "排队 太慢"}).json()
    assert found[0]["visit_id"] == "a1" and all(c["hall_id"] == A for c in found)
    assert "13812345678" not in str(found) and "138****5678" in found[0]["text"]
    assert mgr.get("/api/v1/comments", params={"q": "排队", "hall": B}).status_code in (403, 404)
    assert mgr.get("/api/v1/comments").status_code == 422
    worst = mgr.get("/api/v1/comments", params={"moment": "waiting"}).json()
    assert [c["visit_id"] for c in worst] == ["a1", "a2"]  # worst first, B's never
    page = mgr.get("/comments", params={"q": "排队", "lang": "en"}).text
    assert "秘密" not in page and "138****5678" in page and "Recurring complaints" in page
    moment = mgr.get(f"/halls/{quote(A)}/moments/waiting?lang=en").text
    assert "What customers said about this moment" in moment and 'id="said-job"' not in moment
    assert moment.index("太慢了") < moment.index("排队很快")  # worst first


def test_a_store_without_comments_answers_empty_not_an_error():
    from peakend.text.comments import mentions

    empty = read_all(frame([]).reindex(columns=["kind", "ref", "hall_id", "visit_id", "at", "text"]), BP)
    said = mentions(empty)
    assert said.empty and list(said.columns).count("about") == 1
    assert index(empty).search("排队", None, BP).empty and themes(empty, BP).empty


def test_comments_tied_to_no_moment_say_why_the_themes_are_empty(tmp_path):
    """A new service's blueprint has no comment keywords: its comments tie to no moment, and the themes panel says
    so (and what to do) instead of "No comments" beside a count of comments."""
    from peakend.blueprint.new import new_blueprint_text

    path = tmp_path / "bp.yaml"
    path.write_text(new_blueprint_text(["取号|Ticket", "等候|Wait", "离开|Leave"]), "utf-8")
    app = create_app(str(tmp_path / "k.duckdb"), blueprint=path, secret="s")
    add_user(app.state.peakend.store, "admin", "admin-pass-1", "admin")
    c = TestClient(app, headers={"Origin": "http://testserver"})
    assert c.post("/api/v1/login", json={"username": "admin", "password": "admin-pass-1"}).status_code == 200
    sent = {"visits": [{"visit_id": "v1", "hall_id": "东门", "arrival": "2026-11-02 10:00"}],
            "touches": [{"visit_id": "v1", "moment_id": "wait", "seq": 1, "start_at": "2026-11-02 10:01"}],
            "surveys": [{"visit_id": "v1", "overall": 1, "overall_scale": "1-5", "comment": "等太久了，很生气"}]}
    for kind, rows in sent.items():
        assert c.post(f"/api/v1/{kind}/batch", json=rows).status_code == 200, kind
    c.get("/comments")
    run_jobs(app)
    for lang, said in (("en", "Comments: 1; none is a complaint tied to a key moment"),
                       ("zh", "蓝图中的时刻还没有评论关键词")):
        page = c.get("/comments", params={"lang": lang}).text
        assert 'id="themes-none"' in page and said in page
    app.state.peakend.store.close()
