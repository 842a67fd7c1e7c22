"""The embedded store on a full disk or a read-only data directory: a precise error, the old snapshot intact.

Two ways to make the disk refuse a write:

- for real, as root where mounting is allowed: a tiny ``tmpfs`` that the snapshot
  outgrows (ENOSPC) and a read-only bind mount of the data directory (EROFS). ``chmod``
  would not stop root, so it is not used. These tests skip where ``mount`` is refused.
- everywhere: the OS call that fails on a full or read-only disk (``fsync``, ``mkstemp``)
  raises that errno.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tellgraph.errors import StorageError, StorageFull, StorageReadOnly, StoreError
from tellgraph.graph import memory
from tellgraph.graph.memory import MemoryStore
from tellgraph.ingest.service import IngestRun
from tellgraph.schema.model import Person
from tellgraph.settings import Settings
from tests.activity_factory import ListConnector, email

ROOT = Path(__file__).resolve().parents[2]
ENRON_SAMPLE = ROOT / "demo" / "enron-sample" / "maildir"


def _filled(path: Path) -> MemoryStore:
    store = MemoryStore(path=path)
    IngestRun(
        store=store,
        connector=ListConnector([email(n, "ann@a.com", ["bo@b.com"]) for n in range(4)]),
        settings=Settings(batch_size=2),
    ).run()
    store.flush()
    return store


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".snapshot-"))


# -- the failing OS call, everywhere -------------------------------------------------------


def test_enospc_is_storage_full_and_keeps_the_previous_snapshot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "memory-store.json"
    store = _filled(path)
    before = path.read_bytes()
    store.upsert_entities(entities=[Person(id="p_new", name="New Person")])

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    with monkeypatch.context() as patched:
        patched.setattr(memory.os, "fsync", full)
        with pytest.raises(StorageFull) as caught:
            store.flush()
    error = caught.value
    assert isinstance(error, StoreError) and error.errno == errno.ENOSPC
    assert str(error) == (
        f"Store operation 'save snapshot' failed: {path}: No space left on device (ENOSPC); "
        "free some space and run the command again; the previous snapshot is intact"
    )
    assert path.read_bytes() == before
    assert _leftovers(tmp_path) == []
    # Nothing was lost in memory: once the disk has room again the next flush writes it.
    store.flush()
    assert MemoryStore(path=path).get_nodes(label=Person.LABEL, ids=["p_new"])


@pytest.mark.parametrize("code", [errno.EROFS, errno.EACCES])
def test_a_read_only_location_is_storage_read_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: int) -> None:
    path = tmp_path / "memory-store.json"
    store = _filled(path)
    before = path.read_bytes()
    store.upsert_entities(entities=[Person(id="p_new")])

    def refuse(*args: object, **kwargs: object) -> tuple[int, str]:
        raise OSError(code, os.strerror(code))

    with monkeypatch.context() as patched:
        patched.setattr(memory.tempfile, "mkstemp", refuse)
        with pytest.raises(StorageReadOnly, match=errno.errorcode[code]) as caught:
            store.flush()
    assert "make it writable or set TELLGRAPH_DATA_DIR elsewhere" in str(caught.value)
    assert path.read_bytes() == before


def test_other_os_errors_are_still_storage_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = _filled(tmp_path / "memory-store.json")
    store.upsert_entities(entities=[Person(id="p_new")])

    def broken(fd: int) -> None:
        raise OSError(errno.EIO, os.strerror(errno.EIO))

    with monkeypatch.context() as patched:
        patched.setattr(memory.os, "fsync", broken)
        with pytest.raises(StorageError, match=r"Input/output error \(EIO\)") as caught:
            store.flush()
    assert not isinstance(caught.value, StorageFull | StorageReadOnly)


# -- a real full disk and a real read-only mount (root with mount rights only) ------------


def _mount(*args: str) -> None:
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting needs root and mount(8)")
    done = subprocess.run(["mount", *args], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"mount refused here: {done.stderr.strip()}")


def _umount(target: Path) -> None:
    subprocess.run(["umount", "-l", str(target)], capture_output=True)


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A 256 KiB tmpfs: room for a small snapshot, not for the Enron sample's."""
    target = tmp_path / "tiny"
    target.mkdir()
    _mount("-t", "tmpfs", "-o", "size=256k,mode=0755", "tmpfs", str(target))
    try:
        yield target
    finally:
        _umount(target)


def test_ingest_onto_a_full_disk_fails_clearly_and_keeps_the_snapshot(tiny_disk: Path, tmp_path: Path) -> None:
    path = tiny_disk / "memory-store.json"
    _filled(path).close()
    before = path.read_bytes()

    env = {**os.environ, "TELLGRAPH_DATA_DIR": str(tiny_disk), "TELLGRAPH_STORE": "memory"}
    done = subprocess.run(
        [sys.executable, "-m", "tellgraph.cli", "ingest", "maildir", str(ENRON_SAMPLE), "--no-nlp", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 1
    message = " ".join(done.stderr.split())  # rich wraps long lines
    assert "No space left on device (ENOSPC)" in message, done.stderr
    assert "the previous snapshot is intact" in message
    assert "Traceback" not in done.stderr
    assert path.read_bytes() == before
    assert _leftovers(tiny_disk) == []
    json.loads(before)  # still a whole, readable snapshot

    # With room again (here: another disk), the same data goes in.
    roomy = tmp_path / "roomy"
    shutil.copytree(tiny_disk, roomy)
    env["TELLGRAPH_DATA_DIR"] = str(roomy)
    subprocess.run(
        [sys.executable, "-m", "tellgraph.cli", "ingest", "maildir", str(ENRON_SAMPLE), "--no-nlp", "--json"],
        env=env,
        check=True,
        capture_output=True,
        timeout=300,
    )
    assert MemoryStore(path=roomy / "memory-store.json").counts().nodes["Communication"] > 4


@pytest.fixture
def read_only_dir(tmp_path: Path) -> Iterator[Path]:
    """A data directory bind-mounted read-only onto itself (EROFS even for root)."""
    target = tmp_path / "data"
    target.mkdir()
    _filled(target / "memory-store.json").close()
    _mount("--bind", str(target), str(target))
    try:
        done = subprocess.run(["mount", "-o", "remount,ro,bind", str(target)], capture_output=True, text=True)
        if done.returncode != 0:
            pytest.skip(f"read-only remount refused here: {done.stderr.strip()}")
        yield target
    finally:
        _umount(target)


def test_a_read_only_data_directory_is_storage_read_only(read_only_dir: Path) -> None:
    path = read_only_dir / "memory-store.json"
    before = path.read_bytes()
    store = MemoryStore(path=path)  # reading works
    assert store.counts().nodes["Communication"] == 4
    store.upsert_entities(entities=[Person(id="p_new")])
    with pytest.raises(StorageReadOnly, match=r"Read-only file system \(EROFS\)") as caught:
        store.flush()
    assert caught.value.errno == errno.EROFS
    assert path.read_bytes() == before
