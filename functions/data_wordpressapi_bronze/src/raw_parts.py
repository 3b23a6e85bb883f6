"""Raw objects of one run joined into one local file: a load split across invocations stores its
pages as several parts, each a JSON array of records, and bronze converts them as one dataset."""

from __future__ import annotations

import codecs
import os

from bronze_parquet import MalformedJson

COPY_BYTES = 8 * 1024 * 1024


class JsonArrayJoiner:
    """Raw parts that are each a JSON array of records (a load split across invocations), joined in
    order into one JSON array file, streaming: each part's items are copied between its ``[`` and
    ``]`` (a ``,`` between non-empty parts), never parsed or held in memory here."""

    _EDGE = 4096

    def __init__(self, destination: str) -> None:
        self._out = open(destination, "wb")  # noqa: SIM115 - closed by close()
        self._out.write(b"[")
        self._items = False

    def append(self, path: str, name: str) -> None:
        """Append the items of the JSON array in the local file ``path`` (``name`` for errors)."""
        size = os.path.getsize(path)
        with open(path, "rb") as part:
            head = part.read(self._EDGE)
            start = len(head) - len(head.removeprefix(codecs.BOM_UTF8).lstrip())
            part.seek(max(0, size - self._EDGE))
            tail = part.read()
            end = max(0, size - self._EDGE) + len(tail.rstrip()) - 1  # the closing "]"
            if head[start : start + 1] != b"[" or tail.rstrip()[-1:] != b"]" or end <= start:
                raise MalformedJson(f"{name} is not a JSON array (every part of a split load must be one)")
            part.seek(start + 1)
            left, started = end - start - 1, False
            while left > 0:
                chunk = part.read(min(COPY_BYTES, left))
                left -= len(chunk)
                if not started:
                    if not chunk.strip():
                        continue  # leading space; "[ ]", an empty part, adds nothing
                    if self._items:
                        self._out.write(b",")
                    started = self._items = True
                self._out.write(chunk)

    def close(self) -> None:
        if not self._out.closed:
            self._out.write(b"]")
            self._out.close()

    def __enter__(self) -> JsonArrayJoiner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
