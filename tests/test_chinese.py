"""The Chinese pages (issue 15): the glossary covers the notation page, the seed article's wrong
terms are marked with the right ones, and Chinese text renders with real glyphs in a browser.

Coverage rule (parsed from ``book/notation.md`` at test time, never a frozen list):

* **Symbols:** every row of the table under ``## Symbols`` (after the header and ``|---|`` rows).
  A row is covered when a table of ``book/glossary_zh.md`` with a ``符号`` column has a row whose
  ``符号`` cell equals the row's symbol cell, or whose ``English`` cell equals the row's meaning
  cell (both compared with all whitespace removed; the meaning also ignoring case), and whose
  ``中文`` cell contains at least one Chinese character.
* **Terms:** under ``## Glossary`` (up to the next ``## `` heading), every line that starts
  neither with whitespace nor with ``:`` and whose next non-blank line starts with ``:`` (a
  MyST definition-list term). A term is covered when a glossary table row has an ``English``
  cell equal to the term (case and whitespace ignored; parenthesized parts such as "(OOD)"
  may be left out on either side) and a ``中文`` cell with at least one Chinese character.

Table cells are split on ``|`` outside ``$...$`` math and backtick code.

The browser tests draw every distinct CJK character of a page on a canvas, in the font the page
computes for the element that holds it, and compare the pixels with characters that no font has
(unassigned code points, which draw the "tofu" box or nothing): a character that draws the same
is reported as having no glyph. They reuse ``open_page`` and the ``server`` and ``browser``
fixtures of ``tests/test_site.py`` by importing them, and skip (saying why) when the book is not
built or Chromium is absent. ``test_the_glyph_check_finds_tofu_without_cjk_fonts`` shows the
check can fail: it launches Chromium with a fontconfig that has no CJK font.
"""

import itertools
import json
import os
import pathlib
import re
import shutil
import subprocess

import pytest

# browser and server are pytest fixtures, found by name in this module.
from test_site import (  # noqa: F401
    CHROMIUM,
    SCREENSHOTS,
    SITE,
    browser,
    needs_site,
    open_page,
    server,
)

ROOT = pathlib.Path(__file__).parent.parent
NOTATION = ROOT / "book" / "notation.md"
GLOSSARY = ROOT / "book" / "glossary_zh.md"
GUIDE = ROOT / "book" / "zh_guide.md"
HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
SUMMARY_TITLE = "中文小结"
# The seed article's wrong terms and the standard terms that replace them.
WRONG_TERMS = {"对数概率估计": "证据下界", "熵距度": "KL 散度"}
BROWSER_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run"]


# ---------------------------------------------------------------------------------------------
# Parsing the two markdown files

def split_row(line):
    """The cells of one markdown table row, splitting on | outside $math$ and `code`."""
    cells, current, in_math, in_code, index = [], [], False, False, 0
    line = line.strip().removeprefix("|")
    while index < len(line):
        char = line[index]
        if char == "\\" and index + 1 < len(line):
            current.append(line[index:index + 2])
            index += 2
            continue
        if char == "`" and not in_math:
            in_code = not in_code
        elif char == "$" and not in_code:
            in_math = not in_math
        if char == "|" and not in_math and not in_code:
            cells.append("".join(current).strip())
            current = []
        else:
            current.append(char)
        index += 1
    if "".join(current).strip():
        cells.append("".join(current).strip())
    return cells


def tables(text):
    """Every pipe table of a markdown text, as a list of row dicts keyed by the header cells."""
    found, lines, index = [], text.splitlines(), 0
    while index < len(lines) - 1:
        header, rule = lines[index], lines[index + 1]
        if header.lstrip().startswith("|") and re.fullmatch(r"\s*\|?[\s:|-]+\|?\s*", rule) \
                and "-" in rule:
            names = split_row(header)
            rows, index = [], index + 2
            while index < len(lines) and lines[index].lstrip().startswith("|"):
                cells = split_row(lines[index])
                rows.append(dict(zip(names, cells + [""] * (len(names) - len(cells)))))
                index += 1
            found.append(rows)
        else:
            index += 1
    return found


def section(text, heading):
    """The text under a ``## heading`` up to the next ``## `` heading."""
    match = re.search(rf"^## {re.escape(heading)}\s*$(.*?)(?=^## |\Z)", text,
                      re.MULTILINE | re.DOTALL)
    if match is None:
        raise AssertionError(f"no '## {heading}' section")
    return match.group(1)


