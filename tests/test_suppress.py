"""`# preplint:` comments: found by tokenize, scoped to statements, ignore-file only at the top."""

from __future__ import annotations

import pytest

from preplint.suppress import NO_SUPPRESSIONS, parse
from tests.helpers import lint

LOAD = 'state = torch.load("m.pt")'


def safe001_lines(source: str) -> list[int]:
    return [d.line for d in lint({"a.py": source}) if d.code == "SAFE001"]


# --- only real comments --------------------------------------------------------------------


@pytest.mark.parametrize(
    "source",
    [
        f's = "# preplint: ignore-file"\nimport torch\n{LOAD}\n',
        f'"""Notes.\n\n# preplint: ignore-file\n"""\nimport torch\n{LOAD}\n',
        f"import torch\n{LOAD[:-1]}, map_location='# preplint: ignore')\n",
        f'import torch\nmsg = f"{{x}} # preplint: ignore"; {LOAD}\n',
    ],
)
def test_a_directive_inside_a_string_does_nothing(source: str) -> None:
    assert safe001_lines(source) != []
    assert parse(source).file == frozenset()


def test_a_real_comment_beside_a_string_still_counts() -> None:
    source = f'import torch\n{LOAD[:-1]}, map_location="cpu")  # preplint: ignore[SAFE001]\n'
    assert safe001_lines(source) == []


# --- ignore-file ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "header",
    [
        "# preplint: ignore-file[SAFE]\n",
        "#!/usr/bin/env python\n# -*- coding: utf-8 -*-\n# preplint: ignore-file[SAFE001]\n",
        '"""Module docstring."""\n\n# Copyright notice\n# preplint: ignore-file\n',
        "# preplint: ignore-file[all]\n",
    ],
)
def test_ignore_file_in_the_leading_comment_block(header: str) -> None:
    assert safe001_lines(f"{header}import torch\n{LOAD}\n") == []


@pytest.mark.parametrize(
    "source",
    [
        f"import torch\n# preplint: ignore-file\n{LOAD}\n",
        f"import torch\n{LOAD}\n# preplint: ignore-file[SAFE]\n",
        f"import torch  # preplint: ignore-file\n{LOAD}\n",
        f'"""Doc."""\nimport os\n# preplint: ignore-file\nimport torch\n{LOAD}\n',
    ],
)
def test_ignore_file_after_the_first_statement_does_nothing_and_is_reported(source: str) -> None:
    assert safe001_lines(source) != []
    suppressions = parse(source)
    assert suppressions.file == frozenset()
    assert any("leading comment block" in message for _, _, message in suppressions.problems())


def test_ignore_file_with_other_codes_keeps_the_rest() -> None:
    assert safe001_lines(f"# preplint: ignore-file[MODE, SEED]\nimport torch\n{LOAD}\n") == [3]


# --- statements ----------------------------------------------------------------------------

MULTI = 'import torch\nstate = torch.load(\n    "m.pt",\n    map_location="cpu",\n){comment}\n'


@pytest.mark.parametrize("line", [2, 3, 4, 5])
def test_a_comment_on_any_line_of_a_statement_covers_it(line: int) -> None:
    lines = MULTI.format(comment="").splitlines()
    lines[line - 1] += "  # preplint: ignore[SAFE001]"
    assert safe001_lines("\n".join(lines) + "\n") == []


def test_the_multi_line_statement_is_flagged_without_a_comment() -> None:
    assert safe001_lines(MULTI.format(comment="")) == [2]
    assert safe001_lines(MULTI.format(comment="  # preplint: ignore[MODE001]")) == [2]


def test_a_comment_line_inside_the_brackets_covers_the_statement() -> None:
    source = 'import torch\nstate = torch.load(\n    # preplint: ignore[SAFE001]\n    "m.pt",\n)\n'
    assert safe001_lines(source) == []


def test_the_line_above_covers_the_whole_next_statement() -> None:
    source = (
        "import torch\n# preplint: ignore[SAFE001]\n" + MULTI.format(comment="").split("\n", 1)[1]
    )
    assert safe001_lines(source) == []


@pytest.mark.parametrize(
    "source",
    [
        f"import torch\nx = 1  # preplint: ignore\n{LOAD}\n",  # a trailing comment is its own line's
        f"import torch\n# preplint: ignore[SAFE001]\n\n{LOAD}\n",  # a blank line in between
        f"import torch\n# preplint: ignore[SAFE001]\n# why\n{LOAD}\n",  # another comment in between
        f"import torch\n{LOAD}\nx = 1  # preplint: ignore\n",  # the line below
        f"import torch\nif True:  # preplint: ignore\n    {LOAD}\n",  # a compound header is one line
    ],
)
def test_what_a_line_comment_does_not_cover(source: str) -> None:
    assert safe001_lines(source) != []


