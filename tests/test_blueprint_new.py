"""A blueprint for any service in minutes: `peakend blueprint new` writes one that is valid as written,
and a non-telecom journey then goes through ingest and scoring with it."""

from __future__ import annotations

from typer.testing import CliRunner

from peakend.blueprint.load import check_text, load_blueprint
from peakend.blueprint.new import moment_id, new_blueprint_text
from peakend.cli import app
from peakend.ingest.pipeline import ingest_records
from peakend.ingest.validate import Context
from peakend.scoring.run import score


def test_ids_come_from_names_and_never_collide():
    taken: set[str] = set()
    assert [moment_id(n, taken) for n in ["Check-in", "check in", "值机", "2nd security", "值机"]] == [
        "check_in", "check_in_2", "m3", "m_2nd_security", "m5"]


def test_names_in_both_languages_and_the_queue_where_people_wait():
    """`中文|English` gives each language its name (the id from the English); the diversion rule reads the queue at
    the moment named for waiting and serves at the next; single names are listed in the header to translate."""
    import yaml

    text = new_blueprint_text(["到达|Arrive", "排队|Queue", "柜台办理|Counter", "离开|Leave"], "bank", "银行|Bank")
    data = yaml.safe_load(text)
    assert [(m["id"], m["zh"], m["en"]) for m in data["moments"]] == [
        ("arrive", "到达", "Arrive"), ("queue", "排队", "Queue"), ("counter", "柜台办理", "Counter"),
        ("leave", "离开", "Leave")]
    assert data["live"]["diversion"] == {"queue_moment": "queue", "counter_moments": ["counter"]}
    assert data["name"] == {"zh": "银行", "en": "Bank"} and "same name in zh and en" not in text
    plain = new_blueprint_text(["greet", "wait for a table", "dinner"])
    assert yaml.safe_load(plain)["live"]["diversion"] == {"queue_moment": "wait_for_a_table",
                                                            "counter_moments": ["dinner"]}
    assert "same name in zh and en (give each its own, or write `中文|English` in --moments): greet, " in plain
    names = ["取号|Take a number", "排队等候|Waiting", "窗口缴费|Pay", "离开"]  # a ticket, then the wait itself
    ticket_first = yaml.safe_load(new_blueprint_text(names))
    assert ticket_first["live"]["diversion"] == {"queue_moment": "waiting", "counter_moments": ["pay"]}
    only_ticket = yaml.safe_load(new_blueprint_text(["取号|Ticket", "窗口|Window"]))["live"]["diversion"]
    assert only_ticket == {"queue_moment": "ticket", "counter_moments": ["window"]}
    no_wait = yaml.safe_load(new_blueprint_text(["问候", "办理"]))["live"]["diversion"]
    assert no_wait == {"queue_moment": "m1", "counter_moments": ["m2"]}  # 问候 (greeting) is not a queue


def test_a_new_blueprint_is_valid_and_scores_a_journey(duck, tmp_path):
    text = new_blueprint_text(["Booking", "Check-in", "Boarding", "Baggage claim"], "airline", "Airline")
    bp, problems = check_text(text, "airline.yaml")
    assert problems == [] and bp is not None
    assert [m.id for m in bp.moments] == ["booking", "check_in", "boarding", "baggage_claim"]
    assert [m.role for m in bp.moments][-1] == "end" and bp.routes[0].moments == bp.moment_ids()
    sent = [{"visit_id": "p1", "hall_id": "PEK T3", "moment_id": m, "seq": i, "rating": r, "rating_scale": "1-5"}
            for i, (m, r) in enumerate([("booking", 4), ("check_in", 1), ("boarding", 3), ("baggage_claim", 5)])]
    assert ingest_records(duck, sent, "touch", Context(bp), "api").stored == 4
    score(duck, bp)
    # by hand: e = 0.5, −1, 0, 1; peak: |−1| = |1|, the later wins → 1; end 1; REI = 50·(1 + 1) = 100
    assert duck.rows('SELECT peak, "end", rei FROM visit_scores') == [(1.0, 1.0, 100.0)]


def test_a_new_blueprint_reads_unrated_touches_by_their_outcome_and_the_queue_s_wait(duck):
    """Without ratings a new service is not all 0 (REI 50 everywhere): the built-in rule for outcomes, and at the
    queue a wait past 5 minutes counts, at worst (−1) past 30. By hand, e of ticket, wait 17.5 min, counter
    resolved, leave: 0, −(17.5 − 5)/25 = −0.5, 0.3, 0 → peak −0.5, end 0, REI = 50·(1 − 0.25) = 37.5; a wait of
    40 min and an unresolved counter: 0, −1, −0.6, 0 → peak −1, REI 25. A visit all neutral has no peak to show."""
    bp, _ = check_text(new_blueprint_text(["取号|Ticket", "等候|Wait", "柜台|Counter", "离开|Leave"]), "w.yaml")
    assert bp is not None and bp.moment("wait").rule is not None and bp.moment("counter").rule is None
    sent = []
    for visit, wait, outcome in (("a", 17.5, "resolved"), ("b", 40, "unresolved"), ("c", 0, None)):
        sent += [{"visit_id": visit, "hall_id": "东门", "moment_id": m, "seq": i, **extra} for i, (m, extra) in
                 enumerate([("ticket", {}), ("wait", {"wait_min": wait}),
                            ("counter", {"outcome": outcome} if outcome else {}), ("leave", {})])]
    assert ingest_records(duck, sent, "touch", Context(bp), "api").stored == 12
    score(duck, bp)
    got = duck.rows('SELECT visit_id, peak, "end", rei FROM visit_scores ORDER BY visit_id')
    assert got == [("a", -0.5, 0.0, 37.5), ("b", -1.0, 0.0, 25.0), ("c", 0.0, 0.0, 50.0)]
    from peakend.scoring.moments import falls

    counted = falls(duck.table("visit_scores")).to_pandas()
    assert sorted(counted.itertuples(index=False, name=None)) == [  # c's peak of 0 is neither kind
        ("leave", "end", 3), ("wait", "neg_peak", 2)]


