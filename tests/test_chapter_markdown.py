"""The chapters' markdown is well formed where Sphinx would not say so itself."""

import json
import pathlib
import re

import pytest

CHAPTERS = sorted((pathlib.Path(__file__).parent.parent / "chapters").glob("*.ipynb"))
FENCE = re.compile(r"^\s*(`{3,}|~{3,})\s*(.*)$")


def fence_problems(text):
    """Inner fences that end a directive early: a fence inside a ```{directive} block must use
    fewer backticks than the directive's own fence, or the directive closes at the inner
    fence's end and the rest renders as an empty code box."""
    problems, stack = [], []  # stack of (fence length, is directive)
    for number, line in enumerate(text.splitlines(), 1):
        match = FENCE.match(line)
        if not match:
            continue
        length, info = len(match.group(1)), match.group(2).strip()
        if stack and not info and length >= stack[-1][0]:
            stack.pop()
            continue
        if info:
            if stack and stack[-1][1] and length >= stack[-1][0]:
                problems.append(f"line {number}: {line.strip()!r} inside a directive fenced with "
                                f"{stack[-1][0]} backticks; use more backticks outside")
            if stack and not stack[-1][1]:
                continue  # a fence line inside a code block is just text
            stack.append((length, info.startswith("{")))
    for length, _ in stack:
        problems.append(f"a fence of {length} backticks is never closed (a shorter closing "
                        "fence opens an empty code block instead)")
    return problems


def test_the_rule_finds_an_inner_fence_as_long_as_the_outer_one():
    bad = "```{exercise} E\n:label: x\n\n```python\nx = 1\n```\n```\n"
    good = "````{exercise} E\n:label: x\n\n```python\nx = 1\n```\n````\n"
    unclosed = "````{exercise} E\n\n```python\nx = 1\n```\n```\n"
    assert len(fence_problems(bad)) == 1 and fence_problems(good) == []
    assert "never closed" in fence_problems(unclosed)[0]


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda path: path.stem)
def test_no_directive_is_closed_by_an_inner_code_fence(path):
    notebook = json.loads(path.read_text())
    problems = [f"cell {index}: {problem}"
                for index, cell in enumerate(notebook["cells"]) if cell["cell_type"] == "markdown"
                for problem in fence_problems("".join(cell["source"]))]
    assert not problems, f"{path.name}:\n" + "\n".join(problems)


GLUE_ROLE = re.compile(r"\{glue(?::(\w+))?\}`([^`]*)`")
GLUE_CALL = re.compile(r"glue\(\s*(f?)\"([^\"]*)\"(\s*\+)?")


def glued_keys(notebook):
    """Patterns of the keys a notebook's code glues: literal keys, f-string keys with their
    fields as wildcards, and "prefix" + ... as a prefix."""
    code = "\n".join("".join(cell["source"]) for cell in notebook["cells"]
                     if cell["cell_type"] == "code")
    patterns = []
    for is_f, key, concatenated in GLUE_CALL.findall(code):
        pattern = re.escape(key)
        if is_f:
            pattern = re.sub(r"\\\{[^}]*\\\}", ".+", pattern)
        patterns.append(re.compile(pattern + (".+" if concatenated else "") + r"\Z"))
    return patterns


def glue_problems(notebook, others):
    """References to glued values that the build would not find: a key no code cell glues (in
    this chapter, or in the chapter named by path::key), and {glue:text} with path::key but no
    format (myst-nb then splits the key at its last colon)."""
    problems = []
    own = glued_keys(notebook)
    for index, cell in enumerate(notebook["cells"]):
        if cell["cell_type"] != "markdown":
            continue
        for role, target in GLUE_ROLE.findall("".join(cell["source"])):
            path, _, key = target.rpartition("::")
            if role == "text" and path and ":" not in key:
                problems.append(f"cell {index}: {{glue:text}}`{target}` has no format; "
                                "with path::key write path::key:fmt or use {glue}")
            name = key.split(":")[0] if role == "text" else key
            patterns = others.get(pathlib.Path(path).stem) if path else own
            if patterns is None:
                problems.append(f"cell {index}: glue reference {target!r} names a chapter "
                                "that does not exist")
            elif not any(pattern.match(name) for pattern in patterns):
                problems.append(f"cell {index}: glue reference {target!r}: no code cell of "
                                f"{path or 'this chapter'} glues {name!r}")
    return problems


def test_the_glue_rule_finds_unknown_keys_and_cross_chapter_text_without_a_format():
    def notebook(code, markdown):
        return {"cells": [{"cell_type": "code", "source": [code]},
                          {"cell_type": "markdown", "source": [markdown]}]}

    good = notebook('notebook.glue("ch99_a", 1)\nglue(f"ch99_b_{k}", 2)\n'
                    'glue("ch99_c_" + name, 3)',
                    "{glue:text}`ch99_a:.1f` {glue}`ch99_b_x` {glue:text}`ch99_c_y:d`")
    assert glue_problems(good, {}) == []
    bad = notebook('glue("ch99_a", 1)', "{glue:text}`ch99_z:.1f`")
    assert "glues 'ch99_z'" in glue_problems(bad, {})[0]
    other = {"07_x": glued_keys(notebook('glue("ch07_k", 1)', ""))}
    cross = notebook("", "{glue:text}`07_x.ipynb::ch07_k`")
    assert "has no format" in glue_problems(cross, other)[0]
    assert glue_problems(notebook("", "{glue}`07_x.ipynb::ch07_k`"), other) == []


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda path: path.stem)
def test_every_glue_reference_names_a_glued_key(path):
    others = {other.stem: glued_keys(json.loads(other.read_text())) for other in CHAPTERS}
    problems = glue_problems(json.loads(path.read_text()), others)
    assert not problems, f"{path.name}:\n" + "\n".join(problems)
