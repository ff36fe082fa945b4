"""A certification authority made in the tests, and PDFs signed (PAdES) by its certificates with pyHanko.

`TRUSTED` is in the trust list of every test app (`tests/conftest.py` writes its certificate into the
directory `REGISTRY_TRUST_DIR` names); `STRANGER` is a CA the registry does not know.
"""

from __future__ import annotations

import functools
import io
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import signers
from pyhanko_certvalidator.registry import SimpleCertificateStore

from tests.factories import PDF


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Test"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _usage(*, ca: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not ca, content_commitment=not ca, key_encipherment=False,
        data_encipherment=False, key_agreement=False, key_cert_sign=ca, crl_sign=ca,
        encipher_only=False, decipher_only=False,
    )  # fmt: skip


def _asn1(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


@dataclass(frozen=True)
class Authority:
    name: str
    key: ec.EllipticCurvePrivateKey
    cert: x509.Certificate

    @classmethod
    def make(cls, name: str) -> Authority:
        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.now(UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(_name(name))
            .issuer_name(_name(name))
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=30))
            .not_valid_after(now + timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(_usage(ca=True), critical=True)
            .sign(key, hashes.SHA256())
        )
        return cls(name, key, cert)

    def pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)

    def signer(self, common_name: str, serial: int = 0x2026A1) -> signers.SimpleSigner:
        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.now(UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(_name(common_name))
            .issuer_name(self.cert.subject)
            .public_key(key.public_key())
            .serial_number(serial)
            .not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=365))
            .add_extension(_usage(ca=False), critical=True)
            .sign(self.key, hashes.SHA256())
        )
        private = key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        return signers.SimpleSigner(
            signing_cert=_asn1(cert),
            signing_key=asn1_keys.PrivateKeyInfo.load(private),
            cert_registry=SimpleCertificateStore.from_certs([_asn1(self.cert)]),
        )

    def sign(self, common_name: str = "Nguyễn Văn A", content: bytes = PDF, serial: int = 0x2026A1) -> bytes:
        """`content` (by default the factories' PDF) signed by `common_name`'s certificate from this CA."""
        out = signers.sign_pdf(
            IncrementalPdfFileWriter(io.BytesIO(content)),
            signers.PdfSignatureMetadata(field_name="Signature1"),
            signer=self.signer(common_name, serial),
        )
        return out.getvalue()


@functools.cache
def trusted() -> Authority:
    return Authority.make("Test Government Root CA")


@functools.cache
def stranger() -> Authority:
    return Authority.make("Unknown CA")


def write_trust_dir(directory: Path) -> Path:
    """A trust list holding the trusted test CA."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "test-root-ca.pem").write_bytes(trusted().pem())
    return directory


def tampered(signed: bytes) -> bytes:
    """The signed bytes with one signed byte changed (the page's size), as an altered copy would be."""
    at = signed.index(b"/MediaBox")
    return signed[:at] + signed[at:].replace(b"612", b"613", 1)
