"""No run-dependent number is typed by hand into a chapter's text.

A number a run produces (a loss, a log-likelihood, a count of units, a time, a data size) must
reach the text through myst-nb's glue (``{glue:text}`key:.1f```), so the website always says
what its own build computed, on whatever data that build had. This test reads the markdown of
every chapter and fails on any number that is not obviously something else. A number is
accepted when it is

* small: an integer from 0 to 12 (counts in the argument, chapter numbers, K = 1);
* a year (1900-2039), as in a citation ("Kingma et al. 2014");
* part of a reference: "chapter 7", "Figure 2.3", "section 3.2", "Table 1", an equation or
  exercise label, a citation, a glue role, inline code or a fenced code block;
* in a sentence that cites a published result ({cite}), which is a number from a paper;
* written in the chapter's code as a literal (a setting shown to the reader, like
  ``latent_dim = 16`` or ``num_samples=1000``), since the code cell shows it too;
* listed for that chapter in ``tests/prose_numbers.yml`` with a reason: constants of formulas
  (784 pixels, 784 ln 2 = 543.4 nats, a 1/sqrt(2) factor) that no run can change.

Everything else is reported with the chapter, the cell and the sentence around it.
"""

import ast
import json
import math
import pathlib
import re

import pytest
import yaml

ROOT = pathlib.Path(__file__).parent.parent
CHAPTERS = sorted((ROOT / "chapters").glob("*.ipynb"))
ALLOWED = yaml.safe_load((ROOT / "tests" / "prose_numbers.yml").read_text()) or {}

NUMBER = re.compile(r"(?<![\w.\\])[-\u2212]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?![\w])")
REMOVED = [
    re.compile(r"```.*?```", re.DOTALL),                     # fenced blocks (code, directives)
    re.compile(r"\{(?:glue|cite|eq|ref|numref|doc|download|term|math)[^}]*\}`[^`]*`"),  # roles
    re.compile(r"`[^`]*`"),                                  # inline code
    re.compile(r"\]\([^)]*\)"),                              # link targets
    re.compile(r"<[^>]+>"),                                  # HTML tags
    re.compile(r"^\s*:\w+:.*$", re.MULTILINE),               # directive options (:label: ...)
    re.compile(r"\\(?:label|ref|eqref|tag)\{[^}]*\}"),       # LaTeX labels
    re.compile(r"\bch\d\d[-\w]*"),                           # exercise and glue labels
]
REFERENCE = re.compile(
    r"(?:\b(?:[Cc]hapters?|[Ff]igures?|[Tt]ables?|[Ss]ections?|§|[Ee]quations?|[Ee]q\.|"
    r"[Tt]heorem|[Ee]xercises?|[Ss]tep|[Aa]lgorithm)\s+$)|"
    r"(?:\b[Cc]hapters?\s+\d+(?:\s*(?:,|and|to|or|-|\u2013)\s*\d+)*\s*(?:,|and|to|or|-|\u2013)\s*$)")


def markdown_cells(path):
    notebook = json.loads(path.read_text())
    for index, cell in enumerate(notebook["cells"]):
        if cell["cell_type"] == "markdown":
            yield index, "".join(cell["source"])


def code_literals(path):
    """Every number written as a literal in the chapter's code cells."""
    notebook = json.loads(path.read_text())
    numbers = set()
    for cell in notebook["cells"]:
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"])
        source = "\n".join(line for line in source.splitlines()
                           if not line.lstrip().startswith(("%", "!")))
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) \
                    and not isinstance(node.value, bool):
                numbers.add(float(node.value))
                numbers.add(float(-node.value))
    return numbers


def value_of(token):
    return float(token.replace(",", "").replace("\u2212", "-"))


def sentences(text):
    return re.split(r"(?<=[.!?])\s+(?=[A-Z*(])|\n\s*\n", text)


def unexplained_numbers(path):
    literals = code_literals(path)
    allowed = {value_of(str(key)) for key in (ALLOWED.get(path.stem) or {})}
    allowed |= {value_of(str(key)) for key in (ALLOWED.get("all chapters") or {})}
    problems = []
    for index, text in markdown_cells(path):
        for sentence in sentences(text):
            if "{cite}" in sentence or "{cite:" in sentence:
                continue
            cleaned = sentence.replace("{,}", ",")  # LaTeX thousands separator
            for pattern in REMOVED:
                cleaned = pattern.sub(" ", cleaned)
            for match in NUMBER.finditer(cleaned):
                token = match.group()
                value = value_of(token)
                if value.is_integer() and (0 <= abs(value) <= 12 or 1900 <= value <= 2039):
                    continue
                if REFERENCE.search(cleaned[:match.start()]):
                    continue
                if any(math.isclose(value, other, rel_tol=1e-9) for other in literals | allowed):
                    continue
                context = " ".join(cleaned[max(0, match.start() - 60):match.end() + 40].split())
                problems.append(f"cell {index}: {token!r} in '...{context}...'")
    return problems


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda path: path.stem)
def test_no_hand_typed_run_numbers_in_the_text(path):
    problems = unexplained_numbers(path)
    assert not problems, (
        f"{path.name} states {len(problems)} number(s) by hand. Glue run results "
        "({glue:text}`key:fmt`) or, for a constant of a formula, list it with a reason under "
        f"'{path.stem}' in tests/prose_numbers.yml:\n  " + "\n  ".join(problems))


def test_the_rule_catches_a_typed_result_and_accepts_the_others(tmp_path):
    notebook = {"cells": [
        {"cell_type": "code", "source": ["latent_dim = 16\nnum_samples = 1_000\n"],
         "metadata": {}, "outputs": [], "execution_count": None},
        {"cell_type": "markdown", "metadata": {}, "source": [
            "With `latent_dim` = 16 and 1,000 samples (chapter 17, Figure 2.13) the test ELBO "
            "is {glue:text}`ch99_elbo:.1f` nats. Burda et al. report -86.76 {cite}`burda`. "
            "In 2015 it was new. The run gave -109.4 nats per image."]}],
        "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path = tmp_path / "99_example.ipynb"
    path.write_text(json.dumps(notebook))
    problems = unexplained_numbers(path)
    assert len(problems) == 1 and "'-109.4'" in problems[0]


def test_allow_list_entries_give_reasons():
    for chapter, entries in ALLOWED.items():
        for number, reason in (entries or {}).items():
            assert isinstance(reason, str) and len(reason.split()) >= 3, \
                f"tests/prose_numbers.yml: {chapter}: {number} needs a reason"
