"""The recording stores (a folder, an S3 bucket on moto's real server) pass one suite,
and the recorder over them: chunks written off the relay, lost frames counted, keys
rotated, retention purged."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from cobrowse.core.recording import ChunkError, parse_keys
from cobrowse.server.recordings import Recorder
from cobrowse.store.recordings import FileRecordingStore, RecordingStore, S3RecordingStore
from tests.s3_server import running_s3

K1 = "k1=" + base64.b64encode(b"1" * 32).decode()
K2 = "k2=" + base64.b64encode(b"2" * 32).decode()
DAY = 86400.0


@pytest.fixture(scope="module")
def s3_url() -> Iterator[str]:
    with running_s3() as url:
        yield url


def s3_store(url: str, bucket: str) -> S3RecordingStore:
    client = boto3.client(
        "s3",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    client.create_bucket(Bucket=bucket)
    return S3RecordingStore(client, bucket=bucket, prefix="/rec/")


@pytest.fixture(params=["file", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> RecordingStore:
    if request.param == "file":
        return FileRecordingStore(tmp_path / "recordings")
    url = request.getfixturevalue("s3_url")
    return s3_store(url, f"b-{tmp_path.name.lower().replace('_', '-')[-40:]}")


def test_objects_are_put_read_listed_and_deleted(store: RecordingStore) -> None:
    assert store.ids() == [] and store.get("s_1", "meta") is None
    store.put("s_1", "c000000", b"zero")
    store.put("s_1", "c000001", b"one")
    store.put("s_1", "meta", b"m")
    store.put("s_2", "meta", b"m2")
    assert store.ids() == ["s_1", "s_2"]
    assert store.names("s_1") == ["c000000", "c000001", "meta"]
    assert store.get("s_1", "c000001") == b"one"
    store.delete("s_1")
    assert store.ids() == ["s_2"] and store.get("s_1", "meta") is None


@pytest.mark.parametrize(("rid", "name"), [("../x", "meta"), ("s_1", "../meta"), ("s_1", "c1")])
def test_names_outside_the_format_are_refused(store: RecordingStore, rid: str, name: str) -> None:
    with pytest.raises(ValueError):
        store.put(rid, name, b"x")


def test_the_file_store_keeps_it_private(tmp_path: Path) -> None:
    FileRecordingStore(tmp_path / "r").put("s_1", "meta", b"m")
    assert (tmp_path / "r").stat().st_mode & 0o777 == 0o700
    assert (tmp_path / "r" / "s_1" / "meta").stat().st_mode & 0o777 == 0o600


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def recorder(store: RecordingStore, clock: Clock, keys: str = K1, **kw: int) -> Recorder:
    return Recorder(store, parse_keys(keys), clock=clock, retention_days=30, **kw)  # type: ignore[arg-type]


def test_the_recorder_writes_chunks_and_reads_them_back(store: RecordingStore) -> None:
    clock = Clock()
    rec = recorder(store, clock, chunk_bytes=1024)
    rec.start("s_1", site="https://portal.test", now=clock.now)
    rec.joined("s_1", name="Asha", agent_id="link:Asha", team="north", now=clock.now)
    frames = [b'{"v":1,"t":"events","events":[%d]}' % i + b" " * 300 for i in range(10)]
    for i, f in enumerate(frames):
        rec.capture("s_1", "agent", f, clock.now + i)
    rec.finish("s_1", now=clock.now + 20)
    rec.drain()
    got = rec.read("s_1")
    assert got is not None
    meta, records = got
    assert [r[2] for r in records] == frames
    assert meta.chunks >= 3 and meta.ended_at == clock.now + 20 and meta.agent_team == "north"
    assert [m.id for m in rec.listing()] == ["s_1"]
    assert store.names("s_1")[: meta.chunks] == [f"c{i:06d}" for i in range(meta.chunks)]


def test_a_full_queue_loses_frames_counted_never_silently(store: RecordingStore) -> None:
    clock = Clock()
    rec = recorder(store, clock, queue_frames=3)
    rec.start("s_1", site=None, now=clock.now)
    for i in range(8):
        rec.capture("s_1", "agent", b'{"n":%d}' % i, clock.now)
    assert rec.lost_frames == 5
    rec.finish("s_1", now=clock.now + 1)
    rec.drain()
    got = rec.read("s_1")
    assert got is not None
    assert got[0].lost == 5 and len(got[1]) == 3


def test_keys_rotate_without_losing_old_recordings(store: RecordingStore) -> None:
    clock = Clock()
    old = recorder(store, clock, K1)
    old.start("s_old", site=None, now=clock.now)
    old.capture("s_old", "agent", b'{"a":1}', clock.now)
    old.finish("s_old", now=clock.now)
    old.drain()
    new = recorder(store, clock, f"{K1}\n{K2}")
    new.start("s_new", site=None, now=clock.now)
    new.capture("s_new", "agent", b'{"b":2}', clock.now)
    new.finish("s_new", now=clock.now)
    new.drain()
    assert new.read("s_old") is not None and new.read("s_new") is not None
    assert store.get("s_new", "c000000").startswith(b"CBR1\x02k2")  # type: ignore[union-attr]
    with pytest.raises(ChunkError):
        old.read("s_new")  # k2 is not among the old server's keys


def test_retention_purges_old_recordings_only(store: RecordingStore) -> None:
    clock = Clock()
    rec = recorder(store, clock)
    for sid, age in (("s_old", 31), ("s_new", 29)):
        rec.start(sid, site=None, now=clock.now - age * DAY)
        rec.finish(sid, now=clock.now - age * DAY)
    rec.drain()
    assert rec.purge() == 1
    assert store.ids() == ["s_new"]
    rec.retention_days = 0
    clock.now += 1000 * DAY
    assert rec.purge() == 0 and store.ids() == ["s_new"]


def test_a_failing_store_loses_frames_counted(tmp_path: Path) -> None:
    class Broken(FileRecordingStore):
        def put(self, recording_id: str, name: str, data: bytes) -> None:
            if name != "meta":
                raise OSError("disk full")
            super().put(recording_id, name, data)

    clock = Clock()
    rec = recorder(Broken(tmp_path), clock)
    rec.start("s_1", site=None, now=clock.now)
    rec.capture("s_1", "agent", b'{"a":1}', clock.now)
    rec.capture("s_1", "agent", b'{"a":2}', clock.now)
    rec.finish("s_1", now=clock.now)
    rec.drain()
    assert rec.lost_frames == 2
    meta = rec.meta("s_1")
    assert meta is not None and meta.lost == 2 and meta.chunks == 0


def test_the_configured_s3_storage_is_used(s3_url: str, tmp_path: Path) -> None:
    from cobrowse.config import load_config
    from cobrowse.server.recordings import recorder_for

    s3_store(s3_url, "configured")  # the bucket exists (an operator makes it)
    config = load_config(
        {
            "server": {"data_dir": str(tmp_path)},
            "recordings": {
                "sites": ["https://portal.test"],
                "storage": "s3://configured/cobrowse",
                "s3_endpoint_url": s3_url,
                "s3_access_key_id": "test",
                "s3_secret_access_key": "test",
            },
        },
        {"COBROWSE_RECORDINGS_KEYS": K1},
    )
    rec = recorder_for(config)
    assert rec is not None and isinstance(rec.store, S3RecordingStore)
    rec.start("s_1", site=None, now=1.0)
    rec.capture("s_1", "agent", b'{"a":1}', 1.0)
    rec.finish("s_1", now=2.0)
    rec.drain()
    assert rec.store.names("s_1") == ["c000000", "meta"]
    assert not (tmp_path / "recordings").exists()


def test_a_recording_continues_on_the_node_its_room_moved_to(store: RecordingStore) -> None:
    clock = Clock()
    first, second = recorder(store, clock), recorder(store, clock)
    first.start("s_1", site="https://portal.test", now=clock.now)
    first.capture("s_1", "agent", b'{"n":1}', clock.now)
    first.drain()  # then that node dies; the room is taken over by the second
    second.joined("s_1", name="Asha", agent_id="account:asha", team="north", now=clock.now)
    second.joined("s_unrecorded", name="Ravi", agent_id="account:ravi", team=None, now=clock.now)
    second.capture("s_1", "agent", b'{"n":2}', clock.now + 1)
    assert "s_1" in second.recording
    second.finish("s_1", now=clock.now + 2)
    second.drain()
    got = second.read("s_1")
    assert got is not None
    meta, records = got
    assert [r[2] for r in records] == [b'{"n":1}', b'{"n":2}']
    assert (meta.agent_id, meta.agent_team, meta.ended_at) == (
        "account:asha",
        "north",
        clock.now + 2,
    )
    assert store.ids() == ["s_1"]  # nothing for a session that is not recorded
