"""``mqtts://host:port?ca=FILE``: meter and head-end through a Mosquitto TLS listener whose
certificate a private CA signed; without that CA the head-end refuses the broker."""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from brokers import Mosquitto
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from mqtt_rig import SERIAL, WAIT_S, serve_meter

from cosem.apdu import AttributeDescriptor
from cosem.axdr import Data
from emulator import obis_map
from headend.mqtt import MqttTransport, parse_broker_url
from headend.session import NoAnswer, Session

pytestmark = pytest.mark.timeout(60)

SERIAL_NUMBER = AttributeDescriptor(1, obis_map.SERIAL_NUMBER, 2)
LOOPBACK = ipaddress.IPv4Address("127.0.0.1")


def _certificate(
    subject: str,
    key: ec.EllipticCurvePrivateKey,
    issuer: tuple[str, ec.EllipticCurvePrivateKey] | None = None,
) -> x509.Certificate:
    issuer_name, issuer_key = issuer or (subject, key)
    now = datetime.now(UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer_name)]))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=1))
    )
    if issuer is None:
        builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=0), True)
    else:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(LOOPBACK)]), False
        )
    return builder.sign(issuer_key, hashes.SHA256())


def write_pki(folder: Path) -> tuple[Path, Path, Path]:
    """(CA certificate, broker certificate, broker key) for 127.0.0.1."""
    ca_key = ec.generate_private_key(ec.SECP256R1())
    broker_key = ec.generate_private_key(ec.SECP256R1())
    ca = _certificate("vmeter test CA", ca_key)
    broker = _certificate("127.0.0.1", broker_key, ("vmeter test CA", ca_key))
    paths = folder / "ca.pem", folder / "broker.pem", folder / "broker.key"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(broker.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(
        broker_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return paths


@pytest.fixture
async def tls_broker(tmp_path: Path, mosquitto_factory: list[Mosquitto]) -> tuple[int, Path]:
    ca, certificate, key = write_pki(tmp_path)
    options = [f"cafile {ca}", f"certfile {certificate}", f"keyfile {key}"]
    broker = Mosquitto(tmp_path, listener_options=options)
    mosquitto_factory.append(broker)
    await broker.start()
    return broker.port, ca


async def test_meter_and_headend_over_tls(tls_broker: tuple[int, Path]) -> None:
    port, ca = tls_broker
    address = parse_broker_url(f"mqtts://127.0.0.1:{port}?ca={ca}")
    served = await serve_meter(address)
    try:
        transport = await MqttTransport.connect(address, SERIAL, timeout_s=WAIT_S)
        async with Session(transport, timeout_s=WAIT_S) as session:
            assert await session.get(SERIAL_NUMBER) == Data.octet_string(SERIAL.encode())
    finally:
        await served.service.close()


async def test_broker_not_signed_by_a_trusted_ca_is_refused(tls_broker: tuple[int, Path]) -> None:
    port, _ = tls_broker
    address = parse_broker_url(f"mqtts://127.0.0.1:{port}")  # the system's CAs only
    with pytest.raises(NoAnswer, match="cannot connect to the broker"):
        await MqttTransport.connect(address, SERIAL, timeout_s=WAIT_S)
