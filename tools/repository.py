"""The book's repository address, kept in one place: ``repository`` in ``_config.yml``.

Every other place that needs the address (the hidden first cell of each chapter, which
pip-installs ``vae_lib`` on Colab, the README's clone command and launch links, and
``pyproject.toml``) is written from it by this tool, and ``tests/test_reach.py`` checks
that they agree.

Usage (from the repository root)::

    python tools/repository.py show
    python tools/repository.py check
    python tools/repository.py set https://github.com/you/your-fork [--branch main]

``make repository URL=https://github.com/you/your-fork`` runs the last command.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import re
import sys

import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent
CONFIG = ROOT / "_config.yml"
# Files, besides the chapters, whose text names the repository.
TEXT_FILES = ("README.md", "pyproject.toml", "book/setup.md", "LICENSE-TEXT.md")
# GitHub owners of other projects these files may link to (data sets, tools); any other
# github.com/OWNER/NAME in TEXT_FILES must be the book's own repository.
THIRD_PARTY_OWNERS = {"zalandoresearch", "rasbt", "executablebooks", "jupyter-book",
                      "jupyterhub", "jupyter", "actions", "tensorflow", "keras-team", "d2l-ai",
                      "you"}  # the placeholder in "make repository URL=https://github.com/you/..."
GITHUB_URL = re.compile(r"^https://github\.com/[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
BRANCH = re.compile(r"^[A-Za-z0-9_./-]+$")


def read(root: pathlib.Path = ROOT) -> tuple[str, str]:
    """The repository URL and branch named in ``_config.yml`` (the one place they live)."""
    config = yaml.safe_load((root / "_config.yml").read_text(encoding="utf-8"))
    repository = config.get("repository") or {}
    url, branch = repository.get("url"), repository.get("branch", "main")
    _validate(url, branch)
    return url, branch


def _validate(url, branch) -> None:
    if not isinstance(url, str) or not GITHUB_URL.match(url):
        raise ValueError(f"repository url must look like https://github.com/OWNER/NAME "
                         f"(no trailing slash or .git), got {url!r}")
    if not isinstance(branch, str) or not BRANCH.match(branch):
        raise ValueError(f"repository branch must be a git branch name, got {branch!r}")


def install_cell_source(url: str, branch: str) -> str:
    """The source of every chapter's hidden first code cell, which installs ``vae_lib``."""
    _validate(url, branch)
    return (
        "# Colab (or any machine without the book installed): install the book's library first.\n"
        "# The address comes from `repository` in _config.yml; to point every chapter at a fork,\n"
        "# run `python tools/repository.py set https://github.com/you/fork` (see the README).\n"
        f'VAE_LIB_SOURCE = "git+{url}@{branch}"\n'
        "import importlib, importlib.util, subprocess, sys\n"
        'if importlib.util.find_spec("vae_lib") is None:\n'
        '    subprocess.run([sys.executable, "-m", "pip", "install", "-q",\n'
        '                    f"vae_lib @ {VAE_LIB_SOURCE}"], check=True)\n'
        "    importlib.invalidate_caches()"
    )


def _install_cell(notebook: dict, path: pathlib.Path) -> dict:
    """The first code cell, which must be the hidden (``remove-cell``) install cell."""
    code = [cell for cell in notebook["cells"] if cell["cell_type"] == "code"]
    if not code or "remove-cell" not in code[0].get("metadata", {}).get("tags", []):
        raise ValueError(f"{path.name}: the first code cell must be the hidden cell that "
                         f"installs vae_lib (tag remove-cell); write it with "
                         f"`python tools/repository.py write-chapters`")
    return code[0]


def chapter_source(path: pathlib.Path) -> str:
    """The current source of a chapter's install cell."""
    notebook = json.loads(path.read_text(encoding="utf-8"))
    return "".join(_install_cell(notebook, path)["source"])


def write_chapter(path: pathlib.Path, url: str, branch: str) -> bool:
    """Rewrite only the install cell of one chapter; True if the file changed.

    The notebook is written as nbformat writes it (indent 1, sorted keys, cell ids kept).
    """
    text = path.read_text(encoding="utf-8")
    notebook = json.loads(text)
    cell = _install_cell(notebook, path)
    lines = install_cell_source(url, branch).splitlines(keepends=True)
    if cell["source"] == lines:
        return False
    cell["source"] = lines
    path.write_text(json.dumps(notebook, indent=1, sort_keys=True, ensure_ascii=False) + "\n",
                    encoding="utf-8")
    return True


