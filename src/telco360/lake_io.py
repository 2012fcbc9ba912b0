"""Small file operations on the lake root, which is a local folder or `s3://bucket/prefix`.

Spark reads and writes the data files itself; this module does the few things Spark does not:
small JSON documents (metrics, commit markers), listing batch folders, and removing a batch
folder before it is rewritten. Standard library only (boto3 is imported lazily, on S3 only), so
it can be embedded verbatim in the Glue scripts like the contract.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile


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
