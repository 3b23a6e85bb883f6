"""Terraform provider schemas extracted from the jsii assemblies of the CDK provider packages.

`@cdktn/provider-aws` and `@cdktf/provider-archive` (pinned in tests/node/package.json) are generated
from the providers' own schemas. Their jsii assembly (`.jsii`) records every resource and data source,
every argument (required or optional), every computed attribute and every nested block. This module
turns that into a compact schema that `provider.py` serves to real Terraform over the plugin protocol.

Where the names come from:
- resource / data source type: the class documentation link, `{@link https://.../docs/resources/lambda_function
  aws_lambda_function}` (the link text);
- argument names: each config property's documentation anchor, `...#role_arn LambdaFunction#role_arn`
  (camelCase -> snake_case would get some names wrong, e.g. `address_line_1`);
- computed-only attributes have no documentation in the assembly; their names come from the generated
  JavaScript next to it, which states them exactly: `// arn - computed: true, ...` above `get arn()`;
- block nesting (list / set / single): the generated JavaScript's `isBlock: true, type: "list"` entries,
  because the assembly types list, set and single blocks alike.

The assembly carries no value types Terraform could use, so `provider.py` types every attribute as
dynamic: `terraform validate` then checks names, required arguments, blocks and their counts, and
references to attributes, but not value types.

The compact schema is cached under `.cache/provider-schemas/<package>@<version>.json`, keyed by the
package version: reading the 150 MB assembly takes a few seconds and about 0.5 GB of memory. Format:

    {"provider": BLOCK, "resources": {type: BLOCK}, "data_sources": {type: BLOCK}, "version": ..., ...}
    BLOCK = {"attributes": {name: "r" | "o" | "oc" | "c"},  # required / optional / optional and
                                                          # computed (the provider fills it) / computed only
             "types": {name: cty type JSON},              # arguments whose jsii type is a primitive or
                                                          # a list/map of one ("string", ["list", "string"])
             "blocks": {name: {"nesting": "list" | "set" | "single", "min": n, "max": n, "block": BLOCK}}}
"""

from __future__ import annotations

import gc
import json
import os
import re
import tempfile
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
NODE_MODULES = REPO_ROOT / "tests" / "node" / "node_modules"
CACHE_DIR = REPO_ROOT / ".cache" / "provider-schemas"

# Provider source address -> npm package carrying its jsii assembly (versions pinned in package.json).
PACKAGES = {
    "hashicorp/aws": "@cdktn/provider-aws",
    "hashicorp/archive": "@cdktf/provider-archive",
}

# Bumped when the compact format or the extraction rules change, so stale caches are rebuilt.
FORMAT_VERSION = 4

_LINK_TEXT = re.compile(r"\{@link https://registry\.terraform\.io/providers/[^ }]+ ([a-z0-9_]+)\}")
_ANCHOR = re.compile(r"\{@link https://registry\.terraform\.io/providers/[^ }#]+#([a-z0-9_]+) [A-Za-z0-9]+#")
# `// snake_name - computed: true, optional: false, required: false` followed by the getter or field.
_JS_COMMENT = re.compile(
    r"^    // ([a-z0-9_]+) - computed: (true|false), optional: (true|false), required: (true|false)\n"
    r"    (?:get (\w+)\(\)|_(\w+) = new )",
    re.MULTILINE,
)
_JS_OPTIONAL_COMPUTED = re.compile(r"^    // ([a-z0-9_]+) - computed: true, optional: true, ", re.MULTILINE)
_JS_HCL_ENTRY = re.compile(
    r"isBlock: (true|false),\s*type: \"(\w+)\",\s*storageClassType: \"(\w+)\"",
)
# Properties every generated class inherits or adds for the CDK, not provider attributes.
_CDK_PROPERTIES = {
    "tfResourceType",
    "internalValue",
    "terraformAttribute",
    "terraformResource",
    "wrapsSet",
    "complexObjectIndex",
    "complexObjectIsFromSet",
    "fqn",
    "friendlyUniqueId",
}
_STORAGE_SUFFIXES = ("OutputReference", "List", "Map")


