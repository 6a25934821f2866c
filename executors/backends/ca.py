"""The sandbox's certificate authority: real X.509 certificates made with ``cryptography``.

One CA (an EC P-256 key, self-signed, valid ten years) signs leaf certificates
for TLS servers: subject CN and DNS subject alternative names, serverAuth,
a random serial. The leaf's key comes from a CSR (whose signature is checked)
or is generated here. Nothing here touches the database: the sandbox backend
stores the CA and what it issues (``executors/backends/sandbox.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from executors.backends.base import PolicyError

CA_COMMON_NAME = "Provisioning Sandbox CA"
CA_VALIDITY = timedelta(days=3652)

PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
PublicKey = ec.EllipticCurvePublicKey | rsa.RSAPublicKey

# The key types the product knows (provision_ssl.key_type), and the spellings
# with a dash that some callers use.
_CURVES: dict[str, ec.EllipticCurve] = {"ecdsa-p256": ec.SECP256R1(), "ecdsa-p384": ec.SECP384R1()}
_RSA_BITS = {"rsa2048": 2048, "rsa3072": 3072, "rsa4096": 4096}
_ALIASES = {"rsa-2048": "rsa2048", "rsa-3072": "rsa3072", "rsa-4096": "rsa4096"}
KEY_TYPES = (*_CURVES, *_RSA_BITS)
DEFAULT_KEY_TYPE = "ecdsa-p256"

_CN_MAX = 64  # X.520 ub-common-name


def normalize_key_type(key_type: str | None) -> str:
    """The product's name of ``key_type`` (``rsa-2048`` → ``rsa2048``; None → ecdsa-p256)."""
    if key_type is None or not key_type.strip():
        return DEFAULT_KEY_TYPE
    name = key_type.strip().lower()
    name = _ALIASES.get(name, name)
    if name not in KEY_TYPES:
        raise PolicyError(f"key_type {key_type!r} is not one of {', '.join(KEY_TYPES)}")
    return name


def generate_key(key_type: str) -> PrivateKey:
    """A new private key of a normalized ``key_type``."""
    if key_type in _CURVES:
        return ec.generate_private_key(_CURVES[key_type])
    return rsa.generate_private_key(public_exponent=65537, key_size=_RSA_BITS[key_type])


def key_type_of(public_key: PublicKey) -> str:
    """The key type of a leaf's public key; PolicyError for sizes the CA does not sign."""
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        for name, curve in _CURVES.items():
            if public_key.curve.name == curve.name:
                return name
        raise PolicyError(f"EC curve {public_key.curve.name} is not accepted (P-256, P-384)")
    for name, bits in _RSA_BITS.items():
        if public_key.key_size == bits:
            return name
    raise PolicyError(f"RSA key size {public_key.key_size} is not one of 2048, 3072, 4096")


def load_csr(csr_pem: str) -> PublicKey:
    """The public key of a PEM certificate request whose signature is valid."""
    try:
        csr = x509.load_pem_x509_csr(csr_pem.strip().encode())
    except ValueError as exc:
        raise PolicyError(f"csr_pem is not a PEM certificate request: {exc}") from None
    public_key = csr.public_key()
    if not isinstance(public_key, ec.EllipticCurvePublicKey | rsa.RSAPublicKey):
        raise PolicyError(f"a {type(public_key).__name__} is not accepted: use an EC or RSA key")
    key_type_of(public_key)
    if not csr.is_signature_valid:
        raise PolicyError("the certificate request's signature does not verify")
    return public_key


def private_key_pem(key: PrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def certificate_pem(certificate: x509.Certificate) -> str:
    return certificate.public_bytes(serialization.Encoding.PEM).decode()


def _dns_name(name: str) -> x509.DNSName:
    if not name.isascii():
        raise PolicyError(f"{name!r}: give internationalized names as A-labels (xn--...)")
    return x509.DNSName(name)


@dataclass(frozen=True)
class CertificateAuthority:
    key: ec.EllipticCurvePrivateKey
    certificate: x509.Certificate

    @classmethod
    def create(cls, now: datetime | None = None) -> CertificateAuthority:
        """A new self-signed CA: EC P-256, CN "Provisioning Sandbox CA", ten years."""
        now = (now or datetime.now(UTC)).replace(microsecond=0)
        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, CA_COMMON_NAME)])
        certificate = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now)
            .not_valid_after(now + CA_VALIDITY)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
            .sign(key, hashes.SHA256())
        )
        return cls(key, certificate)

    @classmethod
    def from_pem(cls, key_pem: str, cert_pem: str) -> CertificateAuthority:
        key = serialization.load_pem_private_key(key_pem.encode(), password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise TypeError("the sandbox CA key must be an EC key")
        return cls(key, x509.load_pem_x509_certificate(cert_pem.encode()))

    @property
    def key_pem(self) -> str:
        return private_key_pem(self.key)

    @property
    def certificate_pem(self) -> str:
        return certificate_pem(self.certificate)

    def issue(
        self,
        *,
        common_name: str,
        sans: Sequence[str],
        public_key: PublicKey,
        validity_days: int,
        now: datetime | None = None,
    ) -> x509.Certificate:
        """A TLS server certificate for ``common_name`` and ``sans`` (DNS names, wildcards too)."""
        not_before = (now or datetime.now(UTC)).replace(microsecond=0)
        not_after = min(
            not_before + timedelta(days=validity_days), self.certificate.not_valid_after_utc
        )
        names = list(dict.fromkeys([common_name, *sans]))
        # A name longer than a CN may be lives in the SAN only (then critical, RFC 5280 4.2.1.6).
        long_cn = len(common_name) > _CN_MAX
        subject = x509.Name(
            [] if long_cn else [x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
        )
        ca_public_key = self.key.public_key()
        return (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(self.certificate.subject)
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(not_before)
            .not_valid_after(not_after)
            .add_extension(
                x509.SubjectAlternativeName([_dns_name(n) for n in names]), critical=long_cn
            )
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=isinstance(public_key, rsa.RSAPublicKey),
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=False,
                    crl_sign=False,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_public_key), False)
            .sign(self.key, hashes.SHA256())
        )


__all__ = [
    "CA_COMMON_NAME",
    "DEFAULT_KEY_TYPE",
    "KEY_TYPES",
    "CertificateAuthority",
    "PrivateKey",
    "PublicKey",
    "certificate_pem",
    "generate_key",
    "key_type_of",
    "load_csr",
    "normalize_key_type",
    "private_key_pem",
]
