"""SecurityCredential generation (docs/daraja.md#security-credential) and the Safaricom certificates shipped with the
package."""

import base64
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from adapters.daraja.security_credential import bundled_certificate, security_credential

PASSWORD = "Safaricom999!*!"
# docs/daraja.md#safaricom-certificates.
FINGERPRINTS = {
    "sandbox": "A5:42:C3:C6:7B:59:8A:33:7A:1C:C7:41:E5:43:4C:70:DE:56:50:81:E5:C8:53:E0:5A:51:C8:43:76:47:66:F0",
    "production": "94:17:91:52:12:AC:70:8D:3A:C8:2B:71:0E:71:D9:76:FA:0E:B7:83:F4:67:B1:59:C1:5A:D7:21:6E:F2:C1:6B",
}
SUBJECTS = {"sandbox": "apicrypt.safaricom.co.ke", "production": "apigee.apicaller.safaricom.co.ke"}


@pytest.fixture(scope="module")
def key_pair() -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "credential.test.invalid")])
    # Expired on purpose: M-PESA's own certificates are, and only the key matters.
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(private_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(datetime(2014, 1, 1, tzinfo=UTC))
        .not_valid_after(datetime(2014, 1, 1, tzinfo=UTC) + timedelta(days=30))
        .sign(private_key, hashes.SHA256())
    )
    return private_key, certificate


def decrypt(private_key: rsa.RSAPrivateKey, credential: str) -> str:
    return private_key.decrypt(base64.b64decode(credential, validate=True), padding.PKCS1v15()).decode()


@pytest.mark.parametrize("encoding", [serialization.Encoding.PEM, serialization.Encoding.DER])
def test_the_credential_decrypts_to_the_raw_password_from_a_pem_or_der_certificate(
    key_pair: tuple[rsa.RSAPrivateKey, x509.Certificate], encoding: serialization.Encoding
) -> None:
    private_key, certificate = key_pair

    credential = security_credential(PASSWORD, certificate.public_bytes(encoding))

    assert decrypt(private_key, credential) == PASSWORD


def test_a_2048_bit_key_gives_344_base64_characters_different_every_time(
    key_pair: tuple[rsa.RSAPrivateKey, x509.Certificate],
) -> None:
    pem = key_pair[1].public_bytes(serialization.Encoding.PEM)

    first, second = security_credential(PASSWORD, pem), security_credential(PASSWORD, pem)

    assert len(first) == len(second) == 344
    assert first != second  # PKCS#1 v1.5 is randomised: credentials can only be compared by decrypting


@pytest.mark.parametrize("environment", ["sandbox", "production"])
def test_the_bundled_certificates_are_safaricoms(environment: str) -> None:
    raw = bundled_certificate(environment)  # type: ignore[arg-type]

    certificate = x509.load_pem_x509_certificate(raw)
    assert certificate.fingerprint(hashes.SHA256()).hex(":").upper() == FINGERPRINTS[environment]
    assert certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == SUBJECTS[environment]


@pytest.mark.parametrize("environment", ["sandbox", "production"])
def test_the_bundled_certificates_give_usable_credentials_despite_their_expiry(environment: str) -> None:
    credential = security_credential(PASSWORD, bundled_certificate(environment))  # type: ignore[arg-type]

    assert len(credential) == 344


def test_an_unknown_environment_has_no_certificate() -> None:
    with pytest.raises(ValueError, match="staging"):
        bundled_certificate("staging")  # type: ignore[arg-type]
