"""The simulator's stand-in for Safaricom's SecurityCredential certificate (docs/daraja.md#security-credential).

Real Daraja decrypts the B2C SecurityCredential with the private key behind its published certificate. The
simulator cannot have that key, so it holds its own RSA 2048 key pair and a self-signed certificate; the
gateway's B2C adapter must be pointed at *this* certificate (GET /simulator/certificate, or
`write_certificate_pem`, or a shared SIM_CERT_FILE/SIM_KEY_FILE pair) and encrypts the initiator password
with it exactly as it would with Safaricom's. PKCS#1 v1.5 is randomised, so credentials can only be checked
by decrypting them, never by comparing strings.
"""

import base64
import binascii
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from daraja_simulator.config import SimulatorConfig


@dataclass(frozen=True, slots=True)
class SimulatorCredentials:
    private_key: rsa.RSAPrivateKey
    certificate: x509.Certificate

    def certificate_pem(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.PEM)

    def write_certificate_pem(self, path: str | Path) -> Path:
        target = Path(path)
        target.write_bytes(self.certificate_pem())
        return target

    def credential_matches(self, security_credential: object, expected_password: str) -> bool:
        """True when the base64 RSA/PKCS#1 v1.5 ciphertext decrypts to the expected initiator password."""
        if not isinstance(security_credential, str):
            return False
        try:
            ciphertext = base64.b64decode(security_credential, validate=True)
            plaintext = self.private_key.decrypt(ciphertext, padding.PKCS1v15())
        except (ValueError, binascii.Error):
            return False
        # Recent OpenSSL answers bad padding with random bytes instead of an error; the comparison catches it.
        return hmac.compare_digest(plaintext, expected_password.encode())


def load_credentials(config: SimulatorConfig) -> SimulatorCredentials:
    """The key pair named by SIM_CERT_FILE/SIM_KEY_FILE, else the one generated for this process."""
    if config.cert_file is None and config.key_file is None:
        return _generated_credentials()
    if config.cert_file is None or config.key_file is None:
        raise ValueError("SIM_CERT_FILE and SIM_KEY_FILE must be set together")
    certificate = x509.load_pem_x509_certificate(Path(config.cert_file).read_bytes())
    private_key = serialization.load_pem_private_key(Path(config.key_file).read_bytes(), password=None)
    if not isinstance(private_key, rsa.RSAPrivateKey):
        raise ValueError("SIM_KEY_FILE must hold an RSA private key")
    if certificate.public_key() != private_key.public_key():
        raise ValueError("SIM_CERT_FILE does not belong to the key in SIM_KEY_FILE")
    return SimulatorCredentials(private_key, certificate)


def write_key_pair(credentials: SimulatorCredentials, cert_path: str | Path, key_path: str | Path) -> None:
    """Saves a key pair so another simulator process (SIM_CERT_FILE/SIM_KEY_FILE) and the gateway share it."""
    credentials.write_certificate_pem(cert_path)
    key_pem = credentials.private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    Path(key_path).write_bytes(key_pem)


@cache
def _generated_credentials() -> SimulatorCredentials:
    # Once per process: RSA generation costs tens of milliseconds and every app instance may share it.
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "KE"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Daraja simulator"),
            x509.NameAttribute(NameOID.COMMON_NAME, "apicrypt.simulator.invalid"),
        ]
    )
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(private_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=3650))
        .sign(private_key, hashes.SHA256())
    )
    return SimulatorCredentials(private_key, certificate)
