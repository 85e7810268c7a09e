"""The local stack's S3 refuses bytes that do not match their `ChecksumSHA256`, as S3 does: the
archive's content keys rely on it (moto alone stores them)."""

import base64
import hashlib

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from local.motoserver import checked_s3_checksums
from webhooks import envelope

BUCKET = "webhooks-archive-checksum"


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    checked_s3_checksums()
    with mock_aws():
        client = boto3.client("s3", region_name="eu-west-1")
        client.create_bucket(
            Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
        )
        yield client


def test_other_bytes_under_a_content_key_are_refused(s3) -> None:
    victim = b'{"victim": true}'
    digest = hashlib.sha256(victim).hexdigest()
    s3.put_object(Bucket=BUCKET, **envelope.archive_object("github", victim, digest))
    forged = {**envelope.archive_object("github", victim, digest), "Body": b'{"forged": 1}'}
    with pytest.raises(ClientError, match="BadDigest"):
        s3.put_object(Bucket=BUCKET, **forged)
    key = envelope.archive_key("github", digest)
    assert s3.get_object(Bucket=BUCKET, Key=key)["Body"].read() == victim


def test_a_matching_checksum_and_none_at_all_are_stored(s3) -> None:
    checksum = base64.b64encode(hashlib.sha256(b"x").digest()).decode()
    s3.put_object(Bucket=BUCKET, Key="a", Body=b"x", ChecksumSHA256=checksum)
    s3.put_object(Bucket=BUCKET, Key="b", Body=b"y")
    assert s3.get_object(Bucket=BUCKET, Key="a")["Body"].read() == b"x"