def package_dir(package: str) -> Path:
    return NODE_MODULES / package


def package_version(package: str) -> str:
    manifest = package_dir(package) / "package.json"
    if not manifest.exists():
        raise FileNotFoundError(f"{manifest} is missing: run `make node` (npm ci in tests/node)")
    return json.loads(manifest.read_text(encoding="utf-8"))["version"]


def provider_version(package: str) -> str:
    """The Terraform provider version the package was generated from (e.g. 6.66.0)."""
    manifest = json.loads((package_dir(package) / "package.json").read_text(encoding="utf-8"))
    return manifest["cdktf"]["provider"]["version"]


def cache_path(package: str) -> Path:
    name = package.replace("/", "+")
    return CACHE_DIR / f"{name}@{package_version(package)}.json"


def load_schema(source: str) -> dict[str, Any]:
    """The compact schema of a provider (`hashicorp/aws`), extracted once and then read from the cache."""
    package = PACKAGES[source]
    path = cache_path(package)
    if path.exists():
        cached = json.loads(path.read_text(encoding="utf-8"))
        if cached.get("format") == FORMAT_VERSION:
            return cached
    schema = extract(source, package)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Atomic replace: parallel test processes may extract at the same time.
    with tempfile.NamedTemporaryFile(
        "w", dir=path.parent, suffix=".tmp", delete=False, encoding="utf-8"
    ) as tmp:
        json.dump(schema, tmp, separators=(",", ":"), sort_keys=True)
    os.replace(tmp.name, path)
    return schema


def _slim(node: dict[str, Any]) -> dict[str, Any]:
    """json object_hook: drop what extraction never reads, so the 150 MB assembly fits in less memory."""
    for key in ("methods", "locationInModule", "symbolId", "examples", "readme"):
        node.pop(key, None)
    docs = node.get("docs")
    if isinstance(docs, dict):
        node["docs"] = {k: docs[k] for k in ("summary", "remarks") if k in docs}
    return node


def _read_assembly(package: str) -> dict[str, dict[str, Any]]:
    with (package_dir(package) / ".jsii").open(encoding="utf-8") as handle:
        return json.load(handle, object_hook=_slim)["types"]


class _JavaScript:
    """Facts the assembly lacks, read from the generated JavaScript of one submodule (lib/<dir>/index.js)."""

    def __init__(self, text: str) -> None:
        # camelCase getter -> Terraform name.
        self.names: dict[str, str] = {}
        for match in _JS_COMMENT.finditer(text):
            name, getter, field = match.group(1), match.group(5), match.group(6)
            self.names.setdefault(getter or field, name)
        # class name -> arguments the provider computes when the configuration leaves them null.
        self.optional_computed: dict[str, set[str]] = {}
        for chunk in re.split(r"^class ", text, flags=re.MULTILINE)[1:]:
            class_name = chunk.split(" ", 1)[0]
            self.optional_computed[class_name] = {m.group(1) for m in _JS_OPTIONAL_COMPUTED.finditer(chunk)}
        # struct name -> (is a block, nesting type) from the HCL synthesis tables.
        self.storage: dict[str, tuple[bool, str]] = {}
        for is_block, kind, storage in _JS_HCL_ENTRY.findall(text):
            struct = storage
            for suffix in _STORAGE_SUFFIXES:
                if struct.endswith(suffix):
                    struct = struct[: -len(suffix)]
                    break
            self.storage.setdefault(struct, (is_block == "true", kind))


def _submodule_js(package: str) -> dict[str, _JavaScript]:
    """Generated JavaScript per jsii namespace (lambdaFunction -> lib/lambda-function/index.js)."""
    result: dict[str, _JavaScript] = {}
    lib = package_dir(package) / "lib"
    for index in sorted(lib.glob("*/index.js")):
        namespace = re.sub(r"-([a-z0-9])", lambda m: m.group(1).upper(), index.parent.name)
        result[namespace] = _JavaScript(index.read_text(encoding="utf-8"))
    return result


