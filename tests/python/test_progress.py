"""The one progress bar (zogy._progress): tqdm on stderr when asked for, else silent."""

from __future__ import annotations

import sys

import pytest

from zogy import _progress


def test_bar_counts_on_stderr_with_its_label_and_unit(capsys):
    pytest.importorskip("tqdm")
    with _progress.Progress(3, True, desc="cells", unit="cell") as bar:
        bar.update()
        bar.update(2)
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "cells: 100%" in captured.err and "3/3" in captured.err and "cell/s" in captured.err


@pytest.mark.parametrize(("total", "enabled"), [(3, False), (0, True)])
def test_no_bar_when_disabled_or_nothing_to_count(capsys, total, enabled):
    with _progress.Progress(total, enabled, desc="x", unit="run") as bar:
        bar.update()
    assert capsys.readouterr() == ("", "")


def test_no_bar_and_no_error_without_tqdm(capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm", None)  # import tqdm now raises ImportError
    bar = _progress.Progress(3, True, desc="x", unit="run")
    bar.update()
    bar.close()
    assert capsys.readouterr() == ("", "")


def test_wanted_defaults_to_whether_stderr_is_a_terminal(monkeypatch):
    for tty in (True, False):
        monkeypatch.setattr(sys.stderr, "isatty", lambda tty=tty: tty)
        assert _progress.wanted(None) is tty
        assert _progress.wanted(True) is True and _progress.wanted(False) is False
