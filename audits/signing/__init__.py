"""Signing reports: DSSE envelopes around in-toto Statements (design.md section 7).

`dsse` is plain Python (no Django) and doubles as the standalone verifier; `keys` loads the platform's
Ed25519 key from Django settings. Nothing is imported here, so `audits.signing.dsse` stays Django-free.
"""
