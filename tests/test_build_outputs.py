"""Issue 9 item 9: `archive_file` zips land in the root module's `.build/`, which git ignores, never
inside a module folder. Output paths are evaluated by real Terraform (tests/provider_free.py)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from local.terraform import MODULES_DIR, REPO_ROOT
from tests.provider_free import evaluate_root

BUILD_DIR = REPO_ROOT / ".build"


def test_every_archive_is_written_under_the_root_build_directory() -> None:
    outputs = evaluate_root("").build_outputs()
    assert len(outputs) >= 3, outputs  # both functions and the common layer
    for address, output_path in outputs.items():
        path = Path(output_path).resolve()
        assert path.parent == BUILD_DIR, f"{address} writes {path}, not under {BUILD_DIR}"
        assert MODULES_DIR not in path.parents, f"{address} writes inside a module folder"


def test_build_directory_is_ignored_by_git() -> None:
    probe = ".build/data_wordpressapi_raw.zip"
    ignored = subprocess.run(["git", "check-ignore", "-q", "--no-index", probe], cwd=REPO_ROOT, check=False)
    assert ignored.returncode == 0, f"git does not ignore {probe}"