def chapters(root: pathlib.Path = ROOT) -> list[pathlib.Path]:
    return sorted((root / "chapters").glob("*.ipynb"))


def disagreements(root: pathlib.Path = ROOT) -> list[str]:
    """Every place that names a repository other than the one in ``_config.yml``."""
    url, branch = read(root)
    problems = []
    expected = install_cell_source(url, branch)
    for path in chapters(root):
        if chapter_source(path) != expected:
            problems.append(f"{path.relative_to(root)}: install cell differs from the one "
                            f"written for {url}@{branch}")
    owner_name = url.split("github.com/")[1]
    for name in TEXT_FILES:
        path = root / name
        if not path.exists():
            continue
        text = path.read_text(encoding="utf-8")
        named = {found.rstrip(".").removesuffix(".git") for found in
                 re.findall(r"https://github\.com/([A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+)", text)}
        for other in sorted(named - {owner_name}):
            if other.split("/")[0] not in THIRD_PARTY_OWNERS:
                problems.append(f"{name}: names https://github.com/{other}, but _config.yml "
                                f"says {url}")
        # Launch links: mybinder.org/v2/gh/OWNER/NAME/BRANCH, Colab's github/OWNER/NAME/blob/BRANCH
        for found in re.findall(r"mybinder\.org/v2/gh/([A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+)/"
                                r"([^/?#\s)`>]+)", text) + re.findall(
                r"colab\.research\.google\.com/github/([A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+)/blob/"
                r"([^/?#\s)`>]+)", text):
            if found != (owner_name, branch):
                problems.append(f"{name}: a launch link names {found[0]}@{found[1]}, but "
                                f"_config.yml says {owner_name}@{branch}")
    return problems


def set_repository(new_url: str, new_branch: str | None = None,
                   root: pathlib.Path = ROOT) -> list[pathlib.Path]:
    """Point the book at another repository: _config.yml, the chapters and the text files."""
    old_url, old_branch = read(root)
    branch = new_branch or old_branch
    _validate(new_url, branch)
    changed = []
    config = root / "_config.yml"
    text = config.read_text(encoding="utf-8")
    # Edit the two lines in place so the comments in _config.yml survive.
    new_text = re.sub(r"(?m)^(  url: )\S+", lambda m: m.group(1) + new_url, text, count=1)
    new_text = re.sub(r"(?m)^(  branch: )\S+", lambda m: m.group(1) + branch, new_text, count=1)
    if new_text != text:
        config.write_text(new_text, encoding="utf-8")
        changed.append(config)
    if read(root) != (new_url, branch):
        raise ValueError(f"could not rewrite repository.url/branch in {config}")
    for path in chapters(root):
        if write_chapter(path, new_url, branch):
            changed.append(path)
    old_blob = f"{old_url}/blob/{old_branch}/"
    new_blob = f"{new_url}/blob/{branch}/"
    for name in TEXT_FILES:
        path = root / name
        if not path.exists():
            continue
        text = path.read_text(encoding="utf-8")
        new_text = text.replace(old_blob, new_blob).replace(old_url, new_url)
        old_gh, new_gh = old_url.split("github.com/")[1], new_url.split("github.com/")[1]
        new_text = new_text.replace(f"gh/{old_gh}/{old_branch}", f"gh/{new_gh}/{branch}")
        new_text = new_text.replace(f"github/{old_gh}/blob/{old_branch}",
                                    f"github/{new_gh}/blob/{branch}")
        if new_text != text:
            path.write_text(new_text, encoding="utf-8")
            changed.append(path)
    return changed


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("show", help="print the repository URL and branch")
    sub.add_parser("check", help="fail if any place disagrees with _config.yml")
    setter = sub.add_parser("set", help="point the book at another repository")
    setter.add_argument("url")
    setter.add_argument("--branch", default=None)
    sub.add_parser("write-chapters", help="rewrite the chapters' install cells from _config.yml")
    args = parser.parse_args(argv)
    if args.command == "show":
        url, branch = read()
        print(f"{url} (branch {branch})")
    elif args.command == "check":
        problems = disagreements()
        for problem in problems:
            print(problem, file=sys.stderr)
        if problems:
            print("fix with: python tools/repository.py set URL", file=sys.stderr)
            return 1
        print("every place names", *read())
    elif args.command == "set":
        for path in set_repository(args.url, args.branch):
            print("rewrote", path.relative_to(ROOT))
    elif args.command == "write-chapters":
        url, branch = read()
        for path in chapters():
            if write_chapter(path, url, branch):
                print("rewrote", path.relative_to(ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main())