def notation_entries(path=NOTATION):
    """(symbols, terms): the notation page's symbol rows as (symbol, meaning) and its terms."""
    text = path.read_text(encoding="utf-8")
    symbol_tables = tables(section(text, "Symbols"))
    symbols = [(row["symbol"], row["meaning"]) for table in symbol_tables for row in table]
    lines = section(text, "Glossary").splitlines()
    terms = []
    for index, line in enumerate(lines):
        if not line.strip() or line[0].isspace() or line.startswith(":"):
            continue
        following = next((later for later in lines[index + 1:] if later.strip()), "")
        if following.startswith(":"):
            terms.append(line.strip())
    return symbols, terms


def squash(text):
    return re.sub(r"\s+", "", text)


def words(text):
    return re.sub(r"\s+", " ", text).strip().lower()


def spellings(text):
    """A term as written and without its parenthesized parts ("Out-of-distribution (OOD)
    detection" also matches "Out-of-distribution detection"), case and spacing ignored."""
    return {words(text or ""), words(re.sub(r"\s*\([^)]*\)", "", text or ""))}


def has_chinese(text):
    return bool(HAN.search(text or ""))


def glossary_rows(path=GLOSSARY):
    return [row for table in tables(path.read_text(encoding="utf-8")) for row in table]


def missing_chinese_terms(notation=NOTATION, glossary=GLOSSARY):
    """Every notation entry without a glossary row that gives it a Chinese term."""
    symbols, terms = notation_entries(notation)
    rows = glossary_rows(glossary)
    missing = []
    for symbol, meaning in symbols:
        if not any(has_chinese(row.get("中文")) and "符号" in row
                   and (squash(row["符号"]) == squash(symbol)
                        or squash(row.get("English", "")).lower() == squash(meaning).lower())
                   for row in rows):
            missing.append(f"symbol {symbol} ({meaning})")
    for term in terms:
        if not any(has_chinese(row.get("中文")) and spellings(term) & spellings(row.get("English"))
                   for row in rows):
            missing.append(f"term {term!r}")
    return missing


# ---------------------------------------------------------------------------------------------
# (a) the glossary covers the notation page

def test_the_parser_reads_the_notation_page():
    symbols, terms = notation_entries()
    # The page had 21 symbols and 11 terms when this test was written; it only grows.
    assert len(symbols) >= 15, f"only {len(symbols)} symbol rows parsed: {symbols}"
    assert len(terms) >= 8, f"only {len(terms)} glossary terms parsed: {terms}"
    assert ("$z$", "the latent code of an image, a vector of $d$ numbers") in symbols
    assert "ELBO" in terms and "Posterior collapse" in terms


def test_every_notation_entry_has_a_chinese_term():
    missing = missing_chinese_terms()
    assert not missing, ("book/notation.md entries without a Chinese term in "
                         "book/glossary_zh.md:\n" + "\n".join(missing))


def test_the_coverage_check_fails_when_notation_gains_an_entry(tmp_path):
    text = NOTATION.read_text(encoding="utf-8")
    last_row = [line for line in section(text, "Symbols").splitlines() if line.startswith("|")][-1]
    text = text.replace(last_row, last_row + "\n| $\\gamma$ | a new weight for testing | `gamma` |")
    text = text.rstrip("\n") + "\n\nSpectral widget\n: A term made up for this test.\n"
    notation = tmp_path / "notation.md"
    notation.write_text(text, encoding="utf-8")
    missing = missing_chinese_terms(notation=notation)
    assert missing == ["symbol $\\gamma$ (a new weight for testing)", "term 'Spectral widget'"]


def test_the_coverage_check_accepts_chapter_terms_the_glossary_already_has(tmp_path):
    text = NOTATION.read_text(encoding="utf-8").rstrip("\n")
    text += ("\n\nOut-of-distribution detection\n: Chapter 9.\n\nFree bits\n: Chapter 11.\n"
             "\nBits-back coding\n: Chapter 10.\n")
    notation = tmp_path / "notation.md"
    notation.write_text(text, encoding="utf-8")
    assert "Free bits" in notation_entries(notation)[1]
    assert missing_chinese_terms(notation=notation) == []


def test_the_coverage_check_fails_when_a_chinese_cell_is_empty(tmp_path):
    lines = GLOSSARY.read_text(encoding="utf-8").splitlines()
    (index,) = [i for i, line in enumerate(lines) if line.startswith("| Posterior collapse |")]
    cells = split_row(lines[index])
    cells[1] = "posterior collapse"  # an English "translation": no Chinese character
    lines[index] = "| " + " | ".join(cells) + " |"
    glossary = tmp_path / "glossary_zh.md"
    glossary.write_text("\n".join(lines), encoding="utf-8")
    assert missing_chinese_terms(glossary=glossary) == ["term 'Posterior collapse'"]