def test_the_command_writes_it_from_a_list_or_a_mapping(tmp_path):
    out = tmp_path / "bank.yaml"
    args = ["blueprint", "new", str(out), "--moments", "取号，等候，办理，离开", "--id", "bank"]
    done = CliRunner().invoke(app, args)
    assert done.exit_code == 0, done.output
    bp = load_blueprint(out)
    assert [m.zh for m in bp.moments] == ["取号", "等候", "办理", "离开"] and bp.moments[-1].role == "end"
    mapping = tmp_path / "m.yaml"
    mapping.write_text("format: wide\nmoments:\n  - {moment: arrive, rating: a}\n  - {moment: leave, rating: b}\n")
    done = CliRunner().invoke(app, ["blueprint", "new", str(tmp_path / "m_bp.yaml"), "--mapping", str(mapping)])
    assert done.exit_code == 0 and load_blueprint(tmp_path / "m_bp.yaml").moment_ids() == ["arrive", "leave"]
    one = CliRunner().invoke(app, ["blueprint", "new", str(tmp_path / "x.yaml"), "--moments", "each turn"])
    assert one.exit_code == 0, one.output  # one repeating moment (each turn, each call): the end is the last touch
    single = load_blueprint(tmp_path / "x.yaml")
    assert single.moment_ids() == ["each_turn"] and single.moments[0].role == "end"
    none = CliRunner().invoke(app, ["blueprint", "new", str(tmp_path / "y.yaml"), "--moments", " , "])
    assert none.exit_code == 2 and "at least one moment" in none.output


def test_blueprint_check_names_the_line_and_a_fix_for_each_problem(tmp_path):
    from typer.testing import CliRunner

    from peakend.blueprint.new import new_blueprint_text
    from peakend.cli import app

    text = new_blueprint_text(["check-in", "security", "boarding"])
    broken = (text.replace("zone: service", "zone: servce", 1)  # a misspelt zone
                  .replace("role: end", "role: key")  # no end
                  .replace("peak: 0.5", "peak: 1.5"))  # weights add up to 2
    path = tmp_path / "b.yaml"
    path.write_text(broken, "utf-8")
    result = CliRunner().invoke(app, ["blueprint", "check", str(path)])
    assert result.exit_code == 1
    out = result.output
    line = next(i for i, x in enumerate(broken.splitlines(), 1) if "servce" in x)
    assert f"b.yaml:{line}: moments[0].zone: unknown zone 'servce'" in out and "→ did you mean 'service'?" in out
    assert "→ set `role: end` on the journey's last moment ('boarding')" in out
    assert "→ divide each by 2: weights: {peak: 0.75, end: 0.25, mean: 0}" in out
    path.write_text(text.replace("version:", "versoin:", 1), "utf-8")
    out = CliRunner().invoke(app, ["blueprint", "check", str(path)]).output
    assert "→ remove `versoin` or correct its spelling" in out and "→ add `version:` here" in out


def test_a_moment_named_as_people_write_it_is_that_moment(duck):
    """A blueprint of Chinese names (ids m1…m4): a log that writes 排队 or Check-in by name is read as that moment;
    an unknown name is quarantined with the ids and their names listed."""
    text = new_blueprint_text(["排队", "办理值机", "托运行李", "登机"], "air", "机场")
    bp, _ = check_text(text, "air.yaml")
    assert bp is not None and bp.moment_ids() == ["m1", "m2", "m3", "m4"]
    sent = [{"touch_id": f"t{i}", "visit_id": "p1", "hall_id": "T2", "moment_id": m, "seq": i, "rating": 4,
             "rating_scale": "1-5"} for i, m in enumerate(["排队", " 办理值机 ", "m3", "登机", "安检"])]
    done = ingest_records(duck, sent, "touch", Context(bp), "pad.csv")
    assert done.stored == 4 and [p["field"] for p in done.problems] == ["moment_id"]
    assert "m1 (排队), m2 (办理值机)" in done.problems[0]["message_en"] and "安检" in done.problems[0]["message_en"]
    assert [r[0] for r in duck.rows("SELECT moment_id FROM touches ORDER BY seq")] == ["m1", "m2", "m3", "m4"]
