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


def test_stamp_names_version_commit_and_each_files_digest(tmp_path):
    import hashlib
    import json

    from seed_zips import STAMP_FILE, read_stamp, seed_stamp

    seed = make_seed(tmp_path / "seed-build")
    with zipfile.ZipFile(zip_seed(seed, tmp_path / "s.zip", seed_stamp(seed, "2.0.0", "abc123"))) as archive:
        assert archive.namelist() == ["buildspec.yml", "pkg/mod.py", STAMP_FILE]
        stamp = read_stamp(archive.read(STAMP_FILE).decode())
    assert stamp == {"seed": "seed-build", "template_version": "2.0.0", "source_commit": "abc123",
                     "files": {"buildspec.yml": hashlib.sha256(b"version: 0.2\n").hexdigest(),
                               "pkg/mod.py": hashlib.sha256(b"X = 1\n").hexdigest()}}
    with pytest.raises(ValueError, match=f"{STAMP_FILE}: must hold seed, template_version and files"):
        read_stamp(json.dumps({"seed": "x"}))


def test_an_old_stamp_in_the_seed_is_replaced_not_doubled(tmp_path):
    from seed_zips import STAMP_FILE, seed_stamp

    seed = make_seed(tmp_path / "seed")
    (seed / STAMP_FILE).write_text('{"old": true}')
    with zipfile.ZipFile(zip_seed(seed, tmp_path / "s.zip", seed_stamp(seed, "3.0.0", "c"))) as archive:
        assert archive.namelist().count(STAMP_FILE) == 1
        assert '"template_version": "3.0.0"' in archive.read(STAMP_FILE).decode()
