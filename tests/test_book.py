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


def test_publishing_workflow_builds_in_full_mode_and_deploys_pages():
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "publish.yml").read_text())
    build = workflow["jobs"]["build"]
    assert build["env"]["VAE_BOOK_MODE"] == "full"
    commands = " ".join(step.get("run", "") for step in build["steps"])
    assert "pip install -r requirements.txt" in commands and "jupyter-book build ." in commands
    uses = [step.get("uses", "") for job in workflow["jobs"].values() for step in job["steps"]]
    assert any(use.startswith("actions/upload-pages-artifact") for use in uses)
    assert any(use.startswith("actions/deploy-pages") for use in uses)
    cached = next(step for step in build["steps"] if step.get("uses", "").startswith("actions/cache"))
    assert "~/.cache/vae_book" in cached["with"]["path"]


def test_binder_finds_the_offline_data_package():
    assert "dataset-fashion-mnist" in (ROOT / "apt.txt").read_text().split()
