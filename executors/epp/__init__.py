"""EPP (RFC 5730-5734, RGP RFC 3915): frames, schemas, TLS sessions and a front for the sandbox.

- ``frames``: commands and responses as XML (lxml);
- ``schema``: validation against the RFC schemas in ``xsd/``;
- ``session``: RFC 5734 framing over TLS, sessions and a pool per accreditation;
- ``server``: an EPP server over TLS in front of the sandbox registry.

The backend that uses them is ``executors/backends/epp.py``.
"""
