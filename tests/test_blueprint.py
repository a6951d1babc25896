"""The default blueprint, and problems of edited blueprints reported with their lines."""

from __future__ import annotations

from peakend.blueprint.load import check_text, default_text


def test_default_blueprint_holds_the_domain(bp):
    assert len(bp.moments) == 16
    assert {m.id for m in bp.moments if m.role == "peak"} == {"counter_result", "data_experience", "handset_purchase"}
    assert [m.id for m in bp.moments if m.role == "end"] == ["leaving"]
    assert len(bp.routes) == 7
    assert len(bp.checklist) == 15
    assert [len([c for c in bp.checklist if c.group == g.id]) for g in bp.checklist_groups] == [1, 2, 3, 4, 5]
    for m in bp.moments:
        assert m.zh and m.en and m.standards, m.id
        assert all(s.zh and s.en for s in m.standards)
    assert bp.moment("data_experience").rule.service.tolerance_min == 3  # "coach at most 3 minutes"


def problems(text: str) -> list[str]:
    bp, found = check_text(text, "edited.yaml")
    assert bp is None
    return [str(p) for p in found]


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), start=1) if needle in line)


def test_unknown_moment_in_route_duplicate_id_and_bad_weights_all_reported():
    text = default_text()
    text = text.replace(
        "moments: [entering, greeting, self_service, leaving]", "moments: [entering, greting, self_service, leaving]"
    )
    text = text.replace("- id: approach", "- id: find_hall")
    text = text.replace("weights: {peak: 0.5, end: 0.5, mean: 0.0}", "weights: {peak: 0.7, end: 0.5, mean: -0.2}")
    found = problems(text)
    assert len(found) == 4, found
    joined = "\n".join(found)
    assert (
        f"edited.yaml:{line_of(text, 'greting')}: routes[5].moments[1]: route 'self_service_route' "
        "names unknown moment 'greting'" in joined
    )
    assert f"edited.yaml:{line_of(text, '- id: find_hall') + 0}" in joined or "duplicate id 'find_hall'" in joined
    assert "weight mean must not be negative" in joined


def test_structural_errors_name_their_line():
    text = default_text()
    text = text.replace(
        "    importance: 3\n    standards:\n      - {zh: 橱窗陈列",
        "    importance: 9\n    standards:\n      - {zh: 橱窗陈列",
    )
    text = text.replace("  - id: entering\n    zh: 进入营业厅", "  - id: entering\n    zh: 进入营业厅\n    colour: red")
    found = problems(text)
    assert any(p.startswith(f"edited.yaml:{line_of(text, 'importance: 9')}: moments[2].importance") for p in found)
    assert any("moments[3].colour" in p and "Extra inputs" in p for p in found)


def test_a_refused_field_and_a_broken_route_both_reported_in_zh_and_en():
    text = default_text().replace("moments: [entering, greeting, self_service, leaving]",
                                  "moments: [entering, greting, self_service, leaving]")
    text = text.replace("    role: end\n", "    role: ending\n", 1)
    text = text.replace("  - id: entering\n    zh: 进入营业厅", "  - id: entering\n    zh: 进入营业厅\n    colour: red")
    bp, found = check_text(text, "edited.yaml")
    assert bp is None
    role, colour, route = (line_of(text, n) for n in ("role: ending", "colour: red", "greting"))
    assert [p.said("zh") for p in found] == [
        f"edited.yaml:{colour}: moments[3].colour: 不认识的字段（蓝图没有这一项）\n    → 删除 `colour` 或更正其拼写",
        f"edited.yaml:{role}: moments[15].role: 应为 'peak', 'end' 或 'key' 之一\n    → 请使用所列的值之一",
        f"edited.yaml:{route}: routes[5].moments[1]: route 'self_service_route' names unknown moment 'greting'"
        "\n    → did you mean 'greeting'?",  # found though the schema refused the file: the route is still read
        f"edited.yaml:{line_of(text, 'moments:') + 1}: moments: no moment has role 'end': "
        "the peak-end rule needs an end"
        "\n    → set `role: end` on the journey's last moment ('leaving')",  # the list's first line; true as written
    ]
    assert str(found[1]).startswith(f"edited.yaml:{role}: moments[15].role: Input should be 'peak', 'end' or 'key'")
    missing = problems("id: x\nversion: '1'\nname: {zh: 甲, en: A}\nlanes: []\nstages: []\nflows: []\nzones: []\n"
                       "weights: {peak: 0.5, end: 0.5, mean: 0}\nimportance: high\n")
    assert missing[:1] == ["edited.yaml:1: moments: Field required\n    → add `moments:` here "
                           "(see the shipped blueprint, `peakend blueprint show`, for an example)"]
    _, found = check_text("id: x\nversion: 1\n", "e.yaml")
    assert found[0].said("zh") == "e.yaml:2: version: 应为文本\n    → 将 `version` 写成文本"
    assert [p.said("zh") for p in found if p.path == "moments"] == [
        "e.yaml:1: moments: 缺少必填字段\n    → 在此处添加 `moments:`（示例见内置蓝图：`peakend blueprint show`）"]


def test_ramp_and_end_checks():
    text = default_text().replace(
        "wait: {tolerance_min: 5, worst_min: 30, weight: 1.0}", "wait: {tolerance_min: 35, worst_min: 30, weight: 1.0}"
    )
    text = text.replace("role: end", "role: key")
    found = "\n".join(problems(text))
    assert "worst_min must be greater than tolerance_min" in found
    assert "no moment has role 'end'" in found


def test_not_yaml():
    [p] = problems("moments: [a, b\n")
    assert "not valid YAML" in p and p.startswith("edited.yaml:")


def test_live_rules_are_checked():
    [p] = problems(default_text().replace('quiet_start: "21:00"', 'quiet_start: "9pm"'))
    assert "live.survey.quiet_start" in p and "pattern" in p  # structure first: HH:MM
    text = default_text().replace("queue_moment: waiting", "queue_moment: lobby")
    text = text.replace("{deadline_h: 4, remind_before_h: 1}", "{deadline_h: 4, remind_before_h: 5}")
    found = "\n".join(problems(text))
    assert "live.diversion.queue_moment" in found and "unknown moment 'lobby'" in found
    assert "live.cases.complaint.remind_before_h" in found and "less than deadline_h" in found


def test_a_blueprint_saved_with_the_old_queue_key_reads_the_same():
    old = default_text().replace("  diversion:", "  queue:")
    assert old != default_text()
    bp_old, problems_old = check_text(old, "old.yaml")
    bp_new, _ = check_text(default_text(), "new.yaml")
    assert problems_old == [] and bp_old is not None and bp_new is not None
    assert bp_old.live.diversion == bp_new.live.diversion