def test_every_glossary_row_has_a_chinese_term():
    rows = [row for row in glossary_rows() if "中文" in row]
    assert len(rows) > 50
    empty = [row.get("English") for row in rows if not has_chinese(row["中文"])]
    assert not empty, f"glossary rows whose 中文 cell has no Chinese character: {empty}"


def test_the_cell_splitter_keeps_math_and_code_whole():
    assert split_row("| $a \\mid b$ | `x | y` | $|z|$ | plain |") == \
        ["$a \\mid b$", "`x | y`", "$|z|$", "plain"]


# ---------------------------------------------------------------------------------------------
# (b) the article's wrong terms are marked with the right ones

def test_the_glossary_corrects_the_articles_wrong_terms():
    rows = glossary_rows()
    corrections = [row for row in rows if "原文用词" in row]
    assert corrections, "no correction table (columns 原文用词 | 应作 | English | 原因)"
    for wrong, right in WRONG_TERMS.items():
        matching = [row for row in corrections if wrong in row["原文用词"]]
        assert matching, f"the correction table has no row for {wrong}"
        assert any(right in row["应作"] and row["原因"].strip() for row in matching), \
            f"{wrong} is not corrected to {right} with a reason"
        # The main rows for the right term say what the article wrote.
        marked = [row for row in rows if "中文" in row and right in row["中文"]
                  and f"原文误作**“{wrong}”" in row.get("说明", "")]
        assert marked, f"no glossary row for {right} marks the article's {wrong}"


def test_the_guide_names_each_wrong_term_with_its_correction():
    paragraphs = re.split(r"\n\s*\n|\n(?=- )", GUIDE.read_text(encoding="utf-8"))
    for wrong, right in WRONG_TERMS.items():
        together = [text for text in paragraphs if wrong in text and right in text]
        assert together, f"the guide never corrects {wrong} to {right} in one paragraph"


# ---------------------------------------------------------------------------------------------
# Line breaks: HTML turns a line break inside a paragraph into a space, which Chinese text must
# not have between two characters ("两样\n东西" renders as "两样 东西").

CJK_EDGE = "[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef\u201c\u201d\u2018\u2019]"
BLOCK_START = re.compile(r"\s*(?:[-*+] |\d+\. |#|\||:|```|~~~|\$\$|\{)")


def hard_wrapped_chinese(text):
    """Lines of one paragraph that break between two Chinese characters (line numbers)."""
    problems, fenced, lines = [], False, text.splitlines()
    for number, (line, following) in enumerate(itertools.pairwise(lines), 1):
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
        if fenced or not following.strip() or BLOCK_START.match(following):
            continue
        if re.search(CJK_EDGE + r"$", line.rstrip()) and re.match(CJK_EDGE, following.strip()):
            problems.append(f"line {number}: ...{line.rstrip()[-12:]} / {following.strip()[:12]}...")
    return problems


def test_the_line_break_rule_finds_a_break_between_chinese_characters():
    assert hard_wrapped_chinese("VAE 学到两样\n东西。\n") == ["line 1: ...VAE 学到两样 / 东西。..."]
    assert hard_wrapped_chinese("一句话。\n\n另一段。\n- 列表\n- 项目\n") == []
    assert hard_wrapped_chinese("单位是\n784 个像素\n") == []  # a space before a number is fine


@pytest.mark.parametrize("path", [GUIDE, GLOSSARY], ids=lambda path: path.name)
def test_chinese_pages_do_not_break_lines_inside_chinese_text(path):
    problems = hard_wrapped_chinese(path.read_text(encoding="utf-8"))
    assert not problems, (f"{path.name}: write each Chinese paragraph or list item on one line "
                          "(a line break renders as a space):\n" + "\n".join(problems))


def test_chapter_summaries_do_not_break_lines_inside_chinese_text():
    problems = []
    for path in sorted((ROOT / "chapters").glob("*.ipynb")):
        for index, cell in enumerate(json.loads(path.read_text(encoding="utf-8"))["cells"]):
            source = "".join(cell["source"])
            if cell["cell_type"] == "markdown" and SUMMARY_TITLE in source:
                problems += [f"{path.name} cell {index}: {problem}"
                             for problem in hard_wrapped_chinese(source)]
    assert not problems, ("write each Chinese paragraph or list item of a summary on one line "
                          "(a line break renders as a space):\n" + "\n".join(problems))


