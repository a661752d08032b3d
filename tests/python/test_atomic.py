"""The one atomic writer (zogy._atomic): whole file or nothing, plain-open mode, no leftovers."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from zogy._atomic import write_atomically


@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
def test_mode_is_that_of_a_plain_open(tmp_path, umask):
    old = os.umask(umask)
    try:
        written = write_atomically(tmp_path / "a.txt", lambda tmp: Path(tmp).write_text("x"))
        with open(tmp_path / "plain.txt", "w") as handle:
            handle.write("x")
    finally:
        os.umask(old)
    assert written == tmp_path / "a.txt" and written.read_text() == "x"
    mode = stat.S_IMODE(written.stat().st_mode)
    assert mode == 0o666 & ~umask == stat.S_IMODE((tmp_path / "plain.txt").stat().st_mode)


def test_the_writer_gets_an_empty_file_beside_the_target(tmp_path):
    seen = []

    def write(tmp):
        seen.append((Path(tmp).parent, Path(tmp).stat().st_size))
        Path(tmp).write_text("new")

    write_atomically(tmp_path / "a.txt", write)
    assert seen == [(tmp_path, 0)]


@pytest.mark.parametrize("error", [OSError, KeyboardInterrupt])
def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path, error):
    target = tmp_path / "a.txt"
    target.write_text("old")

    def write(tmp):
        Path(tmp).write_text("half")
        raise error

    with pytest.raises(error):
        write_atomically(target, write)
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt"]
