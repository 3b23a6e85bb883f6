"""The offline schema provider, extended so real Terraform can `plan` (not apply) with it.

`provider.py` serves the schema and the Validate* calls; with `LAKEHOUSE_OFFLINE_PLAN=1` in its
environment it uses `PlanningProvider`, which also answers:

Settings come from `offline_plan.json` in the directory Terraform plans (written by plan.py):
`{"account": ..., "region": ..., "resolve": bool}`.

- ConfigureProvider: remembers the region the configuration gives the provider;
- PlanResourceChange: the proposed new state, with every null computed-only attribute turned into an
  unknown value, as a real provider plans a create (`legacy_type_system`, like SDKv2 providers);
- ReadDataSource: the configuration with plausible known values in its computed attributes
  (the settings' account, the provider's region, the partition, an SSM
  parameter value, and `aws_iam_policy_document.json` rendered from its statements as the provider does).

With `"resolve": true` ("resolved" plans, used by the IAM tests) planned resources also get
the ARNs, ids and URLs AWS would give them in that account and region (`resolved.py`), so that
policy documents referring to them are read at plan time and their JSON is known.

Values travel as cty msgpack: a `dynamic` attribute's known value is `[type JSON, value]`, an unknown
value is the extension type 0.
"""

from __future__ import annotations

import json
import os
import threading
import time
from concurrent import futures
from pathlib import Path
from typing import Any

import msgpack
from tf.gen import tfplugin_pb2 as pb

from tests.offline_plan.policy_document import render_policy_document
from tests.offline_plan.resolved import computed_values, data_source_values
from tests.offline_validate.provider import SchemaOnlyProvider, cached_schema_response

SETTINGS_FILE = "offline_plan.json"
UNKNOWN = msgpack.ExtType(0, b"\x00")
DEFAULT_ACCOUNT = "123456789012"


def unpack(data: bytes) -> Any:
    return msgpack.unpackb(data, raw=False, strict_map_key=False) if data else None


def pack(value: Any) -> bytes:
    return msgpack.packb(value, use_bin_type=True)


def plain(value: Any) -> Any:
    """A decoded cty msgpack value without its dynamic-type wrappers (unknowns stay ExtType)."""
    if isinstance(value, list) and len(value) == 2 and isinstance(value[0], bytes):
        return plain(value[1])
    if isinstance(value, list):
        return [plain(item) for item in value]
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    return value


def _cty_type(value: Any) -> Any:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, list):
        return ["list", "string"]
    if isinstance(value, dict):
        return ["map", "string"]
    return "string"


def dynamic(value: Any) -> Any:
    """A known value for a dynamic-typed attribute."""
    return [json.dumps(_cty_type(value)).encode(), value]


def _stored(value: Any) -> Any:
    """A dynamic-typed value as the JSON state stores it ({"value", "type"}) in msgpack's [type, value]."""
    if isinstance(value, dict) and set(value) == {"value", "type"}:
        return [json.dumps(value["type"]).encode(), value["value"]]
    return value