# ---------------------------------------------------------------------------------------------
# (c) Chinese text renders with real glyphs

GLYPH_CHECK = r"""(selector) => {
  const root = document.querySelector(selector);
  if (!root) return {chars: [], missing: [], fonts: [], error: `no element ${selector}`};
  const cjk = /[\u3001-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff01-\uffef]/gu;
  const fontOf = new Map();
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode, element = node.parentElement;
    if (!element || element.closest('script, style, .MathJax, .MathJax_Display')) continue;
    const style = getComputedStyle(element);
    const font = `${style.fontStyle} ${style.fontWeight} 40px ${style.fontFamily}`;
    for (const ch of node.data.match(cjk) || []) if (!fontOf.has(ch)) fontOf.set(ch, font);
  }
  const canvas = document.createElement('canvas');
  canvas.width = canvas.height = 56;
  const context = canvas.getContext('2d', {willReadFrequently: true});
  const draw = (text, font) => {
    context.clearRect(0, 0, 56, 56);
    context.font = font;
    context.fillStyle = '#000';
    context.fillText(text, 4, 44);
    const alpha = context.getImageData(0, 0, 56, 56).data.filter((_, i) => i % 4 === 3);
    return alpha.some(a => a) ? alpha.join(',') : '';
  };
  // Unassigned code points: no font has them, so they draw the missing-glyph box (or nothing),
  // exactly what a Chinese character without a glyph draws in the same font.
  const noGlyph = ['\u0378', '\u0530', '\u{2FFFD}'];
  const tofu = new Map(), missing = [];
  for (const [ch, font] of fontOf) {
    if (!tofu.has(font)) tofu.set(font, new Set(noGlyph.map(c => draw(c, font))));
    const drawn = draw(ch, font);
    if (drawn === '' || tofu.get(font).has(drawn)) missing.push(ch);
  }
  return {chars: [...fontOf.keys()], missing, fonts: [...new Set(fontOf.values())]};
}"""


def glyph_report(tab, selector):
    """Which CJK characters inside ``selector`` draw without a glyph (dict: chars, missing)."""
    report = tab.evaluate(GLYPH_CHECK, selector)
    assert "error" not in report, report.get("error")
    return report


def assert_real_glyphs(report, where, at_least):
    assert len(report["chars"]) >= at_least, \
        f"only {len(report['chars'])} distinct Chinese characters on {where}: {report['chars']}"
    assert not report["missing"], (
        f"{len(report['missing'])} of {len(report['chars'])} Chinese characters on {where} draw "
        f"without a glyph (tofu): {''.join(report['missing'])}; fonts: {report['fonts']}. "
        "Install a CJK font (Debian: fonts-noto-cjk).")


def wait_for_math(tab):
    """Wait until MathJax has typeset the page (only for screenshots: the glyph check skips
    math). Typesetting a long chapter took 45 s on two busy cores, hence the generous limit."""
    if tab.locator(".math.notranslate").count():
        tab.wait_for_function("() => window.MathJax && MathJax.Hub && MathJax.Hub.queue"
                              " && MathJax.Hub.queue.pending === 0", timeout=180_000)


def test_the_glyph_check_finds_tofu_without_cjk_fonts(tmp_path):
    """With only Latin fonts every Chinese character must be reported; with the system's fonts
    (which include a CJK font here) none."""
    if CHROMIUM is None:
        pytest.skip("Chromium is not installed (CI installs Debian's chromium)")
    playwright_api = pytest.importorskip("playwright.sync_api")
    if not shutil.which("fc-list"):
        pytest.skip("fontconfig's fc-list is not installed")
    files = subprocess.run(["fc-list", "--format", "%{file}\n"], capture_output=True,
                           text=True, check=True).stdout.split()
    chinese = set(subprocess.run(["fc-list", ":lang=zh", "--format", "%{file}\n"],
                                 capture_output=True, text=True, check=True).stdout.split())
    fonts = tmp_path / "fonts"
    fonts.mkdir()
    for index, path in enumerate(sorted(set(files) - chinese)):
        (fonts / f"{index}_{pathlib.Path(path).name}").symlink_to(path)
    config = tmp_path / "fonts.conf"
    config.write_text('<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n'
                      f"<fontconfig><dir>{fonts}</dir><cachedir>{tmp_path / 'cache'}</cachedir>"
                      "</fontconfig>\n", encoding="utf-8")
    page = "<p>中文导读：证据下界与 KL 散度。</p><p style='font-family: serif'>重参数化技巧</p>"
    reports = {}
    with playwright_api.sync_playwright() as playwright:
        for name, env in (("system fonts", None),
                          ("no CJK font", {**os.environ, "FONTCONFIG_FILE": str(config)})):
            browser = playwright.chromium.launch(executable_path=CHROMIUM, env=env,
                                                 args=BROWSER_ARGS)
            tab = browser.new_page()
            tab.set_content(page)
            reports[name] = glyph_report(tab, "body")
            browser.close()
    without = reports["no CJK font"]
    expected = set(re.findall(r"[\u3001-\u303f\u4e00-\u9fff\uff01-\uffef]", page))
    assert sorted(without["chars"]) == sorted(expected)
    assert sorted(without["missing"]) == sorted(without["chars"]), \
        f"the check missed tofu: {set(without['chars']) - set(without['missing'])}"
    if chinese:
        assert reports["system fonts"]["missing"] == []


