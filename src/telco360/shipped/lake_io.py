"""Small file operations on the lake root, which is a local folder or `s3://bucket/prefix`.

Spark reads and writes the data files itself; this module does the few things Spark does not:
small JSON documents (metrics, commit markers), listing batch folders, and removing a batch
folder before it is rewritten, and a file's first line (a ranged read on S3). Standard library
only (boto3 is imported lazily, on S3 only): it ships to Glue (glue/*.py, `make glue`) and to
the Lambdas (the SAM-built layer).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import zlib


def is_s3(uri: str) -> bool:
    return uri.startswith("s3://")


def join(root: str, *parts: str) -> str:
    """Join lake path parts; a local root becomes absolute so Spark and Python agree."""
    base = root.rstrip("/") if is_s3(root) else os.path.abspath(root)
    return "/".join([base, *(p.strip("/") for p in parts if p)])


def _split_s3(uri: str) -> tuple[str, str]:
    bucket, _, key = uri[len("s3://") :].partition("/")
    return bucket, key


def _s3():
    import boto3  # only on AWS (Glue ships boto3)

    return boto3.client("s3")


def write_text(uri: str, text: str) -> None:
    """Write a small text object atomically: readers see the old content or the new, never half."""
    if is_s3(uri):
        bucket, key = _split_s3(uri)
        _s3().put_object(Bucket=bucket, Key=key, Body=text.encode("utf-8"))
        return
    folder = os.path.dirname(uri)
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-")
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)
    os.replace(tmp, uri)


def read_text(uri: str) -> str:
    if is_s3(uri):
        bucket, key = _split_s3(uri)
        return _s3().get_object(Bucket=bucket, Key=key)["Body"].read().decode("utf-8")
    with open(uri, encoding="utf-8") as f:
        return f.read()


def write_json(uri: str, document: dict) -> None:
    write_text(uri, json.dumps(document, indent=2, sort_keys=True, default=str) + "\n")


def read_json(uri: str) -> dict:
    return json.loads(read_text(uri))


def exists(uri: str) -> bool:
    if is_s3(uri):
        bucket, key = _split_s3(uri)
        found = _s3().list_objects_v2(Bucket=bucket, Prefix=key, MaxKeys=1)
        return found.get("KeyCount", 0) > 0
    return os.path.exists(uri)


def list_names(uri: str) -> list[str]:
    """Sorted names of the immediate children (files and folders) of a folder; [] if absent."""
    if is_s3(uri):
        bucket, key = _split_s3(uri)
        prefix = key.rstrip("/") + "/"
        names: set[str] = set()
        pages = _s3().get_paginator("list_objects_v2")
        for page in pages.paginate(Bucket=bucket, Prefix=prefix, Delimiter="/"):
            names.update(
                p["Prefix"][len(prefix) :].rstrip("/") for p in page.get("CommonPrefixes", [])
            )
            names.update(o["Key"][len(prefix) :] for o in page.get("Contents", []))
        return sorted(n for n in names if n)
    if not os.path.isdir(uri):
        return []
    return sorted(os.listdir(uri))


def list_files(uri: str) -> list[tuple[str, int]]:
    """(name, size in bytes) of the files directly in a folder, sorted by name; [] if absent."""
    if is_s3(uri):
        bucket, key = _split_s3(uri)
        prefix = key.rstrip("/") + "/"
        found = []
        pages = _s3().get_paginator("list_objects_v2")
        for page in pages.paginate(Bucket=bucket, Prefix=prefix, Delimiter="/"):
            for obj in page.get("Contents", []):
                if not obj["Key"].endswith("/"):  # console "folders"
                    found.append((obj["Key"][len(prefix) :], obj["Size"]))
        return sorted(found)
    if not os.path.isdir(uri):
        return []
    return [
        (n, os.path.getsize(os.path.join(uri, n)))
        for n in sorted(os.listdir(uri))
        if os.path.isfile(os.path.join(uri, n))
    ]


def uploads_in_progress(uri: str) -> list[str]:
    """Names of the files being uploaded into a folder (S3 multipart uploads not completed).
    A local copy in flight shows up as a temporary file name instead: always [] locally."""
    if not is_s3(uri):
        return []
    bucket, key = _split_s3(uri)
    prefix = key.rstrip("/") + "/"
    found = _s3().list_multipart_uploads(Bucket=bucket, Prefix=prefix)
    return sorted(u["Key"][len(prefix) :] for u in found.get("Uploads", []))


def read_range(uri: str, size: int, tail: bool = False) -> bytes:
    """The first (or, with `tail`, the last) `size` bytes of a non-empty file."""
    if is_s3(uri):
        bucket, key = _split_s3(uri)
        wanted = f"bytes=-{size}" if tail else f"bytes=0-{size - 1}"
        return _s3().get_object(Bucket=bucket, Key=key, Range=wanted)["Body"].read()
    with open(uri, "rb") as f:
        if tail:
            f.seek(max(0, os.path.getsize(uri) - size))
        return f.read(size)


def stream(uri: str, chunk: int = 1024 * 1024):
    """A file's bytes, `chunk` bytes at a time."""
    if is_s3(uri):
        bucket, key = _split_s3(uri)
        yield from _s3().get_object(Bucket=bucket, Key=key)["Body"].iter_chunks(chunk)
        return
    with open(uri, "rb") as f:
        while data := f.read(chunk):
            yield data


