"""The book's table of contents and configuration agree with the files on disk."""

import pathlib
import re

import pytest
import yaml

ROOT = pathlib.Path(__file__).parent.parent


def toc_files():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]
    for part in toc.get("parts", []):
        files += [entry["file"] for entry in part.get("chapters", [])]
    return files


def source_of(entry):
    matches = [path for suffix in (".md", ".ipynb")
               if (path := ROOT / (entry + suffix)).exists()]
    return matches


@pytest.mark.parametrize("entry", toc_files())
def test_every_toc_entry_has_exactly_one_source(entry):
    matches = source_of(entry)
    assert len(matches) == 1, f"_toc.yml lists {entry!r}; found sources {matches}"


def test_every_chapter_is_in_the_toc():
    listed = set(toc_files())
    missing = [path.name for path in sorted((ROOT / "chapters").glob("*.ipynb"))
               if f"chapters/{path.stem}" not in listed]
    assert not missing, f"chapters not listed in _toc.yml: {missing}"


def test_config_executes_with_a_training_sized_timeout_and_hides_tf_stderr():
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    execute = config["execute"]
    assert execute["execute_notebooks"] == "cache"
    assert execute["timeout"] >= 600
    assert execute["stderr_output"] == "remove"
    extensions = config["parse"]["myst_enable_extensions"]
    assert {"dollarmath", "amsmath"} <= set(extensions)
    for bib in config["bibtex_bibfiles"]:
        assert (ROOT / bib).exists(), f"bibliography {bib} missing"


def test_publishing_workflow_tests_then_builds_in_full_mode_and_deploys_pages():
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "publish.yml").read_text())
    jobs = workflow["jobs"]
    # Nothing is deployed unless the pull-request check (.ci/run = make test) passes.
    assert jobs["test"]["uses"] == "./.github/workflows/check.yml"
    assert jobs["build"]["needs"] == "test" and jobs["deploy"]["needs"] == "build"
    build = jobs["build"]
    assert build["env"]["VAE_BOOK_MODE"] == "full"
    commands = [step.get("run", "") for step in build["steps"]]
    assert "make book" in commands
    uses = [step.get("uses", "") for job in jobs.values() for step in job.get("steps", [])]
    assert any(use.startswith("actions/upload-pages-artifact") for use in uses)
    assert any(use.startswith("actions/deploy-pages") for use in uses)
    caches = [step for step in build["steps"] if step.get("uses", "").startswith("actions/cache")]
    assert any("~/.cache/vae_book" in step["with"]["path"] for step in caches)


def test_executed_notebooks_are_never_restored_from_another_library_version():
    """jupyter-cache notices changed code cells only: its cache key must fingerprint vae_lib."""
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "publish.yml").read_text())
    steps = workflow["jobs"]["build"]["steps"]
    fingerprint = next(step for step in steps if step.get("id") == "library")
    assert "hashFiles('vae_lib/**" in fingerprint["run"]
    assert "requirements.txt" in fingerprint["run"]
    notebooks = [step for step in steps if step.get("uses", "").startswith("actions/cache")
                 and ".jupyter_cache" in step["with"]["path"]]
    assert notebooks, "the executed-notebook cache is not restored at all"
    for step in notebooks:
        for field in ("key", "restore-keys"):
            for key in str(step["with"].get(field, "")).splitlines():
                assert "steps.library.outputs.hash" in key, f"{field} {key!r} crosses libraries"


def test_binder_finds_the_offline_data_package():
    assert "dataset-fashion-mnist" in (ROOT / "apt.txt").read_text().split()


def test_every_public_module_of_the_library_is_on_the_api_page():
    documented = set(re.findall(r"automodule:: (vae_lib\.\w+)", (ROOT / "book/api.md").read_text()))
    modules = {f"vae_lib.{path.stem}" for path in (ROOT / "vae_lib").glob("*.py")
               if not path.stem.startswith("_")}
    modules |= {f"vae_lib.{path.name}" for path in (ROOT / "vae_lib").iterdir()
                if (path / "__init__.py").exists()}
    missing = sorted(modules - documented)
    assert not missing, f"book/api.md has no automodule for {missing}"
    unknown = sorted(documented - modules)
    assert not unknown, f"book/api.md documents modules that do not exist: {unknown}"


def test_the_instructor_guides_exercise_table_is_written_from_the_chapters(tmp_path):
    import sys

    tool = ROOT / "tools" / "exercise_table.py"
    sys.path.insert(0, str(tool.parent))
    try:
        import exercise_table
    finally:
        sys.path.remove(str(tool.parent))
    # `python tools/exercise_table.py --check`, in this process (a new one spends 5 s on imports)
    assert exercise_table.main(["--check"]) == 0
    assert "{include} exercise_table.md" in (ROOT / "book/instructor_guide.md").read_text()
    # the check can fail: a chapter whose exercise lost its checker changes the table
    import json
    chapter = tmp_path / "04_the_elbo.ipynb"
    notebook = json.loads((ROOT / "chapters/04_the_elbo.ipynb").read_text())
    graded = [cell for cell in notebook["cells"]
              if cell["metadata"].get("grading", {}).get("checker")]
    graded[0]["metadata"]["grading"] = {"manual": True, "points": 1}
    chapter.write_text(json.dumps(notebook))
    text = exercise_table.table(tmp_path)
    assert "| 4 | " in text and text not in (ROOT / "book/exercise_table.md").read_text()
    assert "| 2 | 3 |" in text  # chapter 4: two by checker, three by hand
