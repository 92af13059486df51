"""Daraja's SecurityCredential: the initiator password encrypted for M-PESA (docs/daraja.md#security-credential)."""

import base64
from importlib.resources import files
from typing import Literal

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import padding, rsa

DarajaEnvironment = Literal["sandbox", "production"]
_PEM_MARKER = b"-----BEGIN CERTIFICATE-----"


def security_credential(password: str, certificate: bytes) -> str:
    """base64(RSA PKCS#1 v1.5 over the raw password bytes) with the key of an X.509 certificate, PEM or DER.

    Randomised, so compute it once at start-up. The certificate's dates and chain are deliberately not checked:
    Safaricom's published certificates expired long ago and M-PESA only uses their key.
    """
    if _PEM_MARKER in certificate:
        loaded = x509.load_pem_x509_certificate(certificate)
    else:
        loaded = x509.load_der_x509_certificate(certificate)
    public_key = loaded.public_key()
    if not isinstance(public_key, rsa.RSAPublicKey):
        raise ValueError("the SecurityCredential certificate must hold an RSA key")
    return base64.b64encode(public_key.encrypt(password.encode(), padding.PKCS1v15())).decode("ascii")


def bundled_certificate(environment: DarajaEnvironment) -> bytes:
    """Safaricom's public certificate for the environment, as shipped with the package
    (docs/daraja.md#safaricom-certificates)."""
    if environment not in ("sandbox", "production"):
        raise ValueError(f"no bundled certificate for {environment!r}")
    return files("adapters.daraja").joinpath("certificates", f"{environment}.cer").read_bytes()
