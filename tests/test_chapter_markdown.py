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
