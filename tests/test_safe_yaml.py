"""YAML from outside is read with bounded work: alias and merge-key bombs, deep nesting and huge texts are
refused with a message naming the line, before they are built (the refusal counts the parse events it read)."""

from __future__ import annotations

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from peakend import safe_yaml
from peakend.blueprint.load import check_text, default_text
from peakend.blueprint.new import new_blueprint_text
from peakend.errors import ConfigError, MappingError, TrainingError
from peakend.ingest.mapping import Mapping, mapping_yaml, parse_mapping
from peakend.safe_yaml import MAX_DEPTH, YamlRefused
from peakend.simulate.config import load_config
from peakend.text.training import library

FAST = settings(max_examples=40, deadline=None)


@st.composite
def merge_bomb(draw) -> tuple[str, int]:
    """`k{i}: &k{i} {<<: [*k{i-3}, *k{i-2}, *k{i-1}], …}` chains (the break found), and the line of the first
    anchor; the bomb may follow ordinary keys."""
    depth = draw(st.integers(3, 60))
    lead = draw(st.lists(st.sampled_from(["format: wide", "kind: touch", "missing: ['-']", "# a note"]),
                         max_size=3, unique=True))
    lines = [*lead, "k0: &k0 {a: 1}", "k1: &k1 {b: 1}", "k2: &k2 {c: 1}"]
    lines += [f"k{i}: &k{i} {{<<: [*k{i - 3}, *k{i - 2}, *k{i - 1}], x{i}: {i}}}" for i in range(3, depth)]
    lines.append(f"values: *k{depth - 1}")
    return "\n".join(lines), len(lead) + 1


@st.composite
def laughs(draw) -> tuple[str, int]:
    """Billion-laughs lists: each anchor a list of copies of the one before (no merge keys)."""
    depth, width = draw(st.integers(2, 30)), draw(st.integers(2, 10))
    lines = ["l0: &l0 [lol]"] + [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * width)}]" for i in range(1, depth)]
    return "\n".join(lines), 1


@st.composite
def deep(draw) -> str:
    """A value nested deeper than the limit, in flow style ([ and { mixed), up to 20,000 levels."""
    depth = draw(st.integers(MAX_DEPTH + 1, 20_000))
    opens = draw(st.lists(st.sampled_from(["[", "{a: "]), min_size=1, max_size=4))
    inner = "".join(opens[i % len(opens)] for i in range(depth))
    closes = "".join("]" if c == "[" else "}" for c in reversed(inner.replace("{a: ", "{")))
    return "columns: " + inner + "1" + closes


@FAST
@given(st.one_of(merge_bomb(), laughs()))
def test_anchor_bombs_are_refused_at_the_first_anchor(bomb):
    text, line = bomb
    with pytest.raises(MappingError) as caught:
        parse_mapping(text, "m.yaml")
    refusal = caught.value.__cause__
    assert isinstance(refusal, YamlRefused) and refusal.key == "yaml_anchor" and refusal.line == line
    # refused at the first anchor: a handful of events read, however big the bomb would grow
    assert refusal.events <= 4 * line + 8
    assert f"m.yaml line {line}" in caught.value.say("en") and f"m.yaml 第 {line} 行" in caught.value.say("zh")
    _, problems = check_text(text, "b.yaml")
    assert [p.line for p in problems] == [line] and "anchors" in problems[0].message


@FAST
@given(deep())
def test_deep_nesting_is_refused_at_the_limit_never_a_recursion_error(text):
    with pytest.raises(MappingError) as caught:
        parse_mapping(text, "m.yaml")
    refusal = caught.value.__cause__
    assert isinstance(refusal, YamlRefused) and refusal.key == "yaml_too_deep"
    assert refusal.events <= 2 * (MAX_DEPTH + 1) + 3  # stopped at the 65th level, not at the 20,000th
    assert "deeper than 64 levels" in caught.value.say("en")
    bp, problems = check_text(text, "b.yaml")
    assert bp is None and "deeper than 64" in problems[0].message


@pytest.mark.parametrize("depth", [MAX_DEPTH, MAX_DEPTH + 1])
def test_block_nesting_at_and_past_the_limit(depth):
    """Block style counts like flow style: 64 levels read, 65 refused (the top mapping is level 1, [1] the last)."""
    text = "".join(" " * i + f"k{i}:\n" for i in range(depth - 2)) + " " * (depth - 2) + "k: [1]\n"
    if depth <= MAX_DEPTH:
        data = safe_yaml.load(text)
        for i in range(depth - 2):
            data = data[f"k{i}"]
        assert data == {"k": [1]}
    else:
        with pytest.raises(YamlRefused, match="deeper than 64"):
            safe_yaml.load(text)


def test_merge_keys_without_anchors_and_huge_texts_are_refused():
    with pytest.raises(YamlRefused) as caught:
        safe_yaml.load("a: 1\nb:\n  <<: {c: 1}\n")
    assert (caught.value.key, caught.value.line) == ("yaml_merge", 3)
    assert safe_yaml.load("a: '<<'\n'<<': b\n") == {"a": "<<", "<<": "b"}  # quoted: the text
    with pytest.raises(YamlRefused) as caught:
        safe_yaml.check("x" * (safe_yaml.MAX_CHARS + 1))
    assert caught.value.key == "yaml_too_big" and caught.value.events == 0
    many = "[" + ", ".join(["1"] * (safe_yaml.MAX_NODES + 1)) + "]"
    with pytest.raises(YamlRefused, match="more than 200,000 values"):
        safe_yaml.check(many)


def test_every_other_reader_of_outside_yaml_refuses_alike(tmp_path, bp):
    bomb = "a: &a [1, 2]\nb: [*a, *a]\n"
    cfg = tmp_path / "hall.yaml"
    cfg.write_text(bomb, "utf-8")
    with pytest.raises(ConfigError, match="anchors"):
        load_config(cfg, bp)
    cfg.write_text("modules: " + "[" * 5000 + "]" * 5000, "utf-8")
    with pytest.raises(TrainingError, match="deeper than 64"):
        library(cfg)


def test_what_peakend_writes_it_reads_back():
    """The shipped blueprint, a new one and a mapping with a value shared twice are written without anchors."""
    assert check_text(default_text())[0] is not None
    assert check_text(new_blueprint_text(["取号", "办理", "离开"]))[0] is not None
    shared = ["无", "-"]
    m = Mapping(format="long", missing=shared, per_column={"x": {"missing": shared}, "y": {"missing": shared}})
    text = mapping_yaml(m)
    assert "&" not in text and parse_mapping(text, "m") == m
    assert yaml.safe_load(safe_yaml.dump({"a": shared, "b": shared})) == {"a": shared, "b": shared}
