"""The shipped scenario files and route materials, and the refusals of bad ones: every problem
with its file, line and reason, from `check_paths` and from `nastavnik check-scenarios`."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from bot.cli import EXIT_SCENARIOS, main
from bot.services import route_materials, scenarios
from bot.services.route_materials import MATERIALS_FILE, MaterialKind
from bot.services.scenario_schema import Kind, Level, QuestionType
from bot.services.scenarios import SCENARIOS_DIR, Problem, check_paths

SHIPPED = {
    "self_check_teacher",
    "self_eval_leader",
    "needs_assessment",
    "parents_satisfaction",
    "event_feedback",
}
BLOCK_TITLES = {
    "subject": "Предметные компетенции",
    "methodical": "Методические компетенции",
    "psychological": "Психолого-педагогические компетенции",
    "communicative": "Коммуникативные компетенции",
}
HERE = "# <- here"
FIRST_PERSON = re.compile(r"(^|\W)(я|мне|мой|моих|моему|мои|моего|меня)(\W|$)", re.IGNORECASE)


# --- the shipped files ------------------------------------------------------------------------


def test_every_shipped_file_passes_the_check() -> None:
    loaded, problems = check_paths([SCENARIOS_DIR])

    assert problems == []
    assert {item.scenario.id for item in loaded} == SHIPPED


def test_the_self_check_is_the_four_blocks_of_the_seeds() -> None:
    scenario = scenarios.get("self_check_teacher").scenario

    assert scenario.kind == Kind.SELF_CHECK
    assert scenario.audience == ["teacher"]
    assert not scenario.anonymous and scenario.repeatable
    assert [(s.id, s.title.ru) for s in scenario.sections] == list(BLOCK_TITLES.items())
    assert all(s.scored and s.tutor_topic and s.description for s in scenario.sections)
    assert len(scenario.questions()) >= 40
    assert all(len(s.questions) >= 10 for s in scenario.sections)
    assert {q.type for q in scenario.questions()} == {QuestionType.SCALE}
    # Statements in the first person, as a methodologist writes them.
    assert all(FIRST_PERSON.search(q.text.ru) for q in scenario.questions())
    assert any(q.reverse for q in scenario.questions())
    assert scenario.dynamics is not None
    assert scenario.dynamics.sections == ["subject", "methodical"]


def test_the_self_check_levels_are_in_the_file() -> None:
    scenario = scenarios.get("self_check_teacher").scenario

    assert scenario.levels is not None
    assert [(lv.level, lv.below_percent, lv.label and lv.label.ru) for lv in scenario.levels] == [
        (Level.DEFICIT, 50, "выраженный дефицит"),
        (Level.PARTIAL, 75, "частичный дефицит"),
        (Level.NONE, None, "нет дефицита"),
    ]
    scale = scenario.scales["agreement"]
    assert sorted(scale.labels) == list(scale.points())


def test_the_leader_self_evaluation_covers_the_four_monitoring_objects() -> None:
    scenario = scenarios.get("self_eval_leader").scenario
    scored = [s for s in scenario.sections if s.scored]

    assert scenario.audience == ["school_leader"] and scenario.kind == Kind.SURVEY
    assert [s.title.ru for s in scored] == [
        "Качество результатов обучения",
        "Качество преподавания",
        "Управление",
        "Школьная среда",
    ]
    assert 12 <= sum(len(s.questions) for s in scored) <= 20
    assert scenario.levels


def test_the_shipped_files_use_every_question_type_required_and_optional() -> None:
    questions = [q for item in scenarios.catalogue().values() for q in item.scenario.questions()]

    assert {q.type for q in questions} == set(QuestionType)
    assert {q.required for q in questions} == {True, False}
    assert any(q.when is not None for q in questions)


def test_the_parents_survey_is_public_anonymous_and_asks_nothing_personal() -> None:
    scenario = scenarios.get("parents_satisfaction").scenario
    words = " ".join(q.text.ru.lower() for q in scenario.questions())

    assert scenario.public and scenario.anonymous
    assert 8 <= len(scenario.questions()) <= 12
    assert not any(word in words for word in ("фамили", "имя ", "имени", "телефон", "адрес"))
    types = {q.type for q in scenario.questions()}
    assert {QuestionType.YES_NO, QuestionType.SCALE, QuestionType.TEXT} <= types
    scale = scenario.scales["satisfaction"]
    assert (scale.min, scale.max) == (1, 5)


def test_the_needs_assessment_asks_the_form_of_help_and_a_follow_up() -> None:
    scenario = scenarios.get("needs_assessment").scenario
    by_id = {q.id: q for q in scenario.questions()}

    forms = {option.label.ru for option in by_id["help_forms"].options}
    assert by_id["help_forms"].type == QuestionType.MULTI
    assert {"Вебинар", "Стажировка в школе-лидере", "«Педагогический десант»"} <= forms
    assert by_id["exam_subject"].when is not None
    assert by_id["exam_subject"].when.question == "urgent_topic"
    assert (by_id["hours_per_month"].min, by_id["hours_per_month"].max) == (0, 40)


# --- bad files: file, line and reason ---------------------------------------------------------

VALID = """\
id: demo
title: Demo
audience: [teacher]
sections:
  - id: main
    title: Main
    questions:
      - id: first
        type: yes_no
        text: First?
