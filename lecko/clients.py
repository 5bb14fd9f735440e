"""Who is asking: the client's address, kept only as a salted hash (GDPR)."""

import hashlib

from flask import current_app, request


def client_ip() -> str:
    """The client's address (behind TRUSTED_PROXIES, ProxyFix has set remote_addr)."""
    return request.remote_addr or "unknown"


def ip_hash(ip: str | None = None) -> str:
    """A salted hash of the address: enough to count requests, useless to identify."""
    salt = current_app.config["SECRET_KEY"].encode()
    return hashlib.blake2b((ip or client_ip()).encode(), key=salt[:64], digest_size=16).hexdigest()