def state_value(attributes: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
    """A resource's (or nested block's) attributes from a JSON state, for msgpack: every attribute of
    the offline schema is dynamic, and so is a list or set block whose attributes are (Terraform
    stores both with their type); single blocks hold attributes of their own."""
    result: dict[str, Any] = {}
    for name, value in attributes.items():
        nested = spec.get("blocks", {}).get(name)
        stored_whole = isinstance(value, dict) and set(value) == {"value", "type"}
        if value is None or nested is None or stored_whole:
            result[name] = _stored(value)
        elif isinstance(value, list):
            result[name] = [state_value(item, nested["block"]) for item in value]
        elif isinstance(value, dict):
            result[name] = state_value(value, nested["block"])
        else:
            result[name] = value
    return result


def exit_with_parent(stop: futures.Future) -> None:
    """End the provider when Terraform goes away (a crashed Terraform leaves its providers running)."""
    parent = os.getppid()

    def watch() -> None:
        while not stop.done():
            if os.getppid() != parent:
                stop.set_result(None)
                return
            time.sleep(0.5)

    threading.Thread(target=watch, daemon=True).start()


class PlanningProvider(SchemaOnlyProvider):
    def __init__(self, schema: dict[str, Any], stop: futures.Future, source: str) -> None:
        super().__init__(schema, stop, source)
        # Terraform starts providers in the configuration's directory: the plan's settings are there.
        settings_file = Path(os.getcwd()) / SETTINGS_FILE
        settings = json.loads(settings_file.read_text(encoding="utf-8")) if settings_file.exists() else {}
        self.account = settings.get("account", DEFAULT_ACCOUNT)
        self.region = settings.get("region", "eu-west-2")
        self.resolve = bool(settings.get("resolve"))

    def GetProviderSchema(self, request, context):  # noqa: N802
        if self._response is None:
            self._response = cached_schema_response(self._source, self._schema, typed_data_source_blocks=True)
        return self._response

    def ConfigureProvider(self, request, context):  # noqa: N802
        config = plain(unpack(request.config.msgpack)) or {}
        region = config.get("region")
        if isinstance(region, str) and region:
            self.region = region
        return pb.ConfigureProvider.Response()

    def UpgradeResourceState(self, request, context):  # noqa: N802
        """A stored state (JSON, as Terraform writes it) as the msgpack value of the current schema: a
        plan against a state written by an earlier apply (tests/upgrade)."""
        raw = json.loads(request.raw_state.json or b"null")
        spec = self._schema["resources"].get(request.type_name, {})
        packed = pack(state_value(raw, spec) if isinstance(raw, dict) else raw)
        return pb.UpgradeResourceState.Response(upgraded_state=pb.DynamicValue(msgpack=packed))

    def ReadResource(self, request, context):  # noqa: N802
        """Refresh: the remote object is what the state says (nothing exists outside the state offline)."""
        return pb.ReadResource.Response(new_state=request.current_state, private=request.private)

    def PlanResourceChange(self, request, context):  # noqa: N802
        proposed = unpack(request.proposed_new_state.msgpack)
        if proposed is None:  # destroy
            return pb.PlanResourceChange.Response(
                planned_state=request.proposed_new_state, legacy_type_system=True
            )
        spec = self._schema["resources"][request.type_name]
        resolved = (
            computed_values(request.type_name, plain(proposed), self.account, self.region)
            if self.resolve
            else {}
        )
        for name, flags in spec.get("attributes", {}).items():
            if proposed.get(name) is not None:
                continue
            if name in resolved:
                proposed[name] = dynamic(resolved[name])
            elif "c" in flags:
                proposed[name] = UNKNOWN
        return pb.PlanResourceChange.Response(
            planned_state=pb.DynamicValue(msgpack=pack(proposed)), legacy_type_system=True
        )

    def ReadDataSource(self, request, context):  # noqa: N802
        config = unpack(request.config.msgpack)
        spec = self._schema["data_sources"][request.type_name]
        values = plain(config)
        if request.type_name == "aws_iam_policy_document":
            rendered = render_policy_document(values)
            known = {
                "json": rendered,
                "minified_json": json.dumps(json.loads(rendered), separators=(",", ":")),
            }
            known["id"] = str(abs(hash(known["minified_json"])))
        else:
            known = data_source_values(request.type_name, values, self.account, self.region)
        for name, flags in spec.get("attributes", {}).items():
            if config.get(name) is not None:
                continue
            if name in known:
                config[name] = dynamic(known[name])
            elif "c" in flags:
                # A data source's result must be wholly known: a placeholder where nothing plausible is known.
                config[name] = dynamic(f"offline-{request.type_name}-{name}")
        return pb.ReadDataSource.Response(state=pb.DynamicValue(msgpack=pack(config)))

    def ApplyResourceChange(self, request, context):  # noqa: N802
        """Only for resolved runs (tests/iam): the planned state, its remaining unknowns as placeholders.

        Applying (to a local state in a temporary copy) lets Terraform read the policy documents a plan
        defers while the resources they refer to are pending, so every policy's JSON is known."""
        planned = unpack(request.planned_state.msgpack)
        if planned is None:
            return pb.ApplyResourceChange.Response(new_state=request.planned_state, legacy_type_system=True)
        for name, value in list(planned.items()):
            if isinstance(value, msgpack.ExtType):
                planned[name] = dynamic(f"offline-{request.type_name}-{name}")
        return pb.ApplyResourceChange.Response(
            new_state=pb.DynamicValue(msgpack=pack(planned)), legacy_type_system=True
        )
