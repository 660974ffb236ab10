"""The book's table of contents and configuration agree with the files on disk."""

import pathlib

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
