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
