"""A Terraform provider process that knows a real provider's schema and nothing else.

Terraform talks to providers through the plugin protocol (tfplugin6 over HashiCorp's go-plugin: the
process prints a handshake line naming a Unix socket and its TLS certificate, then serves gRPC). This
process answers the calls `terraform validate` makes - GetMetadata, GetProviderSchema, the Validate*
calls, StopProvider - with the schema `schema.py` extracted from the provider's jsii assembly. Every
other call (plan, apply, read) fails, so it can never be mistaken for the real provider.

Run as `python -m tests.offline_validate.provider hashicorp/aws`; `terraform_offline.py` writes launcher
scripts named `terraform-provider-aws` / `terraform-provider-archive` that Terraform starts through
`dev_overrides`. The gRPC messages come from the `tf` package's generated tfplugin6 protobufs.
"""

from __future__ import annotations

import base64
import contextlib
import datetime
import hashlib
import json
import os
import sys
import tempfile
import time
from concurrent import futures
from pathlib import Path
from typing import Any

import grpc
from tf.gen import grpc_controller_pb2 as controller_pb
from tf.gen import grpc_controller_pb2_grpc as controller_rpc
from tf.gen import grpc_stdio_pb2_grpc as stdio_rpc
from tf.gen import tfplugin_pb2 as pb
from tf.gen import tfplugin_pb2_grpc as rpc

from tests.offline_validate.schema import PACKAGES, cache_path, load_schema

# Value types are not in the jsii assembly: every attribute is cty.DynamicPseudoType.
_DYNAMIC = b'"dynamic"'
# Terraform refuses dynamic-typed attributes inside set blocks (cty sets must know their element type),
# so set blocks are served as lists: validate then accepts `block[0]` references a set would refuse.
_NESTING = {
    "list": pb.Schema.NestedBlock.LIST,
    "set": pb.Schema.NestedBlock.LIST,
    "single": pb.Schema.NestedBlock.SINGLE,
    "map": pb.Schema.NestedBlock.MAP,
}


def _block(spec: dict[str, Any], typed: bool = False) -> pb.Schema.Block:
    """A schema block; `typed` gives attributes their jsii types (see schema.py) instead of dynamic."""
    attributes = []
    types = spec.get("types", {}) if typed else {}
    for name, flags in sorted(spec.get("attributes", {}).items()):
        attributes.append(
            pb.Schema.Attribute(
                name=name,
                type=json.dumps(types[name]).encode() if name in types else _DYNAMIC,
                required="r" in flags,
                optional="o" in flags,
                computed="c" in flags,
                description_kind=pb.PLAIN,
            )
        )
    blocks = []
    for name, nested in sorted(spec.get("blocks", {}).items()):
        min_items, max_items = nested.get("min", 0), nested.get("max", 0)
        if nested["nesting"] == "single":
            # Terraform requires MinItems == MaxItems in NestingSingle mode: 1 when required, else 0.
            max_items = min_items
        blocks.append(
            pb.Schema.NestedBlock(
                type_name=name,
                block=_block(nested["block"], typed),
                nesting=_NESTING[nested["nesting"]],
                min_items=min_items,
                max_items=max_items,
            )
        )
    return pb.Schema.Block(attributes=attributes, block_types=blocks, description_kind=pb.PLAIN)


def _typed_nested_blocks(spec: dict[str, Any]) -> pb.Schema.Block:
    """Top-level attributes dynamic, nested blocks typed: Terraform 1.15 panics ("ProposedNew only
    supports object-typed values") planning a deferred data source whose nested blocks hold dynamic
    attributes, so `plan` needs real types there (aws_iam_policy_document's statements)."""
    block = _block({k: v for k, v in spec.items() if k != "blocks"})
    nested = _block({"blocks": spec.get("blocks", {})}, typed=True)
    block.block_types.extend(nested.block_types)
    return block


def provider_schema_response(
    schema: dict[str, Any], typed_data_source_blocks: bool = False
) -> pb.GetProviderSchema.Response:
    def wrap(spec: dict[str, Any]) -> pb.Schema:
        return pb.Schema(version=0, block=_block(spec))

    def wrap_data(spec: dict[str, Any]) -> pb.Schema:
        if typed_data_source_blocks:
            return pb.Schema(version=0, block=_typed_nested_blocks(spec))
        return wrap(spec)

    return pb.GetProviderSchema.Response(
        provider=wrap(schema["provider"]),
        provider_meta=wrap({}),
        resource_schemas={name: wrap(spec) for name, spec in schema["resources"].items()},
        data_source_schemas={name: wrap_data(spec) for name, spec in schema["data_sources"].items()},
        server_capabilities=pb.ServerCapabilities(),
    )


def cached_schema_response(
    source: str, schema: dict[str, Any], typed_data_source_blocks: bool = False
) -> pb.GetProviderSchema.Response:
    """provider_schema_response, built once per provider version and version of this file, then read
    from beside the compact schema's cache: building it takes about 0.2 s, and Terraform starts a
    provider several times per command."""
    rules = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:12]
    kind = "typed" if typed_data_source_blocks else "plain"
    path = cache_path(PACKAGES[source]).with_suffix(f".{kind}-{rules}.pb")
    if path.exists():
        return pb.GetProviderSchema.Response.FromString(path.read_bytes())
    response = provider_schema_response(schema, typed_data_source_blocks)
    # Atomic replace: parallel providers may build it at the same time.
    with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".tmp", delete=False) as tmp:
        tmp.write(response.SerializeToString())
    os.replace(tmp.name, path)
    return response


