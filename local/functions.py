"""Load the project's Lambda handlers in process, laid out as Lambda sees them.

On Lambda a function's ``src`` directory is the task root and the project's own layer puts
``lakehouse_common`` on the path (``/opt/python``). Both functions' handler modules are named
``lambda_function``, so each is loaded from its file under a unique module name.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
FUNCTIONS_DIR = REPO_ROOT / "functions"
COMMON_LAYER_DIR = FUNCTIONS_DIR / "common" / "python"
FUNCTION_NAMES = ("data_wordpressapi_raw", "data_wordpressapi_bronze")


def _add_path(path: Path) -> None:
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))


def load_function_module(name: str) -> ModuleType:
    """``functions/<name>/src/lambda_function.py`` as module ``lambda_function_<name>`` (cached)."""
    module_name = f"lambda_function_{name}"
    if module_name in sys.modules:
        return sys.modules[module_name]
    source = FUNCTIONS_DIR / name / "src" / "lambda_function.py"
    if not source.is_file():
        raise FileNotFoundError(f"no handler for function {name!r}: {source} does not exist")
    _add_path(COMMON_LAYER_DIR)
    _add_path(source.parent)  # sibling modules of the handler, as in the Lambda task root
    spec = importlib.util.spec_from_file_location(module_name, source)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[module_name]
        raise
    return module


def load_handler(name: str) -> Callable[[dict[str, Any], Any], Any]:
    """The ``lambda_handler`` of function ``name`` (e.g. ``data_wordpressapi_raw``)."""
    return load_function_module(name).lambda_handler
