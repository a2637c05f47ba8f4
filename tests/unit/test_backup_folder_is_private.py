"""A backup folder lets only its owner in (caseflow/backup.py `private_folder`): it holds every
case's sealed data and, with the key store, the keys that open it. Checked on the folder as a
stranger on the machine would meet it: its mode bits, for a new folder, a nested one, and an empty
folder an operator made beforehand with the usual umask."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from caseflow.backup import private_folder


def others_and_group(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode) & 0o077


def test_a_new_backup_folder_and_its_parts_are_the_owners_only(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        private_folder(tmp_path / "backups" / "2026-12-07")
        private_folder(tmp_path / "backups" / "2026-12-07" / "keystore")
    finally:
        os.umask(old)
    for folder in (tmp_path / "backups" / "2026-12-07", tmp_path / "backups" / "2026-12-07" / "keystore"):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder


def test_an_empty_folder_made_beforehand_loses_group_and_other_access(tmp_path: Path) -> None:
    given = tmp_path / "given"
    given.mkdir(mode=0o777)
    given.chmod(0o777)
    assert others_and_group(given) == 0o077
    private_folder(given)
    assert others_and_group(given) == 0
