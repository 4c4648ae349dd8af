"""Broker targets of ``--mqtt``: URLs with credentials and TLS options, ``embedded[:PORT]``,
and clear errors for the rest."""

from __future__ import annotations

from pathlib import Path

import pytest

from emulator.broker import EmbeddedTarget, parse_mqtt_target
from headend.mqtt import BrokerAddress, MeterTopics, parse_broker_url


@pytest.mark.parametrize(
    ("url", "address"),
    [
        ("mqtt://127.0.0.1", BrokerAddress("127.0.0.1", 1883)),
        ("mqtt://broker.example:1884", BrokerAddress("broker.example", 1884)),
        ("mqtt://ops:s%40cret@host:1883", BrokerAddress("host", 1883, "ops", "s@cret")),
        ("mqtts://host", BrokerAddress("host", 8883, tls=True)),
        (
            "mqtts://ops:pw@host:8884?ca=/etc/vmeter/ca.pem",
            BrokerAddress("host", 8884, "ops", "pw", True, Path("/etc/vmeter/ca.pem")),
        ),
    ],
)
def test_broker_urls(url: str, address: BrokerAddress) -> None:
    assert parse_broker_url(url) == address


@pytest.mark.parametrize(
    "url",
    [
        "127.0.0.1:1883",
        "http://host",
        "mqtt://",
        "mqtt://host:99999",
        "mqtt://host/path",
        "mqtt://host?ca=ca.pem",  # a CA without TLS
        "mqtts://host?ca=a.pem&ca=b.pem",
        "mqtts://host?insecure=1",
    ],
)
def test_bad_broker_urls_are_refused_clearly(url: str) -> None:
    with pytest.raises(ValueError, match="bad broker URL"):
        parse_broker_url(url)


def test_password_is_not_shown() -> None:
    assert str(parse_broker_url("mqtt://ops:secret@host")) == "mqtt://ops@host:1883"


@pytest.mark.parametrize(
    ("text", "target"),
    [
        ("embedded", EmbeddedTarget(1883)),
        ("embedded:0", EmbeddedTarget(0)),
        ("embedded:11883", EmbeddedTarget(11883)),
        ("mqtt://host:1", BrokerAddress("host", 1)),
    ],
)
def test_mqtt_targets(text: str, target: EmbeddedTarget | BrokerAddress) -> None:
    assert parse_mqtt_target(text) == target


@pytest.mark.parametrize("text", ["embedded:", "embedded:x", "embedded:70000"])
def test_bad_embedded_ports(text: str) -> None:
    with pytest.raises(ValueError, match="embedded:PORT"):
        parse_mqtt_target(text)


def test_request_topics_round_trip() -> None:
    topics = MeterTopics("VM0000000001")
    assert topics.parse_request(topics.request("he-1", "ab12-7")) == ("he-1", "ab12-7")
    assert topics.parse_request(topics.request("he-1")) == ("he-1", None)
    for bad in ("vmeter/VM0000000001/dlms/request/", "vmeter/OTHER/dlms/request/he-1", "x/y"):
        with pytest.raises(ValueError):
            topics.parse_request(bad)


@pytest.mark.parametrize("serial", ["", "a/b", "a+b", "#"])
def test_serials_that_cannot_be_topics(serial: str) -> None:
    with pytest.raises(ValueError, match="topic level"):
        MeterTopics(serial)
