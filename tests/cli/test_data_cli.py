"""helix data …: full names, --plain, and the output grammar of fetch (no network: the
download is replaced by a local copy)."""

from __future__ import annotations

import hashlib
import shutil

import pytest
from typer.testing import CliRunner

from helixforge.cli.app import app
from helixforge.datasets import registry

runner = CliRunner()
PAYLOAD = b"Drug_ID,Drug,Y\nx,CCO,1\n"


@pytest.fixture
def fake_catalog(monkeypatch, tmp_path):
    """Two datasets whose names share a long prefix, one with markup-like text."""
    sha = hashlib.sha256(PAYLOAD).hexdigest()
    common = "test/a_very_long_dataset_name_that_shares_its_first_forty_characters_"
    sets = {
        common + "one": registry.Dataset(
            name=common + "one",
            domain="chem",
            description="first [bold]not markup[/bold]",
            files={"test": {"path": "t/one.csv", "sha256": sha}},
            source="owner/repo @ 0123456789abcdef, path data/one.csv",
            task="regression",
            metric="mae",
        ),
        common + "two": registry.Dataset(
            name=common + "two",
            domain="crispr",
            description="second",
            files={"test": {"path": "t/two.csv", "sha256": sha}},
            source="owner/repo @ 0123456789abcdef, path data/two.csv",
        ),
    }
    monkeypatch.setattr(registry, "_catalog", lambda: sets)
    monkeypatch.setenv("HELIX_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("HELIX_DATA_MIRROR", str(tmp_path / "mirror"))
    calls = []

    def fake_retrieve(url, dest, reporthook=None):
        calls.append(url)
        with open(dest, "wb") as fh:
            fh.write(PAYLOAD if "two" not in url else b"tampered")
        if reporthook:
            reporthook(1, len(PAYLOAD), len(PAYLOAD))

    monkeypatch.setattr("urllib.request.urlretrieve", fake_retrieve)
    return sets, calls


def test_list_shows_full_names_in_a_narrow_terminal(fake_catalog):
    sets, _ = fake_catalog
    res = runner.invoke(app, ["data", "list"], terminal_width=60)
    assert res.exit_code == 0, res.output
    for name in sets:
        assert name in res.output
    assert "[bold]not markup[/bold]" in res.output or "[bold]not" in res.output


def test_list_plain_is_tab_separated_with_a_header(fake_catalog):
    sets, _ = fake_catalog
    res = runner.invoke(app, ["data", "list", "--plain"])
    lines = res.output.splitlines()
    assert lines[0].split("\t") == ["name", "domain", "task", "metric", "local", "description"]
    assert [ln.split("\t")[0] for ln in lines[1:]] == list(sets)
    assert lines[1].split("\t")[-1] == "first [bold]not markup[/bold]"
    res = runner.invoke(app, ["data", "list", "--plain", "--domain", "crispr"])
    assert len(res.output.splitlines()) == 2


def test_list_unknown_domain_names_the_choices(fake_catalog):
    res = runner.invoke(app, ["data", "list", "--domain", "physics"])
    assert res.exit_code == 2 and "--domain 'physics'" in res.output and "chem" in res.output


def test_show_prints_catalog_text_verbatim(fake_catalog):
    sets, _ = fake_catalog
    name = next(iter(sets))
    res = runner.invoke(app, ["data", "show", name])
    assert res.exit_code == 0 and "[bold]not markup[/bold]" in res.output


def test_fetch_writes_into_out_and_keeps_matching_files(fake_catalog, tmp_path):
    sets, calls = fake_catalog
    name = next(iter(sets))
    res = runner.invoke(app, ["data", "fetch", name, "-o", str(tmp_path / "dl"), "-q"])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "dl" / "t" / "one.csv").read_bytes() == PAYLOAD and len(calls) == 1
    assert str(tmp_path / "dl" / "t" / "one.csv") in res.output
    res = runner.invoke(app, ["data", "fetch", name, "--out", str(tmp_path / "dl")])
    assert res.exit_code == 0 and len(calls) == 1 and "already present" in res.output


def test_fetch_refuses_a_different_existing_file_without_overwrite(fake_catalog, tmp_path):
    sets, calls = fake_catalog
    name = next(iter(sets))
    dest = tmp_path / "dl" / "t" / "one.csv"
    dest.parent.mkdir(parents=True)
    dest.write_text("my own edits")
    res = runner.invoke(app, ["data", "fetch", name, "-o", str(tmp_path / "dl")])
    assert res.exit_code == 2 and "--overwrite" in res.output and calls == []
    assert dest.read_text() == "my own edits"
    res = runner.invoke(app, ["data", "fetch", name, "-o", str(tmp_path / "dl"), "--overwrite"])
    assert res.exit_code == 0 and dest.read_bytes() == PAYLOAD


def test_fetch_checksum_mismatch_writes_nothing(fake_catalog, tmp_path):
    sets, _ = fake_catalog
    name = list(sets)[1]
    res = runner.invoke(app, ["data", "fetch", name, "-o", str(tmp_path / "dl"), "-q"])
    assert res.exit_code == 2 and "checksum" in res.output and "Traceback" not in res.output
    assert not (tmp_path / "dl" / "t" / "two.csv").exists()
    assert not (tmp_path / "dl").exists()  # no temporary file, nor the empty folders made


