"""RecordIO framing and reading the Mesos leader's MasterInfo."""

from __future__ import annotations

import json

import pytest
from dcos_internal_utils import mesos_leader, recordio


def test_records_split_across_chunks_are_reassembled() -> None:
    stream = recordio.encode_json({"type": "SUBSCRIBED"}) + recordio.encode(b"second")
    decoder = recordio.Decoder()
    records = []
    for i in range(0, len(stream), 3):
        records += list(decoder.feed(stream[i : i + 3]))
    assert records == [b'{"type":"SUBSCRIBED"}', b"second"]
    assert decoder.pending == 0


def test_a_bad_header_is_an_error() -> None:
    with pytest.raises(ValueError, match="bad length header"):
        list(recordio.Decoder().feed(b"abc\n{}"))


def test_the_lowest_sequence_leads() -> None:
    children = ["json.info_0000000012", "log_replicas", "json.info_0000000003"]
    assert mesos_leader.contenders(children) == ["json.info_0000000003", "json.info_0000000012"]


def test_master_info_as_mesos_writes_it() -> None:
    data = json.dumps(
        {
            "address": {"hostname": "m1", "ip": "192.0.2.5", "port": 5050},
            "hostname": "m1",
            "id": "abc",
            "ip": 84017344,
            "port": 5050,
            "version": "1.4.0",
        }
    ).encode()
    info = mesos_leader.MasterInfo.from_json(data)
    assert (info.ip, info.port, info.hostname, info.id) == ("192.0.2.5", 5050, "m1", "abc")
    assert info.url == "http://192.0.2.5:5050"
