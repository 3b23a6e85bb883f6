"""Checks `make` runs with the interpreter it builds ``.venv`` from (``PYTHON``, default python3).

``python3 local/check_python.py [--minimum 3.11]`` exits 1 with a message saying which Python was
found and how to pick another when the interpreter is older than the minimum (the pinned packages
need 3.11: an older pip only says "No matching distribution found").

``python3 local/check_python.py --venv-status .venv`` prints why an existing virtual environment
must be rebuilt, or nothing: it was made by another Python version than this interpreter's (a
``make PYTHON=python3.12`` after 3.11, or a venv left half-built by an older Python), its Python
is older than the minimum, or it is broken (no ``bin/python``, no ``pyvenv.cfg``).

Runs on old interpreters too (no syntax newer than Python 3.6), so that they get the message.
"""

import argparse
import os
import re
import sys

DEFAULT_MINIMUM = "3.11"
# CPython 3.13.0 can end a run that used threads with "Exception ignored in: <function
# _DeleteDummyThreadOnDel.__del__ ...> TypeError: 'NoneType' object does not support the context
# manager protocol" (python/cpython#130522, fixed by python/cpython#131537 in a later 3.13 release):
# printed at interpreter exit, after the run's result; harmless.
NOISY_AT_EXIT = {
    (3, 13, 0): "3.13.0 may print an 'Exception ignored ... _DeleteDummyThreadOnDel' traceback at exit "
    "(CPython bug python/cpython#130522, harmless: the run's result stands); "
    "prefer 3.11, 3.12 or a later 3.13 release"
}


def version_tuple(text):
    """'3.11' or '3.11.7' -> (3, 11) or (3, 11, 7)."""
    return tuple(int(part) for part in text.split("."))


def interpreter_problem(minimum, version=None):
    """A message when `version` (default: this interpreter's) is older than `minimum`, else None."""
    version = tuple(version or sys.version_info[:3])
    if version[:2] >= version_tuple(minimum)[:2]:
        return None
    found = ".".join(str(part) for part in version)
    return (
        f"make: Python {minimum} or later is needed, but {sys.executable} is Python {found}.\n"
        f"  Install Python {minimum}+ and name it: make PYTHON=python{minimum} <target>"
    )


def exit_noise_note(version=None):
    """A note for an interpreter known to print a harmless traceback at exit, else None."""
    note = NOISY_AT_EXIT.get(tuple(version or sys.version_info[:3]))
    return f"make: note: Python {note}" if note else None


def venv_version(venv):
    """The `version` (or `version_info`) a venv's pyvenv.cfg records, as a tuple; None if unreadable."""
    try:
        with open(os.path.join(venv, "pyvenv.cfg"), encoding="utf-8") as config:
            text = config.read()
    except OSError:
        return None
    found = re.search(r"^\s*version(?:_info)?\s*=\s*([0-9]+(?:\.[0-9]+)+)", text, re.MULTILINE)
    return version_tuple(found.group(1)) if found else None


def venv_problem(venv, minimum, version=None):
    """Why `venv` must be rebuilt for this interpreter, or None (also None when it does not exist)."""
    if not os.path.lexists(venv):
        return None
    version = tuple(version or sys.version_info[:3])
    made_by = venv_version(venv)
    python = os.path.join(venv, "bin", "python")
    if made_by is None or not os.access(python, os.X_OK):
        return f"{venv} is incomplete (no pyvenv.cfg or bin/python)"
    made = ".".join(str(part) for part in made_by)
    if made_by[:2] < version_tuple(minimum)[:2]:
        return f"{venv} was made by Python {made}, older than {minimum}"
    if made_by[:2] != version[:2]:
        wanted = ".".join(str(part) for part in version[:2])
        return f"{venv} was made by Python {made}, not by the Python {wanted} asked for"
    return None


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minimum", default=DEFAULT_MINIMUM, help="oldest Python accepted (default 3.11)")
    parser.add_argument("--venv-status", metavar="VENV", help="print why VENV must be rebuilt, if it must")
    args = parser.parse_args(argv)
    if args.venv_status:
        problem = venv_problem(args.venv_status, args.minimum)
        if problem:
            print(problem)
        return 0
    problem = interpreter_problem(args.minimum)
    if problem:
        print(problem, file=sys.stderr)
        return 1
    note = exit_noise_note()
    if note:
        print(note, file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