def test_fetch_out_that_is_a_file_is_refused_before_download(fake_catalog, tmp_path):
    sets, calls = fake_catalog
    (tmp_path / "f").write_text("x")
    res = runner.invoke(app, ["data", "fetch", next(iter(sets)), "-o", str(tmp_path / "f")])
    assert res.exit_code == 2 and "is a file" in res.output and calls == []


def test_fetch_default_is_the_cache(fake_catalog, tmp_path):
    sets, _ = fake_catalog
    res = runner.invoke(app, ["data", "fetch", next(iter(sets)), "-q"])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "cache" / "t" / "one.csv").read_bytes() == PAYLOAD
    assert registry.resolve(next(iter(sets))) == tmp_path / "cache" / "t" / "one.csv"
    shutil.rmtree(tmp_path / "cache")


def test_every_data_verb_has_an_example():
    for verb in ("list", "show", "path", "fetch"):
        res = runner.invoke(app, ["data", verb, "--help"])
        assert res.exit_code == 0 and "Example" in res.output, verb


@pytest.mark.parametrize("typed", ["  test/a_very_long_dataset_name_that_shares_its_first_forty_characters_one ",
                                   "TEST/A_VERY_LONG_DATASET_NAME_THAT_SHARES_ITS_FIRST_FORTY_CHARACTERS_ONE"])  # fmt: skip
def test_show_accepts_stray_spaces_and_another_case(fake_catalog, typed):
    res = runner.invoke(app, ["data", "show", typed])
    assert res.exit_code == 0, res.output
    assert "characters_one" in res.output


@pytest.mark.parametrize(
    "typed, needle", [("", "empty"), ("   ", "empty"), ("a/b/../c", "unknown")]
)
def test_show_odd_names_are_clear_errors(fake_catalog, typed, needle):
    res = runner.invoke(app, ["data", "show", typed])
    assert res.exit_code == 2 and needle in res.output and "Traceback" not in res.output


def test_fetch_of_a_set_the_mirror_holds_copies_it_without_the_network(fake_catalog, tmp_path):
    """`data list` shows such a set as local: fetching it tried the network and failed."""
    sets, calls = fake_catalog
    name = next(iter(sets))
    (tmp_path / "mirror" / "t").mkdir(parents=True)
    (tmp_path / "mirror" / "t" / "one.csv").write_bytes(PAYLOAD)
    res = runner.invoke(app, ["data", "fetch", name, "-o", str(tmp_path / "dl")])
    assert res.exit_code == 0, res.output
    assert calls == [] and "copied from the local copy" in res.output
    assert (tmp_path / "dl" / "t" / "one.csv").read_bytes() == PAYLOAD
    # a damaged mirror copy is not copied: the registry's file is downloaded instead
    (tmp_path / "mirror" / "t" / "one.csv").write_bytes(b"damaged")
    res = runner.invoke(app, ["data", "fetch", name, "-o", str(tmp_path / "dl2"), "-q"])
    assert res.exit_code == 0, res.output
    assert len(calls) == 1 and (tmp_path / "dl2" / "t" / "one.csv").read_bytes() == PAYLOAD


def test_fetch_offline_names_the_damaged_mirror_copy(fake_catalog, tmp_path, monkeypatch):
    """The mirror holds the file with another checksum and there is no network: the error
    says which local file was passed over and why, not only that the download failed."""
    sets, _ = fake_catalog
    name = next(iter(sets))
    (tmp_path / "mirror" / "t").mkdir(parents=True)
    (tmp_path / "mirror" / "t" / "one.csv").write_bytes(b"damaged")

    def offline(*args, **kwargs):
        raise OSError("Name or service not known")

    monkeypatch.setattr("urllib.request.urlretrieve", offline)
    res = runner.invoke(app, ["data", "fetch", name, "-o", str(tmp_path / "dl")])
    assert res.exit_code != 0 and "Traceback" not in res.output
    assert "could not download" in res.output
    assert str(tmp_path / "mirror" / "t" / "one.csv") in res.output
    assert "checksum does not match" in res.output and "restore that file" in res.output


def test_show_says_why_a_mirror_file_is_not_usable(fake_catalog, tmp_path):
    sets, _ = fake_catalog
    name = next(iter(sets))
    (tmp_path / "mirror" / "t").mkdir(parents=True)
    (tmp_path / "mirror" / "t" / "one.csv").write_bytes(b"damaged")
    res = runner.invoke(app, ["data", "show", name], terminal_width=400)
    assert res.exit_code == 0, res.output
    assert "not usable" in res.output and "checksum does not match" in res.output


@pytest.mark.parametrize("verb", ["show", "path", "fetch"])
def test_a_misspelled_name_suggests_the_registered_one(fake_catalog, verb):
    typo = "test/a_very_long_dataset_name_that_shares_its_first_forty_characters_onw"
    res = runner.invoke(app, ["data", verb, typo])
    assert res.exit_code == 2, res.output
    assert "did you mean" in res.output and "characters_one" in res.output


def test_a_reader_that_stops_early_is_not_an_error():
    """`helix data list --plain | head -3`: once head had its lines, helix printed 'error:
    Broken pipe → check the path' and exited 2. Now it ends quietly, as a Unix tool does."""
    import subprocess
    import sys

    helix = [sys.executable, "-c", "from helixforge.cli.app import main; main()"]
    proc = subprocess.Popen([*helix, "data", "list", "--plain"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)  # fmt: skip
    proc.stdout.close()  # the reader is gone before helix writes its first line
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 141
    assert "error" not in err and "Broken pipe" not in err
