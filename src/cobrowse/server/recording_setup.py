"""Where a server's recordings go and the keys they are sealed with (configuration)."""

from __future__ import annotations

import os
from pathlib import Path

from cobrowse.config import Config
from cobrowse.core.recording import KeyRing, new_key_line, parse_keys
from cobrowse.store.private_files import private_dir
from cobrowse.store.recordings import FileRecordingStore, RecordingStore, S3RecordingStore

KEY_FILE = "recording-keys"


def key_path(config: Config) -> Path:
    rec = config.recordings
    return Path(rec.key_file or Path(config.server.data_dir) / KEY_FILE)


def load_ring(config: Config, *, create: bool) -> KeyRing | None:
    """The configured keys: `recordings.keys`, else the key file (made with one fresh key
    when missing and `create`); None when there are none. KeyError_ when they are bad."""
    rec = config.recordings
    if rec.keys:
        return parse_keys(rec.keys, current=rec.current_key)
    path = key_path(config)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        if not create:
            return None
        private_dir(path.parent)
        text = new_key_line("k1") + "\n"
        fd = _create_private(path)
        with open(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
    return parse_keys(text, current=rec.current_key)


def _create_private(path: Path) -> int:
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)


def store_for(config: Config) -> RecordingStore:
    rec = config.recordings
    if rec.storage.startswith("s3://"):
        return S3RecordingStore.from_url(
            rec.storage,
            endpoint_url=rec.s3_endpoint_url,
            region=rec.s3_region,
            access_key_id=rec.s3_access_key_id,
            secret_access_key=rec.s3_secret_access_key,
        )
    return FileRecordingStore(Path(config.server.data_dir) / "recordings")
