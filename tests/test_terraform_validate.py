"""Real `terraform init -backend=false` + `validate` on the root module, every module and bootstrap/.

Providers: by default the real hashicorp/aws 6.x and hashicorp/archive schemas, extracted from the pinned
jsii assemblies and served by a schema-only provider process (tests/offline_validate/README.md); with
LAKEHOUSE_REAL_PROVIDERS=1 the real provider binaries. Either way Terraform itself checks argument and
block names, required arguments, block counts, resource types and references, and a failure shows
Terraform's own diagnostics (file:line:column: summary: detail).

The test of the test validates tests/fixtures/validate_mistakes/, whose planted mistakes must each be
reported at their line, and nothing else.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator

import pytest

from local.terraform import MODULES_DIR, REPO_ROOT
from tests.offline_validate.schema import load_schema
from tests.offline_validate.terraform_offline import (
    ProviderSetup,
    ValidateResult,
    copy_project,
    init_and_validate,
    providers,
    validate_all,
)

MISTAKES_DIR = REPO_ROOT / "tests" / "fixtures" / "validate_mistakes"
# Terraform's summary for each kind of planted mistake (`# MISTAKE: <kind> (...)` in the fixture).
MISTAKE_SUMMARIES = {
    "unknown argument": "Unsupported argument",
    "missing required argument": "Missing required argument",
    "wrong nested block name": "Unsupported block type",
    "unknown resource type": "Invalid resource type",
    "reference to a non-existent attribute": "Unsupported attribute",
}
_DEV_OVERRIDES_WARNING = "Provider development overrides are in effect"


def configurations() -> list[str]:
    """Directories the project ships as Terraform configurations, relative to the repository root."""
    modules = sorted(p.relative_to(REPO_ROOT).as_posix() for p in MODULES_DIR.glob("*/") if p.is_dir())
    return [".", *modules, "bootstrap"]


@pytest.fixture(scope="module")
def provider_setup(request: pytest.FixtureRequest) -> Iterator[ProviderSetup]:
    with providers() as setup:
        # Say which providers were used, past pytest's output capture.
        capture = request.config.pluginmanager.get_plugin("capturemanager")
        reporter = request.config.pluginmanager.get_plugin("terminalreporter")
        if capture is not None and reporter is not None:
            with capture.global_and_fixture_disabled():
                reporter.write_line(f"\nterraform validate uses {setup.description}")
        yield setup


@pytest.fixture(scope="module")
def validated(
    provider_setup: ProviderSetup, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, ValidateResult]:
    """terraform validate on a copy of every configuration the project ships."""
    copy = copy_project(tmp_path_factory.mktemp("project"))
    results = validate_all([copy / c for c in configurations()], provider_setup, copy, REPO_ROOT)
    return {c: results[copy / c] for c in configurations()}


def _reportable(result: ValidateResult) -> list[dict]:
    return [d for d in result.diagnostics if not d.get("summary", "").startswith(_DEV_OVERRIDES_WARNING)]


@pytest.mark.parametrize("configuration", configurations())
def test_configuration_is_valid(
    provider_setup: ProviderSetup, validated: dict[str, ValidateResult], configuration: str
) -> None:
    assert list((REPO_ROOT / configuration).glob("*.tf")), f"{configuration}: no .tf files"
    result = validated[configuration]
    assert result.valid and not _reportable(result), (
        f"terraform validate ({configuration}) with {provider_setup.description}:\n{result.report}"
    )


@pytest.fixture(scope="module")
def mistakes(provider_setup: ProviderSetup, tmp_path_factory: pytest.TempPathFactory) -> ValidateResult:
    copy = tmp_path_factory.mktemp("mistakes") / "validate_mistakes"
    shutil.copytree(MISTAKES_DIR, copy)
    return init_and_validate(copy, provider_setup, copy, MISTAKES_DIR)


def planted_mistakes() -> dict[str, int]:
    """Kind of mistake -> its line in the fixture, from the `# MISTAKE: <kind>` comments."""
    planted = {}
    lines = (MISTAKES_DIR / "main.tf").read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines, start=1):
        match = re.search(r"# MISTAKE: ([a-z -]+?)(?: \(|$)", line)
        if match:
            planted[match.group(1)] = number
    return planted


def test_fixture_plants_every_kind_of_mistake() -> None:
    assert set(planted_mistakes()) == set(MISTAKE_SUMMARIES)


@pytest.mark.parametrize("kind", sorted(MISTAKE_SUMMARIES))
def test_planted_mistake_is_reported_at_its_line(mistakes: ValidateResult, kind: str) -> None:
    line = planted_mistakes()[kind]
    expected = ("error", "tests/fixtures/validate_mistakes/main.tf", line, MISTAKE_SUMMARIES[kind])
    reported = [
        (
            d["severity"],
            d.get("range", {}).get("filename"),
            d.get("range", {}).get("start", {}).get("line"),
            d["summary"],
        )
        for d in mistakes.diagnostics
    ]
    assert expected in reported, (
        f"{kind} at line {line} not reported; terraform validate said:\n{mistakes.report}"
    )


def test_only_the_planted_mistakes_are_reported(mistakes: ValidateResult) -> None:
    """Everything else in the fixture is valid provider code, so the schemas must accept it."""
    assert not mistakes.valid
    assert len(_reportable(mistakes)) == len(MISTAKE_SUMMARIES), mistakes.report


def test_extracted_schema_has_terraform_names_camel_case_would_get_wrong() -> None:
    """Names come from the documentation anchors and the generator's comments, not from camelCase."""
    aws = load_schema("hashicorp/aws")
    contact = aws["resources"]["aws_account_primary_contact"]["attributes"]
    assert contact["address_line_1"] == "r" and "address_line1" not in contact
    s3_object = aws["resources"]["aws_s3_object"]["attributes"]
    assert s3_object["checksum_crc32c"] == "c" and "checksum_crc32_c" not in s3_object
    statement = aws["data_sources"]["aws_iam_policy_document"]["blocks"]["statement"]["block"]["blocks"]
    assert statement["principals"]["nesting"] == "set"
    assert aws["resources"]["aws_lambda_function"]["blocks"]["timeouts"]["nesting"] == "single"
