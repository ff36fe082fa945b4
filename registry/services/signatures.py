"""The digital signatures of a decision's PDF (PAdES), checked with pyHanko against the trust list.

Vietnamese official documents are signed digitally under the national digital-signature rules, with
certificates of the government CA and licensed providers. The trust list is a directory of PEM (or
DER) certificates named by `REGISTRY_TRUST_DIR` (`Settings.trust_dir`, handed to this module through
`services.rulefiles`): the root and intermediate CAs whose signatures the registry accepts.

The check is offline: nothing is fetched, and revocation is checked only from what the document itself
embeds (soft-fail), because the registry's servers do not reach the CAs' OCSP responders. A signature
counts as verified when it is intact (the signed bytes hash to the signed digest), cryptographically
valid, chained to a certificate of the trust list, and covers the whole file or is followed only by
the modifications its own policy allows.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from asn1crypto import x509
from pyhanko.keys import load_certs_from_pemder_data
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import PdfSignatureStatus
from pyhanko_certvalidator import ValidationContext

from registry.models import SignatureStatus
from registry.services import rulefiles

# pyHanko logs each chain it cannot build with a traceback; the finding is recorded on the decision.
logging.getLogger("pyhanko").setLevel(logging.ERROR)
logging.getLogger("pyhanko_certvalidator").setLevel(logging.ERROR)

CERTIFICATE_SUFFIXES = (".pem", ".crt", ".cer", ".der")


@dataclass(frozen=True)
class SignatureCheck:
    """The outcome for one document: its status and, per embedded signature, what was found."""

    status: SignatureStatus
    signatures: list[dict[str, Any]] = field(default_factory=list)


def trust_roots(directory: Path | None = None) -> list[x509.Certificate]:
    """The certificates of the trust list (empty when none is configured)."""
    directory = directory if directory is not None else rulefiles.current().trust_dir
    if directory is None:
        return []
    found: list[x509.Certificate] = []
    for path in sorted(directory.iterdir()):
        if path.suffix.lower() in CERTIFICATE_SUFFIXES and path.is_file():
            found.extend(load_certs_from_pemder_data(path.read_bytes()))
    return found


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _facts(status: PdfSignatureStatus, roots_configured: bool) -> dict[str, Any]:
    cert = status.signing_cert
    problems = []
    if not status.intact:
        problems.append("the document was altered after it was signed")
    if not status.valid:
        problems.append("the signature value is not valid for the signer's certificate")
    if status.intact and status.valid and not status.trusted:
        if not roots_configured:
            problems.append("no trust list is configured (REGISTRY_TRUST_DIR)")
        else:
            indication = status.trust_problem_indic
            problems.append(
                "the signer's certificate does not chain to the trust list"
                + (f" ({str(getattr(indication, 'name', indication)).lower()})" if indication else "")
            )
    if status.intact and status.valid and not (status.docmdp_ok or status.modification_level is None):
        problems.append("the document was changed after signing beyond what the signature allows")
    return {
        "signer": cert.subject.native.get("common_name") or cert.subject.human_friendly,
        "signer_subject": cert.subject.human_friendly,
        "certificate_issuer": cert.issuer.human_friendly,
        "certificate_serial": format(cert.serial_number, "x"),
        "certificate_valid_from": _iso(cert.not_valid_before),
        "certificate_valid_to": _iso(cert.not_valid_after),
        "signed_at": _iso(status.signer_reported_dt),
        "coverage": status.coverage.name.lower() if status.coverage else None,
        "verified": bool(status.bottom_line),
        "problems": problems,
    }


def check(content: bytes, roots: list[x509.Certificate] | None = None) -> SignatureCheck:
    """Check every embedded signature of `content` (a PDF that `services.pdfcheck` accepted)."""
    roots = trust_roots() if roots is None else roots
    try:
        embedded = PdfFileReader(io.BytesIO(content), strict=False).embedded_signatures
    except Exception as exc:
        return SignatureCheck(
            SignatureStatus.FAILED,
            [{"verified": False, "problems": [f"the signatures could not be read: {type(exc).__name__}"]}],
        )
    if not embedded:
        return SignatureCheck(SignatureStatus.UNSIGNED)
    context = ValidationContext(trust_roots=roots, allow_fetching=False, revocation_mode="soft-fail")
    found = []
    for signature in embedded:
        try:
            found.append(_facts(validate_pdf_signature(signature, context), bool(roots)))
        except Exception as exc:
            found.append(
                {"verified": False, "problems": [f"the signature could not be checked: {type(exc).__name__}"]}
            )
    verified = all(item["verified"] for item in found)
    return SignatureCheck(SignatureStatus.VERIFIED if verified else SignatureStatus.FAILED, found)
