"""What modules/glue-cost-control deploys, read from its own HCL (never restated), plus CloudTrail
records shaped like the ones AWS sends and EventBridge's input transformation.

- `event_pattern()` / `input_transformer()` follow the rule and target resources to the locals they use.
- `execution_input_template(duration)` renders the target's input template with real Terraform.
- `transform(event, paths, template)` does what EventBridge does with an input transformer.
"""

from __future__ import annotations

import json
import re
import tempfile
import uuid
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from local.terraform import MODULES_DIR, load_module, module_locals, render_templatefile

MODULE_DIR = MODULES_DIR / "glue-cost-control"
ACCOUNT_ID = "123456789012"
REGION = "eu-west-2"

_LOCAL_REFERENCE = re.compile(r"^\$\{local\.(\w+)\}$")
_JSONENCODE_LOCAL = re.compile(r"^\$\{jsonencode\(local\.(\w+)\)\}$")
_PLACEHOLDER = re.compile(r"<([A-Za-z0-9_.-]+)>")


def _unwrap(value: Any) -> Any:
    while isinstance(value, list) and len(value) == 1:
        value = value[0]
    return value


def resource(resource_type: str) -> dict[str, Any]:
    """The body of the module's only resource of `resource_type`."""
    found = [
        body
        for block in load_module(MODULE_DIR).get("resource", [])
        for body in _unwrap(block).get(resource_type, {}).values()
    ]
    assert len(found) == 1, f"expected one {resource_type} in {MODULE_DIR}, found {len(found)}"
    return found[0]


def _resolve_local(expression: Any) -> Any:
    """`${local.x}` -> the value of local x; anything else unchanged."""
    match = _LOCAL_REFERENCE.match(expression) if isinstance(expression, str) else None
    return module_locals(MODULE_DIR)[match.group(1)] if match else expression


def event_pattern() -> dict[str, Any]:
    """The rule's event pattern: `event_pattern = jsonencode(local.<name>)`, the local's value."""
    expression = _unwrap(resource("aws_cloudwatch_event_rule")["event_pattern"])
    match = _JSONENCODE_LOCAL.match(expression)
    assert match, f"event_pattern must be jsonencode(local.<name>) so tests can read it, got {expression}"
    return module_locals(MODULE_DIR)[match.group(1)]


@dataclass(frozen=True)
class InputTransformer:
    input_paths: dict[str, str]
    input_template: str  # as written in HCL: may hold ${var.…} interpolations


def input_transformer() -> InputTransformer:
    """The target's input_transformer block, with local references resolved."""
    block = _unwrap(resource("aws_cloudwatch_event_target")["input_transformer"])
    return InputTransformer(
        input_paths=_resolve_local(_unwrap(block["input_paths"])),
        input_template=_resolve_local(_unwrap(block["input_template"])),
    )


def variable_default(name: str) -> Any:
    for block in load_module(MODULE_DIR).get("variable", []):
        if name in block:
            return _unwrap(block[name]["default"])
    raise AssertionError(f"{MODULE_DIR.name} declares no variable {name}")


def definition_variables(success_topic_arn: str) -> dict[str, Any]:
    """What the module passes to templatefile for the definition, with the variables' defaults: the
    look settings an execution started without them falls back to (locals.state_machine_definition_vars
    maps each template variable to the module variable it renders)."""
    mapping = module_locals(MODULE_DIR)["state_machine_definition_vars"]
    values: dict[str, Any] = {}
    for name, expression in mapping.items():
        match = re.fullmatch(r"\$\{var\.(\w+)\}", str(_unwrap(expression)))
        assert match, f"state_machine_definition_vars.{name} must be a module variable, got {expression}"
        variable = match.group(1)
        values[name] = (
            success_topic_arn if variable == "success_stepfunction_topic_arn" else variable_default(variable)
        )
    return values


@cache  # a Terraform run per rendering: the same variables give the same template
def execution_input_template(
    session_max_duration_seconds: int,
    max_provisioning_looks: int | None = None,
    provisioning_look_seconds: int | None = None,
) -> str:
    """The target's input template as Terraform renders it for these variables (real templatefile);
    the look settings default to the module's variable defaults."""
    template = input_transformer().input_template
    variables = {
        "session_max_duration_seconds": session_max_duration_seconds,
        "max_provisioning_looks": (
            variable_default("max_provisioning_looks")
            if max_provisioning_looks is None
            else max_provisioning_looks
        ),
        "provisioning_look_seconds": (
            variable_default("provisioning_look_seconds")
            if provisioning_look_seconds is None
            else provisioning_look_seconds
        ),
    }
    with tempfile.TemporaryDirectory(prefix="glue-input-template-") as workdir:
        path = Path(workdir) / "input_template.tpl"
        path.write_text(template, encoding="utf-8")
        return render_templatefile(path, {"var": variables})


def json_path(document: Any, path: str) -> Any:
    """Evaluate a simple JSONPath (`$`, `$.a.b.c`) as EventBridge input paths use it; KeyError if absent."""
    assert path == "$" or path.startswith("$."), f"unsupported JSONPath {path}"
    value = document
    for key in path.split(".")[1:]:
        value = value[key]
    return value


def transform(event: dict[str, Any], input_paths: dict[str, str], rendered_template: str) -> Any:
    """EventBridge's input transformer: each <name> of the template becomes the value at its input path.

    A string value is inserted as its (JSON-escaped) characters, so the template's own quotes make it a
    JSON string; numbers, booleans, objects and arrays are inserted as JSON. The result must be valid JSON.
    """
    values = {name: json_path(event, path) for name, path in input_paths.items()}

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            return match.group(0)
        value = values[name]
        return json.dumps(value)[1:-1] if isinstance(value, str) else json.dumps(value)

    return json.loads(_PLACEHOLDER.sub(replace, rendered_template))