class SchemaOnlyProvider(rpc.ProviderServicer):
    """Answers schema and validation calls; the base class answers everything else UNIMPLEMENTED."""

    def __init__(self, schema: dict[str, Any], stop: futures.Future, source: str) -> None:
        self._schema = schema
        self._source = source
        self._response: pb.GetProviderSchema.Response | None = None
        self._stop = stop

    def GetMetadata(self, request, context):  # noqa: N802 - gRPC method names
        return pb.GetMetadata.Response(
            server_capabilities=pb.ServerCapabilities(),
            resources=[pb.GetMetadata.ResourceMetadata(type_name=n) for n in self._schema["resources"]],
            data_sources=[
                pb.GetMetadata.DataSourceMetadata(type_name=n) for n in self._schema["data_sources"]
            ],
        )

    def GetProviderSchema(self, request, context):  # noqa: N802
        if self._response is None:
            self._response = cached_schema_response(self._source, self._schema)
        return self._response

    def GetFunctions(self, request, context):  # noqa: N802
        return pb.GetFunctions.Response()

    # Value checks the real provider makes here (enums, ARN formats, conflicts) are not known offline.
    def ValidateProviderConfig(self, request, context):  # noqa: N802
        return pb.ValidateProviderConfig.Response()

    def ValidateResourceConfig(self, request, context):  # noqa: N802
        return pb.ValidateResourceConfig.Response()

    def ValidateDataResourceConfig(self, request, context):  # noqa: N802
        return pb.ValidateDataResourceConfig.Response()

    def StopProvider(self, request, context):  # noqa: N802
        self._stop.set_result(None)
        return pb.StopProvider.Response()


class _Controller(controller_rpc.GRPCControllerServicer):
    def __init__(self, stop: futures.Future) -> None:
        self._stop = stop

    def Shutdown(self, request, context):  # noqa: N802
        if not self._stop.done():
            self._stop.set_result(None)
        return controller_pb.Empty()


class _Stdio(stdio_rpc.GRPCStdioServicer):
    def StreamStdio(self, request, context):  # noqa: N802
        return iter(())


def _self_signed_certificate() -> tuple[bytes, bytes, bytes]:
    """(DER certificate, PEM certificate, PEM key) for go-plugin's automatic mutual TLS."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=True,
                data_encipherment=False,
                key_agreement=True,
                key_cert_sign=True,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.ExtendedKeyUsage(
                [x509.oid.ExtendedKeyUsageOID.SERVER_AUTH, x509.oid.ExtendedKeyUsageOID.CLIENT_AUTH]
            ),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return (
        certificate.public_bytes(serialization.Encoding.DER),
        certificate.public_bytes(serialization.Encoding.PEM),
        key_pem,
    )


def serve(source: str) -> None:
    if os.environ.get("TF_PLUGIN_MAGIC_COOKIE") is None:
        print(
            f"A Terraform provider plugin serving the offline schema of {source}; Terraform starts it.",
            file=sys.stderr,
        )
        raise SystemExit(1)
    schema = load_schema(source)
    stop: futures.Future = futures.Future()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    servicer: SchemaOnlyProvider
    if os.environ.get("LAKEHOUSE_OFFLINE_PLAN") == "1":
        # `terraform plan` too (tests/offline_plan/provider_plan.py); the process exits with its parent.
        from tests.offline_plan.provider_plan import PlanningProvider, exit_with_parent

        servicer = PlanningProvider(schema, stop, source)
        exit_with_parent(stop)
    else:
        servicer = SchemaOnlyProvider(schema, stop, source)
    rpc.add_ProviderServicer_to_server(servicer, server)
    controller_rpc.add_GRPCControllerServicer_to_server(_Controller(stop), server)
    stdio_rpc.add_GRPCStdioServicer_to_server(_Stdio(), server)
    der, cert_pem, key_pem = _self_signed_certificate()
    credentials = grpc.ssl_server_credentials([(key_pem, cert_pem)], require_client_auth=False)
    with tempfile.TemporaryDirectory(prefix="tfprov-") as tmp:
        socket = os.path.join(tmp, "plugin.sock")
        server.add_secure_port(f"unix://{socket}", credentials)
        server.start()
        # go-plugin handshake: core protocol | app protocol | network | address | protocol | server cert
        certificate = base64.b64encode(der).decode().rstrip("=")
        print(f"1|6|unix|{socket}|grpc|{certificate}", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            stop.result()
        # Let the last response leave before the socket goes away.
        time.sleep(0.05)
        server.stop(grace=0.5)


if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] not in ("hashicorp/aws", "hashicorp/archive"):
        print(
            "usage: python -m tests.offline_validate.provider hashicorp/aws|hashicorp/archive",
            file=sys.stderr,
        )
        raise SystemExit(2)
    serve(sys.argv[1])