def _struct_fqn(type_ref: dict[str, Any]) -> tuple[str | None, bool]:
    """(fqn of a struct, is it a collection) for a property type, or (None, False) for a primitive."""
    if "fqn" in type_ref:
        return type_ref["fqn"], False
    if "collection" in type_ref:
        inner, _ = _struct_fqn(type_ref["collection"]["elementtype"])
        return inner, True
    if "union" in type_ref:
        for option in type_ref["union"]["types"]:
            fqn, many = _struct_fqn(option)
            if fqn and not fqn.startswith(("cdktn.", "cdktf.")):
                return fqn, many
    return None, False


_PRIMITIVES = {"string": "string", "number": "number", "boolean": "bool"}


def _cty_type(type_ref: dict[str, Any]) -> Any:
    """The cty type (JSON form) of a primitive argument or a list/map of primitives, else None.

    jsii spells list and set alike (`array`), so sets come out as lists: the offline plan serves them
    that way consistently. The union with `IResolvable` that optional booleans carry is looked through."""
    if "primitive" in type_ref:
        return _PRIMITIVES.get(type_ref["primitive"])
    if "collection" in type_ref:
        element = type_ref["collection"]["elementtype"]
        inner = _PRIMITIVES.get(element.get("primitive", ""))
        kind = {"array": "list", "map": "map"}.get(type_ref["collection"]["kind"])
        return [kind, inner] if inner and kind else None
    if "union" in type_ref:
        options = [_cty_type(t) for t in type_ref["union"]["types"] if t.get("fqn") != "cdktn.IResolvable"]
        return options[0] if len(options) == 1 else None
    return None


def _anchor(prop: dict[str, Any]) -> str | None:
    docs = prop.get("docs", {})
    match = _ANCHOR.search(docs.get("remarks", "") + " " + docs.get("summary", ""))
    return match.group(1) if match else None


def _snake(camel: str) -> str:
    return re.sub(r"([A-Z])", lambda m: "_" + m.group(1).lower(), camel)