"""


def _write(folder: Path, text: str, name: str = "demo.yaml") -> tuple[Path, int]:
    """The file, and the line marked `# <- here` (0 if none)."""
    text = textwrap.dedent(text)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    marked = [number for number, line in enumerate(text.splitlines(), 1) if HERE in line]
    return path, marked[0] if marked else 0


BAD_FILES = {
    "syntax": (
        """\
        id: demo
        title: Demo: more: here  # <- here
        """,
        "scenarios.problem.syntax",
    ),
    "unknown_type": (
        """\
        id: demo
        title: Demo
        audience: [teacher]
        sections:
          - id: main
            title: Main
            questions:
              - id: first
                type: matrix  # <- here
                text: First?
        """,
        "scenarios.problem.not_allowed",
    ),
    "condition_on_a_later_question": (
        """\
        id: demo
        title: Demo
        audience: [teacher]
        sections:
          - id: main
            title: Main
            questions:
              - id: first
                type: yes_no
                text: First?
                when: {question: second, equals: true}  # <- here
              - id: second
                type: yes_no
                text: Second?
        """,
        "scenarios.problem.condition_later",
    ),
    "duplicate_question_id": (
        """\
        id: demo
        title: Demo
        audience: [teacher]
        sections:
          - id: main
            title: Main
            questions:
              - id: first
                type: yes_no
                text: First?
          - id: more
            title: More
            questions:
              - id: first  # <- here
                type: yes_no
                text: Again?
        """,
        "scenarios.problem.duplicate_id",
    ),
    "duplicate_option_id": (
        """\
        id: demo
        title: Demo
        audience: [teacher]
        sections:
          - id: main
            title: Main
            questions:
              - id: first
                type: single
                text: Which?
                options:
                  - {id: one, label: One}
                  - id: one  # <- here
                    label: Also one
        """,
        "scenarios.problem.duplicate_id",
    ),
    "duplicate_section_id": (
        """\
        id: demo
        title: Demo
        audience: [teacher]
        sections:
          - id: main
            title: Main
            questions:
              - {id: first, type: yes_no, text: First}
          - id: main  # <- here
            title: Main again
            questions:
              - {id: second, type: yes_no, text: Second}
        """,
        "scenarios.problem.duplicate_id",
    ),
    "scale_without_labels": (
        """\
        id: demo
        title: Demo
        audience: [teacher]
        sections:
          - id: main
            title: Main
            questions:
              - id: first
                type: scale
                text: How much?
                scale: {min: 1, max: 5}  # <- here
        """,
        "scenarios.problem.scale_labels",
    ),
    "named_scale_with_a_missing_label": (
        """\
        id: demo
        title: Demo
        audience: [teacher]
        scales:
          often:
            min: 1
            max: 3
            labels:
              1: never  # <- here
              3: always
        sections:
          - id: main
            title: Main
            questions:
              - {id: first, type: scale, scale: often, text: How often}
        """,
        "scenarios.problem.scale_labels",
    ),
    "number_without_bounds": (
        """\
        id: demo
        title: Demo
        audience: [teacher]
        sections:
          - id: main
            title: Main
            questions:
              - id: hours  # <- here
                type: number
                min: 0
                text: How many hours?
        """,
        "scenarios.problem.number_bounds",
    ),
    "text_without_max_length": (
        """\
        id: demo
        title: Demo
        audience: [teacher]
        sections:
          - id: main
            title: Main
            questions:
              - id: comment  # <- here
                type: text
                text: Anything else?
        """,
        "scenarios.problem.text_limit",
    ),
    "unknown_field": (
        """\
        id: demo
        title: Demo
        audience: [teacher]
        sections:
          - id: main
            title: Main
            questions:
              - id: first
                type: yes_no
                text: First?
                colour: red  # <- here
        """,
        "scenarios.problem.unknown_field",
    ),
    "scored_section_without_levels": (
        """\
        id: demo
        kind: self_check
        title: Demo
        audience: [teacher]
        sections:
          - id: block  # <- here
            title: Block
            scored: true
            questions:
              - id: first
                type: scale
                text: I do it.
                scale: {min: 1, max: 2, labels: {1: rarely, 2: often}}
        """,
        "scenarios.problem.no_levels",
    ),
    "levels_out_of_order": (
        """\
        id: demo
        kind: self_check
        title: Demo
        audience: [teacher]
        levels:
          - {level: deficit, below_percent: 75}  # <- here
          - {level: partial, below_percent: 50}
          - {level: none}
        sections:
          - id: block
            title: Block
            scored: true
            questions:
              - id: first
                type: scale
                text: I do it.
                scale: {min: 1, max: 2, labels: {1: rarely, 2: often}}
        """,
        "scenarios.problem.levels_order",
    ),
    "button_label_too_long": (
        """\
        id: demo
        title: Demo
        audience: [teacher]
        sections:
          - id: main
            title: Main
            questions:
              - id: first
                type: single
                text: Which?
                options:
                  - {id: short, label: Short}
                  - id: long
                    label: A label far too long to be read on a phone's button, honestly  # <- here
        """,
        "scenarios.problem.label_long",
    ),
    "key_given_twice": (
        """\
        id: demo
        title: Demo
        title: Demo again  # <- here
        audience: [teacher]
        sections:
          - id: main
            title: Main
            questions:
              - {id: first, type: yes_no, text: First}
        """,
        "scenarios.problem.duplicate_key",
    ),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_a_bad_file_is_refused_with_file_line_and_reason(case: str, tmp_path: Path) -> None:
    text, key = BAD_FILES[case]
    path, line = _write(tmp_path, text)

    loaded, problems = check_paths([path])

    assert loaded == []
    assert [(p.file, p.line, p.key) for p in problems] == [(str(path), line, key)]


def test_a_written_out_scale_with_a_mistake_is_reported_once(tmp_path: Path) -> None:
    path, line = _write(
        tmp_path,
        VALID.replace(
            "type: yes_no\n        text: First?\n",
            "type: scale\n        text: First?\n"
            "        scale: {min: 1, max: 2, labels: {1: a, 2: b}, step: 1}  # <- here\n",
        ),
    )

    _, problems = check_paths([path])

    assert [(p.line, p.key, p.params) for p in problems] == [
        (line, "scenarios.problem.unknown_field", {"field": "sections.0.questions.0.scale.step"})
    ]


def test_two_files_with_one_scenario_id_are_refused(tmp_path: Path) -> None:
    first, _ = _write(tmp_path, VALID, "a.yaml")
    second, _ = _write(tmp_path, VALID.replace("title: Demo", "title: Copy"), "b.yaml")

    loaded, problems = check_paths([tmp_path])

    assert [item.path for item in loaded] == [first]
    assert problems == [
        Problem(
            str(second),
            1,
            "scenarios.problem.duplicate_scenario",
            {"id": "demo", "other": str(first)},
        )
    ]


def test_the_valid_example_passes(tmp_path: Path) -> None:
    path, _ = _write(tmp_path, VALID)

    loaded, problems = check_paths([path])

    assert problems == [] and [item.scenario.id for item in loaded] == ["demo"]


# --- the command line -------------------------------------------------------------------------


def test_check_scenarios_prints_file_line_reason_and_fails_on_a_bad_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, line = _write(tmp_path, BAD_FILES["unknown_field"][0])

    code = main(["check-scenarios", str(path)])

    out, err = capsys.readouterr()
    assert code == EXIT_SCENARIOS
    assert err.splitlines() == [
        f"{path}:{line}: неизвестное поле «sections.0.questions.0.colour» (опечатка?)"
    ]
    assert "проблем: 1" in out


def test_check_scenarios_passes_on_the_shipped_files(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["check-scenarios"])

    out, err = capsys.readouterr()
    assert code == 0
    assert err == ""
    assert f"сценариев без ошибок: {len(SHIPPED)}, проблем: 0" in out


def test_check_scenarios_checks_the_route_materials_of_a_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _write(tmp_path, VALID)
    (tmp_path / "route").mkdir()
    materials, line = _write(
        tmp_path / "route",
        """\
        main:
          - title: A page
            url: http://example.org  # <- here
            kind: material
        """,
        "materials.yaml",
    )

    code = main(["check-scenarios", str(tmp_path)])

    _, err = capsys.readouterr()
    assert code == EXIT_SCENARIOS
    assert err.splitlines() == [f"{materials}:{line}: ссылка должна начинаться с https://"]


# --- route materials --------------------------------------------------------------------------


def test_every_self_check_block_has_three_to_five_materials_with_https_links() -> None:
    materials = route_materials.load()
    blocks = [s.id for s in scenarios.get("self_check_teacher").scenario.sections]

    assert set(blocks) <= set(materials)
    for block in blocks:
        items = route_materials.for_block(block)
        assert 3 <= len(items) <= 5
        assert all(item.title.ru and item.title.en for item in items)
    links = [item.url for items in materials.values() for item in items if item.url]
    assert links and all(link.startswith("https://") for link in links)
    assert {item.kind for items in materials.values() for item in items} == set(MaterialKind)


def test_the_shipped_materials_name_only_scored_blocks() -> None:
    loaded, _ = check_paths([SCENARIOS_DIR])

    assert route_materials.check_beside([SCENARIOS_DIR], loaded) == []
    assert MATERIALS_FILE.parent.parent == SCENARIOS_DIR


BAD_MATERIALS = {
    "http_link": (
        """\
        subject:
          - title: {ru: Страница}
            url: http://example.org  # <- here
            kind: material
        """,
        "scenarios.problem.url_not_https",
    ),
    "unknown_kind": (
        """\
        subject:
          - title: {ru: Страница}
            kind: video  # <- here
        """,
        "scenarios.problem.not_allowed",
    ),
    "unknown_field": (
        """\
        subject:
          - title: {ru: Страница}
            kind: course
            price: 100  # <- here
        """,
        "scenarios.problem.unknown_field",
    ),
    "title_too_long": (
        f"""\
        subject:
          - title: {{ru: {"Очень длинное название " * 10}}}  # <- here
            kind: course
        """,
        "scenarios.problem.invalid",
    ),
    "unknown_block": (
        """\
        subjekt:  # <- here
          - title: {ru: Страница}
            kind: course
        """,
        "scenarios.problem.unknown_block",
    ),
    "not_a_mapping": (
        """\
        - subject  # <- here
        """,
        "scenarios.problem.materials_shape",
    ),
}


@pytest.mark.parametrize("case", list(BAD_MATERIALS))
def test_a_bad_materials_file_is_refused_with_line_and_reason(case: str, tmp_path: Path) -> None:
    text, key = BAD_MATERIALS[case]
    path, line = _write(tmp_path, text, "materials.yaml")

    materials, problems = route_materials.check_file(path, known_blocks={"subject"})

    assert materials is None
    assert [(p.file, p.line, p.key) for p in problems] == [(str(path), line, key)]


def test_loading_a_bad_materials_file_names_the_file_and_the_reason(tmp_path: Path) -> None:
    path, line = _write(tmp_path, BAD_MATERIALS["http_link"][0], "materials.yaml")

    with pytest.raises(route_materials.MaterialsFileError) as raised:
        route_materials.load(path)

    assert f"{path}:{line}: scenarios.problem.url_not_https" in str(raised.value)


def test_a_broken_event_file_stops_the_start_with_its_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.cli import check_event_files
    from bot.services import event_reports, event_types
    from bot.texts import LOCALES_DIR, Texts

    broken = tmp_path / "event_types.yaml"
    broken.write_text("types:\n  - id: Webinar!\n    title: {ru: Вебинар}\n", encoding="utf-8")
    monkeypatch.setattr(event_types, "EVENT_TYPES_FILE", broken)
    event_types.catalogue.cache_clear()
    with Texts(path=LOCALES_DIR, default_locale="ru").context():
        try:
            assert check_event_files() == EXIT_SCENARIOS
        finally:
            event_types.catalogue.cache_clear()
        _, err = capsys.readouterr()
        assert err.startswith(f"{broken}:0: ") and "id" in err
        monkeypatch.undo()
        event_reports.targets.cache_clear()
        assert check_event_files() == 0
