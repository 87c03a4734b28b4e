"""Where sealed recordings are kept: a folder in the data directory, or an S3 bucket.

Both hold the same objects per recording: `<id>/meta` (its sealed description),
`<id>/c000000`, `<id>/c000001`, ... (its sealed chunks, core/recording.py) and, for a
proxied session, `<id>/assets` (the index) and `<id>/a000000`, ... (the stylesheets,
fonts and images its agent was served), written once each and never changed (the
description is replaced when the recording ends).
Blocking calls: the recorder runs them off the event loop (server/recordings.py).
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

from cobrowse.store.private_files import private_dir

_NAME = re.compile(r"meta|agent|assets|[ca]\d{6}")
_ID = re.compile(r"[A-Za-z0-9_-]{1,128}")


class RecordingStoreError(OSError):
    """The storage did not answer, or refused."""


def chunk_name(index: int) -> str:
    return f"c{index:06d}"


def asset_name(index: int) -> str:
    return f"a{index:06d}"


def _check(recording_id: str, name: str | None = None) -> None:
    if not _ID.fullmatch(recording_id) or (name is not None and not _NAME.fullmatch(name)):
        raise ValueError("not a recording object name")


class RecordingStore(Protocol):
    def put(self, recording_id: str, name: str, data: bytes) -> None: ...
    def get(self, recording_id: str, name: str) -> bytes | None: ...
    def names(self, recording_id: str) -> list[str]: ...
    def ids(self) -> list[str]: ...
    def delete(self, recording_id: str) -> None: ...


class FileRecordingStore:
    """One folder per recording under `root` (0700), one file (0600) per object."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def put(self, recording_id: str, name: str, data: bytes) -> None:
        _check(recording_id, name)
        folder = self.root / recording_id
        try:
            private_dir(self.root)
            private_dir(folder)
            fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".tmp")
            try:
                os.fchmod(fd, 0o600)
                with os.fdopen(fd, "wb") as fh:
                    fh.write(data)
                    fh.flush()
                    os.fsync(fh.fileno())
                os.replace(tmp, folder / name)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError as exc:
            raise RecordingStoreError(f"cannot write recording {recording_id}: {exc}") from None

    def get(self, recording_id: str, name: str) -> bytes | None:
        _check(recording_id, name)
        try:
            return (self.root / recording_id / name).read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise RecordingStoreError(f"cannot read recording {recording_id}: {exc}") from None

    def names(self, recording_id: str) -> list[str]:
        _check(recording_id)
        try:
            return sorted(
                p.name for p in (self.root / recording_id).iterdir() if _is_object(p.name)
            )
        except FileNotFoundError:
            return []

    def ids(self) -> list[str]:
        try:
            return sorted(p.name for p in self.root.iterdir() if _ID.fullmatch(p.name))
        except FileNotFoundError:
            return []

    def delete(self, recording_id: str) -> None:
        _check(recording_id)
        shutil.rmtree(self.root / recording_id, ignore_errors=True)


def _is_object(name: str) -> bool:
    return bool(_NAME.fullmatch(name))


class S3RecordingStore:
    """Objects `<prefix><id>/<name>` in a bucket of any S3-compatible service (MinIO,
    Ceph, AWS), through boto3."""

    def __init__(self, client: Any, *, bucket: str, prefix: str = "") -> None:
        self.client = client
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        endpoint_url: str = "",
        region: str = "us-east-1",
        access_key_id: str = "",
        secret_access_key: str = "",
    ) -> S3RecordingStore:
        import boto3
        from botocore.config import Config as BotoConfig

        parts = urlsplit(url)
        client = boto3.client(
            "s3",
            endpoint_url=endpoint_url or None,
            region_name=region,
            aws_access_key_id=access_key_id or None,
            aws_secret_access_key=secret_access_key or None,
            config=BotoConfig(retries={"max_attempts": 3}, connect_timeout=5, read_timeout=20),
        )
        return cls(client, bucket=parts.netloc, prefix=parts.path)

    def _key(self, recording_id: str, name: str) -> str:
        return f"{self.prefix}{recording_id}/{name}"

    def put(self, recording_id: str, name: str, data: bytes) -> None:
        _check(recording_id, name)
        try:
            self.client.put_object(Bucket=self.bucket, Key=self._key(recording_id, name), Body=data)
        except Exception as exc:  # botocore's errors have no common base worth naming
            raise RecordingStoreError(f"cannot write recording {recording_id}: {exc}") from None

    def get(self, recording_id: str, name: str) -> bytes | None:
        _check(recording_id, name)
        try:
            got = self.client.get_object(Bucket=self.bucket, Key=self._key(recording_id, name))
            body: bytes = got["Body"].read()
            return body
        except self.client.exceptions.NoSuchKey:
            return None
        except Exception as exc:
            raise RecordingStoreError(f"cannot read recording {recording_id}: {exc}") from None

    def _list(self, prefix: str, *, delimiter: str = "") -> list[dict[str, Any]]:
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=prefix, **({"Delimiter": delimiter} if delimiter else {})
        )
        try:
            return [page for page in pages]
        except Exception as exc:
            raise RecordingStoreError(f"cannot list recordings: {exc}") from None

    def names(self, recording_id: str) -> list[str]:
        _check(recording_id)
        base = f"{self.prefix}{recording_id}/"
        found = [o["Key"][len(base) :] for p in self._list(base) for o in p.get("Contents", [])]
        return sorted(n for n in found if _is_object(n))

    def ids(self) -> list[str]:
        pages = self._list(self.prefix, delimiter="/")
        found = [
            c["Prefix"][len(self.prefix) :].rstrip("/")
            for p in pages
            for c in p.get("CommonPrefixes", [])
        ]
        return sorted(i for i in found if _ID.fullmatch(i))

    def delete(self, recording_id: str) -> None:
        _check(recording_id)
        for name in self.names(recording_id):
            try:
                self.client.delete_object(Bucket=self.bucket, Key=self._key(recording_id, name))
            except Exception as exc:
                raise RecordingStoreError(
                    f"cannot delete recording {recording_id}: {exc}"
                ) from None
