import pytest

from helixforge.core.errors import DataUnavailableError, InputError
from helixforge.datasets import registry


def test_catalog_lists_all_tdc_admet_tasks():
    tdc = [d for d in registry.list_datasets("chem") if d.name.startswith("tdc/")]
    assert len(tdc) == 22
    caco = registry.get_dataset("caco2_wang")  # short name resolves
    assert (
        caco.metric == "mae" and caco.parts == ["train_val", "test"] and caco.smiles_col == "Drug"
    )
    assert caco.url("test").startswith("https://raw.githubusercontent.com/ersilia-os/lazy-qsar/")


def test_unknown_dataset_suggests_names():
    with pytest.raises(InputError, match="did you mean"):
        registry.get_dataset("caco2")


def test_offline_without_mirror_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("HELIX_DATA_MIRROR", str(tmp_path / "nothing"))
    monkeypatch.setenv("HELIX_CACHE", str(tmp_path / "cache"))
    with pytest.raises(DataUnavailableError, match="helix data fetch"):
        registry.resolve("tdc/caco2_wang", "test")


def test_checksum_mismatch_is_detected(tmp_path, monkeypatch):
    ds = registry.get_dataset("tdc/herg")
    bad = tmp_path / ds.files["test"]["path"]
    bad.parent.mkdir(parents=True)
    bad.write_text("Drug_ID,Drug,Y\nx,CCO,1\n")
    monkeypatch.setenv("HELIX_DATA_MIRROR", str(tmp_path))
    monkeypatch.setenv("HELIX_CACHE", str(tmp_path / "cache"))
    with pytest.raises(InputError, match="checksum"):
        registry.resolve("tdc/herg", "test")


@pytest.mark.skipif(
    registry.mirror_root() is None, reason="shared data mirror (../shared/data) not present"
)
def test_resolves_from_shared_mirror_with_checksum():
    df = registry.load_frame("tdc/caco2_wang", "test")
    assert list(df.columns) == ["Drug_ID", "Drug", "Y"] and len(df) == 182


def test_a_failed_fetch_leaves_none_of_the_folders_it_made(tmp_path, monkeypatch):
    import urllib.request

    def offline(*args, **kwargs):
        raise OSError("Name or service not known")

    monkeypatch.setattr(urllib.request, "urlretrieve", offline)
    # nothing local to copy instead (a set the mirror or cache holds is copied, not fetched)
    monkeypatch.setenv("HELIX_DATA_MIRROR", str(tmp_path / "no_mirror"))
    monkeypatch.setenv("HELIX_CACHE", str(tmp_path / "no_cache"))
    (tmp_path / "keep").mkdir()
    with pytest.raises(DataUnavailableError, match="could not download"):
        registry.fetch("tdc/caco2_wang", out=tmp_path / "keep" / "data", quiet=True)
    assert list((tmp_path / "keep").iterdir()) == []  # the folder given before stays


@pytest.mark.parametrize(
    "typed, meant",
    [
        ("tdc/caco2_wnag", "tdc/caco2_wang"),  # two letters swapped
        ("caco2_wnag", "tdc/caco2_wang"),  # short form, misspelled
        ("moleculenet/bbpb", "moleculenet/bbbp"),
        ("lipophilicty", "moleculenet/lipophilicity"),  # a letter left out
    ],
)
def test_a_misspelled_name_suggests_the_close_registered_name(typed, meant):
    with pytest.raises(InputError) as info:
        registry.get_dataset(typed)
    assert info.value.hint.startswith("did you mean") and meant in info.value.hint


def test_a_name_like_nothing_points_to_the_list():
    with pytest.raises(InputError, match="helix data list"):
        registry.get_dataset("xyzzy")