@needs_site
def test_the_chinese_guide_renders_in_a_browser(server, browser):  # noqa: F811
    page = SITE / "book" / "zh_guide.html"
    assert page.exists(), "book/zh_guide.html was not built"
    tab, problems = open_page(browser, server, page)
    wait_for_math(tab)
    assert tab.locator("article h1").first.inner_text().strip().startswith("中文导读")
    # The whole page: the article and the navigation, which lists the Chinese pages too.
    assert_real_glyphs(glyph_report(tab, "body"), page.name, at_least=300)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(SCREENSHOTS / "zh_guide.png"), full_page=False)
    tab.close()
    assert not problems, f"{page.name}:\n" + "\n".join(problems[:20])


@needs_site
def test_the_glossary_renders_in_a_browser(server, browser):  # noqa: F811
    page = SITE / "book" / "glossary_zh.html"
    assert page.exists(), "book/glossary_zh.html was not built"
    tab, problems = open_page(browser, server, page)
    assert tab.locator("article table").count() >= 3
    assert_real_glyphs(glyph_report(tab, "article"), page.name, at_least=300)
    tab.close()
    assert not problems, f"{page.name}:\n" + "\n".join(problems[:20])


FIND_SUMMARY = r"""(title) => {
  const article = document.querySelector('article') || document.body;
  const candidates = [...article.querySelectorAll('h1, h2, h3, h4, p.admonition-title, summary, '
                                                 + '.sd-summary-title, button, p, span')];
  const heading = candidates.find(node => node.textContent.trim().startsWith(title));
  if (!heading) return null;
  const box = heading.closest('details, div.admonition, div.dropdown, .toggle, section');
  box.setAttribute('data-zh-summary', 'yes');
  return {tag: box.tagName.toLowerCase(), classes: box.className, open: box.open === true};
}"""


def chapter_pages_with_summary():
    pages = sorted((SITE / "chapters").glob("*.html")) if SITE.exists() else []
    return [page for page in pages if SUMMARY_TITLE in page.read_text(encoding="utf-8")]


def check_chapter_summary(tab, page):
    """The 中文小结 of a chapter page open in ``tab`` is collapsed until clicked and draws its
    Chinese with real glyphs. ``tests/test_site.py::test_page_in_a_browser`` calls this on every
    chapter page it has already loaded (loading each page a second time here took 40 s)."""
    found = tab.evaluate(FIND_SUMMARY, SUMMARY_TITLE)
    assert found, f"{page.name} has no section titled {SUMMARY_TITLE}"
    box = tab.locator("[data-zh-summary]")
    # Collapsed by default: the box shows its title, not its bullet points.
    body = box.locator("li").first
    assert body.count() and not body.is_visible(), \
        f"the {SUMMARY_TITLE} of {page.name} is not collapsed ({found})"
    if found["tag"] == "details":
        box.locator("summary").first.click()
    else:
        box.locator("button.toggle-button, .toggle-button, .admonition-title").first.click()
    body.wait_for(state="visible", timeout=5_000)
    assert_real_glyphs(glyph_report(tab, "[data-zh-summary]"), f"{page.name} (summary)",
                       at_least=30)
    if page.stem.startswith("01_"):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        box.scroll_into_view_if_needed()
        box.screenshot(path=str(SCREENSHOTS / f"zh_summary_{page.stem}.png"))


@needs_site
def test_every_chapter_page_has_a_summary():
    """Every built chapter page carries a 中文小结 (the browser checks it in test_site)."""
    pages = sorted((SITE / "chapters").glob("*.html"))
    assert pages
    assert chapter_pages_with_summary() == pages
