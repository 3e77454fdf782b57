"""Blobs and the state store on local paths and on S3 (moto, in-process)."""

from __future__ import annotations

import boto3
import pytest
from moto import mock_aws

from lakehouse.clients import blobs
from lakehouse.clients.state import StateStore


@pytest.fixture
def s3(aws_credentials):
    with mock_aws():
        client = boto3.client("s3")
        client.create_bucket(
            Bucket="lake", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
        )
        yield client


def test_local_write_read_exists_list_delete(tmp_path):
    page = str(tmp_path / "landing" / "src" / "page-00001.json")
    assert not blobs.exists(page)
    blobs.write_bytes(page, b'{"results": []}\n')
    assert blobs.exists(page)
    assert blobs.read_bytes(page) == b'{"results": []}\n'
    other = str(tmp_path / "landing" / "src" / "sub" / "b.json")
    blobs.write_bytes(other, b"x")
    assert blobs.list_files(str(tmp_path / "landing")) == [page, other]
    blobs.delete(page)
    blobs.delete(page)  # already gone: no error
    assert blobs.list_files(str(tmp_path / "landing")) == [other]


def test_local_writes_replace_atomically_and_leave_no_temporary_files(tmp_path):
    target = str(tmp_path / "state.json")
    blobs.write_bytes(target, b"old")
    blobs.write_bytes(target, b"new")
    assert blobs.read_bytes(target) == b"new"
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]


def test_local_listing_skips_hidden_files_and_missing_folders(tmp_path):
    (tmp_path / ".page-00001.json.abc.tmp").write_bytes(b"half")
    (tmp_path / "page-00001.json").write_bytes(b"{}")
    assert blobs.list_files(str(tmp_path)) == [str(tmp_path / "page-00001.json")]
    assert blobs.list_files(str(tmp_path / "missing")) == []


def test_local_read_of_a_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        blobs.read_bytes(str(tmp_path / "nope.json"))


def test_s3_write_read_exists_list_delete(s3):
    page = "s3://lake/landing/fx_rates/ingest_date=2026-01-02/rates_2026-01-01.json"
    assert not blobs.exists(page, s3)
    blobs.write_bytes(page, b'{"date": "2026-01-01"}', s3)
    blobs.write_bytes("s3://lake/landing/fx_rates_old/rates_2025-01-01.json", b"{}", s3)
    assert blobs.exists(page, s3)
    assert blobs.read_bytes(page, s3) == b'{"date": "2026-01-01"}'
    # The folder is a folder: the sibling prefix fx_rates_old is not under it.
    assert blobs.list_files("s3://lake/landing/fx_rates", s3) == [page]
    assert blobs.list_files("s3://lake/landing/none/", s3) == []
    blobs.delete(page, s3)
    assert not blobs.exists(page, s3)
    with pytest.raises(FileNotFoundError):
        blobs.read_bytes(page, s3)


def test_split_s3():
    assert blobs.split_s3("s3://bucket/a/b.json") == ("bucket", "a/b.json")
    with pytest.raises(ValueError):
        blobs.split_s3("s3:///key")


@pytest.mark.parametrize("where", ["local", "s3"])
def test_state_store_round_trip(request, tmp_path, where):
    if where == "s3":
        store = StateStore("s3://lake/prefix/", client=request.getfixturevalue("s3"))
        assert store.location("fx_rates") == "s3://lake/prefix/_state/fx_rates.json"
    else:
        store = StateStore(str(tmp_path))
        assert store.location("fx_rates") == f"{tmp_path}/_state/fx_rates.json"
    assert store.get("hubspot_contacts") == {}
    store.put("hubspot_contacts", {"watermark_ms": 1764000000000})
    assert store.get("hubspot_contacts") == {"watermark_ms": 1764000000000}
    store.put("hubspot_contacts", {"watermark_ms": 1764000000001})
    assert store.get("hubspot_contacts") == {"watermark_ms": 1764000000001}


def test_state_names_are_plain(tmp_path):
    with pytest.raises(ValueError, match="bad state name"):
        StateStore(str(tmp_path)).location("../escape")
