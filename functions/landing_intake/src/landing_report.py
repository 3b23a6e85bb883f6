"""The run's one alert: every file with a problem, its state and why, grouped by dataset."""

from __future__ import annotations

from typing import Any

SUBJECT_LIMIT = 100  # SNS: at most 100 printable ASCII characters


def ascii_subject(text: str) -> str:
    printable = "".join(character if 32 <= ord(character) < 127 else "?" for character in text)
    return printable[:SUBJECT_LIMIT]


def report(run_id: str, problems: list[dict[str, Any]]) -> dict[str, Any]:
    """``{"problem_count", "subject", "message"}`` for the run's problems."""
    by_dataset: dict[str, list[dict[str, Any]]] = {}
    for problem in problems:
        by_dataset.setdefault(str(problem.get("dataset", "")), []).append(problem)
    count = len(problems)
    subject = ascii_subject(f"Landing run {run_id}: {count} file(s) with problems")
    if not count:
        return {"problem_count": 0, "subject": subject, "message": f"Landing run {run_id}: no problems."}
    lines = [
        f"Landing run {run_id}: {count} file(s) in {len(by_dataset)} dataset(s) were not published.",
        "INVALID files were moved to failed/<dataset>/<run>/ in the raw bucket; "
        "the others stay where they are.",
    ]
    for dataset, files in by_dataset.items():
        lines += ["", f"Dataset {dataset}:"]
        lines += [
            f"- {file.get('key')}: {file.get('state')}: {file.get('reason') or 'no reason given'}"
            for file in files
        ]
    return {"problem_count": count, "subject": subject, "message": "\n".join(lines)}