def test_backslash_continuation_is_one_statement() -> None:
    source = 'import torch\nstate = \\\n    torch.load("m.pt")  # preplint: ignore[SAFE001]\n'
    assert safe001_lines(source) == []
    assert parse(source).lines == {2: frozenset({"SAFE001"}), 3: frozenset({"SAFE001"})}


def test_forms_of_the_code_list() -> None:
    for comment in (
        "# preplint: ignore",
        "# preplint: ignore[SAFE]",
        "# preplint: ignore[safe001]",
        "# preplint: ignore[MODE001,SAFE001]",
        "# preplint: ignore[ MODE001 , SAFE001 ]",
        "#preplint:ignore[SAFE001]",
        "# noqa: E501  # preplint: ignore[SAFE001]",
        "# preplint: ignore[SAFE001]  because the file is ours",
    ):
        assert safe001_lines(f"import torch\n{LOAD}  {comment}\n") == [], comment


# --- what is reported ----------------------------------------------------------------------


def test_unknown_codes_are_reported_with_their_position() -> None:
    source = "import torch\nx = 1  # preplint: ignore[SAFE0001, MODE]\n"
    problems = parse(source).problems()
    assert problems == [(2, 27, problems[0][2])]
    assert "SAFE0001" in problems[0][2]


def test_known_codes_and_prefixes_are_not_reported() -> None:
    source = (
        "# preplint: ignore-file[SEED, SYNTAX]\nx = 1  # preplint: ignore[SAFE001, MODE, ALL]\n"
    )
    assert parse(source).problems() == []


def test_the_registry_check_can_be_replaced() -> None:
    suppressions = parse("x = 1  # preplint: ignore[ABC1]\n")
    assert suppressions.problems(lambda code: code == "ABC1") == []
    assert len(suppressions.problems(lambda code: False)) == 1


@pytest.mark.parametrize(
    ("comment", "needle"),
    [
        ("# preplint: ignroe[SAFE001]", "ignroe"),
        ("# preplint: ignore[SAFE001", "closing"),
        ("# preplint: ignore[]", "empty"),
        ("# preplint: ignore: SAFE001", "brackets"),
        ("# preplint: ignore SAFE001", "brackets"),
    ],
)
def test_unreadable_directives_are_reported_and_silence_nothing(comment: str, needle: str) -> None:
    source = f"import torch\n{LOAD}  {comment}\n"
    assert safe001_lines(source) == [2]
    ((line, _, message),) = parse(source).problems()
    assert line == 2 and needle in message


def test_comments_without_a_directive_are_not_reported() -> None:
    source = "# preplint checks this file\nx = 1  # see preplint docs\n"
    assert parse(source) == NO_SUPPRESSIONS


# --- files tokenize cannot read ------------------------------------------------------------


@pytest.mark.parametrize(
    "source",
    [
        'x = """never closed\n# preplint: ignore-file\n',
        "x = (\n# preplint: ignore-file\n",
        "if x:\n        a = 1\n    b = 2  # preplint: ignore\n",
    ],
)
def test_files_that_do_not_tokenize_have_no_suppressions(source: str) -> None:
    assert parse(source) == NO_SUPPRESSIONS


def test_a_file_that_does_not_parse_still_reports_syntax() -> None:
    diagnostics = lint({"a.py": 'import torch\nx = """never closed\n# preplint: ignore-file\n'})
    assert [d.code for d in diagnostics] == ["SYNTAX"]


def test_tokens_after_the_last_directive_are_not_read() -> None:
    # What follows the last directive's statement cannot change what the directives mean.
    source = '# preplint: ignore-file[SAFE]\nimport torch\nx = 1\ny = """never closed\n'
    assert parse(source).file == frozenset({"SAFE"})
    broken_before = 'x = """never closed\n# preplint: ignore-file[SAFE]\n'
    assert parse(broken_before) == NO_SUPPRESSIONS


def test_suppressions_survive_the_facts_cache() -> None:
    from preplint.cache import _classes, decode, encode

    suppressions = parse(
        "# preplint: ignore-file[SEED]\nx = f(\n    1)  # preplint: ignore[SAFE0001]\ny = 1  # preplint: oops\n"
    )
    restored = decode(encode(suppressions), _classes())
    assert restored == suppressions
    assert restored.problems() == suppressions.problems() and len(restored.problems()) == 2