class _Extractor:
    def __init__(self, types: dict[str, dict[str, Any]], js: dict[str, _JavaScript]) -> None:
        self.types = types
        self.js = js
        self.recursive: set[str] = set()

    def _js_for(self, fqn: str) -> _JavaScript | None:
        namespace = self.types[fqn].get("namespace", "")
        return self.js.get(namespace)

    def block(self, config_fqn: str, getters_fqn: str | None, path: tuple[str, ...] = ()) -> dict[str, Any]:
        """Attributes and nested blocks of a config struct plus the computed-only getters of its class."""
        path = (*path, config_fqn)
        attributes: dict[str, str] = {}
        types: dict[str, Any] = {}
        blocks: dict[str, Any] = {}
        config = self.types[config_fqn]
        js = self._js_for(config_fqn)
        getters_js = self._js_for(getters_fqn) if getters_fqn else None
        computed_too = (
            getters_js.optional_computed.get(getters_fqn.rsplit(".", 1)[-1], set())
            if getters_js and getters_fqn
            else set()
        )
        for prop in config.get("properties", []):
            name = _anchor(prop)
            if name is None:
                raise ValueError(f"{config_fqn}.{prop['name']}: no documentation anchor")
            required = not prop.get("optional", False)
            struct, many = _struct_fqn(prop["type"])
            storage = js.storage.get(struct.rsplit(".", 1)[-1]) if (js and struct) else None
            is_block = (
                storage[0]
                if storage
                else bool(struct) and prop["docs"].get("summary", "").endswith(" block.")
            )
            if struct and is_block and struct in path:
                # A recursive struct (wafv2 rule statements): the generator reuses one struct for nested
                # statements. Terraform's schema is a finite tree, so cut the cycle here and accept any
                # value: such blocks are not validated below this depth.
                self.recursive.add(f"{path[0].rsplit('.', 1)[-1]}.{name}")
                attributes[name] = "o"
            elif struct and is_block:
                kind = storage[1] if storage else ("list" if many else "struct")
                getters = struct + "OutputReference"
                nested = self.block(struct, getters if getters in self.types else None, path)
                entry: dict[str, Any] = {"nesting": "single" if kind == "struct" else kind, "block": nested}
                if required:
                    entry["min"] = 1
                if not many and kind != "struct":
                    entry["max"] = 1
                blocks[name] = entry
            else:
                attributes[name] = "r" if required else ("oc" if name in computed_too else "o")
                cty = _cty_type(prop["type"])
                if cty is not None:
                    types[name] = cty
        if getters_fqn:
            attributes.update(self._computed_only(getters_fqn, config, set(attributes) | set(blocks)))
        result: dict[str, Any] = {}
        if attributes:
            result["attributes"] = attributes
        if types:
            result["types"] = types
        if blocks:
            result["blocks"] = blocks
        return result

    def _computed_only(self, class_fqn: str, config: dict[str, Any], known: set[str]) -> dict[str, str]:
        """Getters of the generated class that are no argument: attributes the provider computes."""
        config_props = {p["name"] for p in config.get("properties", [])}
        js = self._js_for(class_fqn)
        computed: dict[str, str] = {}
        for prop in self.types[class_fqn].get("properties", []):
            camel = prop["name"]
            if (
                camel.endswith("Input")
                or camel in config_props
                or camel in _CDK_PROPERTIES
                or prop.get("static")
            ):
                continue
            name = js.names.get(camel) if js else None
            name = name or _snake(camel)
            if name not in known:
                computed[name] = "c"
        return computed


def extract(source: str, package: str) -> dict[str, Any]:
    """Read the package's assembly and return the compact schema of its provider."""
    types = _read_assembly(package)
    gc.collect()
    extractor = _Extractor(types, _submodule_js(package))
    resources: dict[str, Any] = {}
    data_sources: dict[str, Any] = {}
    provider_block: dict[str, Any] = {}
    for fqn, spec in types.items():
        if spec.get("kind") != "class" or not fqn.startswith(package + "."):
            continue
        base = spec.get("base", "")
        # The constructor's `config` parameter: usually <Class>Config, <Class>ConfigA where names clash.
        parameters = spec.get("initializer", {}).get("parameters", [])
        config_fqn = next((p["type"].get("fqn") for p in parameters if p["name"] == "config"), None)
        if config_fqn not in types:
            continue
        if base.endswith(".TerraformProvider"):
            provider_block = extractor.block(config_fqn, None)
            # `alias` is a Terraform meta-argument, not part of the provider's schema.
            provider_block.get("attributes", {}).pop("alias", None)
            continue
        target = {".TerraformResource": resources, ".TerraformDataSource": data_sources}.get(
            base[base.rfind(".") :] if base else ""
        )
        if target is None:
            continue
        match = _LINK_TEXT.search(spec.get("docs", {}).get("summary", ""))
        if not match:
            raise ValueError(f"{fqn}: no resource type in its documentation link")
        target[match.group(1)] = extractor.block(config_fqn, fqn)
    del types, extractor
    gc.collect()
    return {
        "format": FORMAT_VERSION,
        "source": source,
        "package": f"{package}@{package_version(package)}",
        "version": provider_version(package),
        "provider": provider_block,
        "resources": resources,
        "data_sources": data_sources,
    }


def main() -> None:
    for source in PACKAGES:
        schema = load_schema(source)
        print(
            f"{source} {schema['version']} from {schema['package']}: "
            f"{len(schema['resources'])} resources, {len(schema['data_sources'])} data sources "
            f"-> {cache_path(PACKAGES[source]).relative_to(REPO_ROOT)}"
        )


if __name__ == "__main__":
    main()
