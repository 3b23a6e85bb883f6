"""Run tests/node/check_asl.js (the pinned ASL tools) over many files in one node process."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from tests.offline_validate.schema import REPO_ROOT

NODE_DIR = REPO_ROOT / "tests" / "node"
SCRIPT = NODE_DIR / "check_asl.js"

# A templatefile() interpolation; `$${` is templatefile's escape for a literal `${`.
PLACEHOLDER = re.compile(r"(?<!\$)\$\{([^}]*)\}")


@dataclass(frozen=True)
class AslDiagnostic:
    line: int | None
    column: int | None
    severity: str
    message: str


@dataclass(frozen=True)
class AslResult:
    file: Path
    json_error: str | None
    diagnostics: tuple[AslDiagnostic, ...]

    def problems(self, severities: tuple[str, ...] = ("Error", "Warning")) -> list[str]:
        """'file:line:column: severity: message' for each diagnostic that fails the check."""
        shown = self.file.relative_to(REPO_ROOT) if self.file.is_relative_to(REPO_ROOT) else self.file
        found = [f"{shown}: JSON.parse: {self.json_error}"] if self.json_error else []
        for d in self.diagnostics:
            if d.severity in severities:
                where = f"{d.line}:{d.column}" if d.line is not None else "-"
                found.append(f"{shown}:{where}: {d.severity}: {d.message}")
        return found


def run_check(mode: str, files: list[Path]) -> dict[Path, AslResult]:
    """`node check_asl.js <mode> FILE...`: mode is 'language-service' or 'asl-validator'."""
    node = shutil.which("node")
    assert node, "node is not installed: the ASL checks need Node.js (and `make node`)"
    assert (NODE_DIR / "node_modules" / "amazon-states-language-service").is_dir(), (
        "tests/node/node_modules is missing: run `make node` (npm ci in tests/node)"
    )
    completed = subprocess.run(  # noqa: S603 - fixed script, paths from the repository
        [node, str(SCRIPT), mode, *map(str, files)],
        cwd=NODE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, f"check_asl.js {mode} failed:\n{completed.stderr}{completed.stdout}"
    results: dict[Path, AslResult] = {}
    for entry in json.loads(completed.stdout):
        path = Path(entry["file"])
        diagnostics = tuple(AslDiagnostic(**d) for d in entry["diagnostics"])
        results[path] = AslResult(path, entry["jsonError"], diagnostics)
    return results