def delete_tree(uri: str) -> None:
    """Remove a folder and everything under it; absent is fine (re-runs are safe)."""
    if is_s3(uri):
        bucket, key = _split_s3(uri)
        prefix = key.rstrip("/") + "/"
        client = _s3()
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            keys = [{"Key": o["Key"]} for o in page.get("Contents", [])]
            if keys:
                client.delete_objects(Bucket=bucket, Delete={"Objects": keys, "Quiet": True})
        return
    shutil.rmtree(uri, ignore_errors=True)


def partition_values(uri: str, name: str) -> list[str]:
    """Values of `name=value` sub-folders, sorted: the batch dates present under a folder."""
    prefix = name + "="
    return sorted(n[len(prefix) :] for n in list_names(uri) if n.startswith(prefix))


def _read_head(uri: str, limit: int) -> tuple[bytes, bool]:
    """The first `limit` bytes of a file, and whether that is the whole file."""
    if is_s3(uri):
        bucket, key = _split_s3(uri)
        client = _s3()
        size = client.head_object(Bucket=bucket, Key=key)["ContentLength"]
        if size == 0:  # a Range on an empty object is an error
            return b"", True
        wanted = min(size, limit)
        body = client.get_object(Bucket=bucket, Key=key, Range=f"bytes=0-{wanted - 1}")["Body"]
        return body.read(), wanted == size
    with open(uri, "rb") as f:
        head = f.read(limit)
        return head, len(head) < limit or not f.read(1)


def read_first_line(uri: str, chunk: int = 64 * 1024) -> str | None:
    """A file's first line (its header) without the line break: LF, CRLF or CR, as Spark's
    text reader splits lines; None for an empty file. Reads only the start of the file (a
    ranged GET on S3), however large it is."""
    limit = chunk
    gzip = uri.lower().endswith(".gz")
    while True:
        head, whole = _read_head(uri, limit)
        if gzip:  # the start of the compressed bytes gives the start of the text
            inflate = zlib.decompressobj(wbits=31)
            head = inflate.decompress(head)
            whole = whole or inflate.eof
        breaks = [i for i in (head.find(b"\n"), head.find(b"\r")) if i >= 0]
        if breaks or whole:
            break
        limit *= 4
    if not head:
        return None
    return head[: min(breaks, default=len(head))].decode("utf-8", errors="replace")
