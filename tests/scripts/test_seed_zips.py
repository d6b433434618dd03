"""seed_zips: the seed's files at the zip's root, caches left out, same bytes every time."""
import zipfile

import pytest

from seed_zips import zip_seed


def make_seed(root):
    (root / "pkg" / "__pycache__").mkdir(parents=True)
    (root / "buildspec.yml").write_text("version: 0.2\n")
    (root / "pkg" / "mod.py").write_text("X = 1\n")
    (root / "pkg" / "__pycache__" / "mod.cpython-311.pyc").write_bytes(b"\0")
    (root / ".cache" / "definitions").mkdir(parents=True)  # run_local's definition cache
    (root / ".cache" / "definitions" / "0123.json").write_text("{}")
    for venv in (".venv", ".venv-xgboost-1.7"):  # a seed run on its own builds these inside itself
        (root / venv / "bin").mkdir(parents=True)
        (root / venv / "bin" / "python").write_text("")
    return root


def test_zip_holds_seed_files_at_root_without_caches(tmp_path):
    seed = make_seed(tmp_path / "seed")
    with zipfile.ZipFile(zip_seed(seed, tmp_path / "out" / "seed.zip")) as archive:
        assert archive.namelist() == ["buildspec.yml", "pkg/mod.py"]
        assert archive.read("buildspec.yml") == b"version: 0.2\n"


def test_zip_is_byte_for_byte_reproducible(tmp_path):
    seed = make_seed(tmp_path / "seed")
    first = zip_seed(seed, tmp_path / "a.zip").read_bytes()
    assert zip_seed(seed, tmp_path / "b.zip").read_bytes() == first


def test_missing_seed_folder_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="seed: .*absent: not a folder"):
        zip_seed(tmp_path / "absent", tmp_path / "x.zip")
