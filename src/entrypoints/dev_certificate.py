"""A self-signed certificate for development, so `make run` serves wss:// on a fresh machine."""

import datetime
import ipaddress
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

_VALID_FOR = datetime.timedelta(days=365)


def ensure_dev_certificate(certfile: Path, keyfile: Path, host: str = "localhost") -> bool:
    """Write a certificate and key for localhost when neither exists; True when new ones were written.

    With only one of the two present nothing is written: a new key would no longer match a certificate someone
    kept (start-up then says which file is missing)."""
    if certfile.exists() or keyfile.exists():
        return False
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    now = datetime.datetime.now(datetime.UTC)
    alternative_names: list[x509.GeneralName] = [
        x509.DNSName("localhost"),
        x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
        x509.IPAddress(ipaddress.ip_address("::1")),
    ]
    if host not in ("localhost", "127.0.0.1", "::1"):
        alternative_names.append(x509.DNSName(host))
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + _VALID_FOR)
        .add_extension(x509.SubjectAlternativeName(alternative_names), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    certfile.parent.mkdir(parents=True, exist_ok=True)
    keyfile.parent.mkdir(parents=True, exist_ok=True)
    keyfile.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    keyfile.chmod(0o600)
    certfile.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return True


def self_signed_subject(certfile: Path) -> str | None:
    """The subject of the certificate in `certfile` if it signed itself (as `dev-cert` makes them), else None.

    None too when the file is missing or no PEM certificate: serving then fails on its own, with uvicorn's message.
    """
    try:
        certificate = x509.load_pem_x509_certificate(certfile.read_bytes())
    except (OSError, ValueError):
        return None
    if certificate.issuer != certificate.subject:
        return None
    try:
        certificate.verify_directly_issued_by(certificate)
    except (ValueError, TypeError, InvalidSignature):
        return None
    return certificate.subject.rfc4514_string()