def new_session_id() -> str:
    """A session id like the ones Glue Studio data previews create."""
    return f"glue-studio-datapreview-{uuid.uuid4()}"


def create_session_record(
    session_id: str,
    *,
    event_name: str = "CreateSession",
    source: str = "aws.glue",
    error_code: str | None = None,
) -> dict[str, Any]:
    """An EventBridge "AWS API Call via CloudTrail" event for a Glue interactive session, shaped like
    the real CreateSession record (Glue Studio data preview, console user with an assumed role)."""
    role = f"arn:aws:iam::{ACCOUNT_ID}:role/service-role/AWSGlueServiceRole-wordpress_bronze"
    event_time = "2024-06-11T12:23:04Z"
    detail: dict[str, Any] = {
        "eventVersion": "1.09",
        "userIdentity": {
            "type": "AssumedRole",
            "principalId": "AROAEXAMPLEID12345678:data-engineer",
            "arn": f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/DataEngineer/data-engineer",
            "accountId": ACCOUNT_ID,
            "accessKeyId": "ASIAEXAMPLEKEY123456",
            "sessionContext": {
                "sessionIssuer": {
                    "type": "Role",
                    "principalId": "AROAEXAMPLEID12345678",
                    "arn": f"arn:aws:iam::{ACCOUNT_ID}:role/DataEngineer",
                    "accountId": ACCOUNT_ID,
                    "userName": "DataEngineer",
                },
                "attributes": {"creationDate": "2024-06-11T12:01:44Z", "mfaAuthenticated": "false"},
            },
        },
        "eventTime": event_time,
        "eventSource": "glue.amazonaws.com",
        "eventName": event_name,
        "awsRegion": REGION,
        "sourceIPAddress": "203.0.113.24",
        "userAgent": "aws-internal/3 aws-sdk-java/1.12.720 Linux/5.10 OpenJDK_64-Bit_Server_VM/25.412-b08",
        "requestParameters": {
            "id": session_id,
            "role": role,
            "command": {"name": "glueetl", "pythonVersion": "3"},
            "idleTimeout": 30,
            "maxCapacity": 2,
            "glueVersion": "4.0",
            "requestOrigin": "GlueStudioDataPreview",
        },
        "responseElements": {
            "session": {
                "id": session_id,
                "createdOn": "Jun 11, 2024, 12:23:04 PM",
                "status": "PROVISIONING",
                "role": role,
                "command": {"name": "glueetl", "pythonVersion": "3"},
                "maxCapacity": 2.0,
                "glueVersion": "4.0",
                "idleTimeout": 30,
            }
        },
        "requestID": str(uuid.uuid4()),
        "eventID": str(uuid.uuid4()),
        "readOnly": False,
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": ACCOUNT_ID,
        "eventCategory": "Management",
        "tlsDetails": {
            "tlsVersion": "TLSv1.3",
            "cipherSuite": "TLS_AES_128_GCM_SHA256",
            "clientProvidedHostHeader": f"glue.{REGION}.amazonaws.com",
        },
        "sessionCredentialFromConsole": "true",
    }
    if event_name != "CreateSession":
        detail["requestParameters"] = {"id": session_id}
        detail["responseElements"] = {"id": session_id}
    if error_code is not None:
        # A failed call: CloudTrail adds errorCode/errorMessage and there is no response.
        detail["errorCode"] = error_code
        detail["errorMessage"] = f"{error_code} while calling {event_name} for {session_id}"
        detail["responseElements"] = None
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "AWS API Call via CloudTrail",
        "source": source,
        "account": ACCOUNT_ID,
        "time": event_time,
        "region": REGION,
        "resources": [],
        "detail": detail,
    }


_READING_FIELDS = {"InputPath", "OutputPath", "ItemsPath", "Variable"}
_INPUT_FIELD = re.compile(r"\$\.([A-Za-z_][A-Za-z0-9_]*)")


def _is_read(key: str) -> bool:
    """Parameters values ending in `.$`, *Path fields (SecondsPath, NumericGreaterThanEqualsPath, ...)
    and Choice variables read the state's input; ResultPath only writes into it."""
    return key.endswith(".$") or key in _READING_FIELDS or (key.endswith("Path") and key != "ResultPath")


def execution_input_fields_read(definition: dict[str, Any]) -> set[str]:
    """Top-level execution-input fields the definition reads and does not write itself: `$.x` read
    anywhere, minus the fields some state's ResultPath writes (a counter, a task's result, a caught
    error). ResultSelector reads the task's result, not the input, so it is skipped."""
    fields: set[str] = set()
    written: set[str] = set()

    def scan(node: Any, reading: bool = False) -> None:
        if isinstance(node, dict):
            if "Parameters" in node and "OutputPath" in node:
                # A state that builds its output in Parameters and selects part of it with OutputPath
                # reads that part from its own result, not from the input.
                written.update(str(key).removesuffix(".$") for key in node["Parameters"])
            for key, value in node.items():
                if key == "ResultPath":
                    written.update(_INPUT_FIELD.findall(value or ""))
                elif key != "ResultSelector":
                    scan(value, reading or _is_read(key))
        elif isinstance(node, list):
            for item in node:
                scan(item, reading)
        elif isinstance(node, str) and reading:
            fields.update(_INPUT_FIELD.findall(node))

    scan(definition["States"])
    return fields - written
