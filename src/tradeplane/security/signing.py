"""Request signing as each venue specifies it, from a :class:`~tradeplane.security.secrets.Secret`.

Pure functions: the secret, the request's parts and the time (passed in, never read) in; the
signature or the authentication message out. An unusable secret raises ``ConfigError`` naming
the key, never its value. Sources (the venues' API docs, "authentication" / "signature"):

| venue | scheme |
| --- | --- |
| Binance | HMAC-SHA256 of the query string, hex (REST ``signature``); Ed25519 of the sorted params, base64 (WebSocket API ``session.logon``) |
| OKX | base64 HMAC-SHA256 of ``timestamp + "GET" + "/users/self/verify"`` (WebSocket ``login``) |
| Bybit | hex HMAC-SHA256 of ``"GET/realtime" + expires`` (WebSocket ``auth``) |
| Kraken | base64 HMAC-SHA512 with the base64-decoded secret of ``path + SHA256(nonce + postdata)`` (``API-Sign``) |
| Coinbase Exchange | base64 HMAC-SHA256 with the base64-decoded secret of ``timestamp + method + path + body`` |
| Deribit | hex HMAC-SHA256 of ``timestamp + "\\n" + nonce + "\\n" + data`` (``public/auth``, ``client_signature``) |
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from typing import Any

from tradeplane.errors import ConfigError
from tradeplane.security.secrets import Secret

__all__ = [
    "binance_ed25519",
    "binance_hmac",
    "bybit_auth",
    "coinbase_exchange",
    "deribit_auth",
    "kraken_api_sign",
    "okx_login",
]


def _b64_key(secret: Secret, key_name: str) -> bytes:
    try:
        return base64.b64decode(secret.reveal(), validate=True)
    except (binascii.Error, ValueError):
        raise ConfigError.single(f"the secret of {key_name} is not base64",
                                 hint="store the secret exactly as the venue issued it") from None


def binance_hmac(secret: Secret, query: str) -> str:
    """The ``signature`` parameter of a SIGNED Binance REST request (HMAC-SHA256, hex)."""
    return hmac.new(secret.reveal(), query.encode(), hashlib.sha256).hexdigest()


def binance_ed25519(private_key_pem: Secret, params: dict[str, str], key_name: str = "binance key") -> str:
    """Binance WebSocket API ``session.logon`` signature: Ed25519 over the params sorted by name."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    try:
        key = load_pem_private_key(private_key_pem.reveal(), password=None)
    except (ValueError, TypeError):
        raise ConfigError.single(f"the secret of {key_name} is not a PEM private key",
                                 hint="Binance Ed25519 keys are PKCS#8 PEM") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ConfigError.single(f"the secret of {key_name} is not an Ed25519 key")
    payload = "&".join(f"{k}={params[k]}" for k in sorted(params))
    return base64.b64encode(key.sign(payload.encode())).decode()


def okx_login(api_key: str, passphrase: Secret, secret: Secret, timestamp_s: str) -> dict[str, Any]:
    """OKX v5 WebSocket ``login`` message."""
    sign = base64.b64encode(hmac.new(secret.reveal(), f"{timestamp_s}GET/users/self/verify".encode(),
                                     hashlib.sha256).digest()).decode()
    return {"op": "login", "args": [{"apiKey": api_key, "passphrase": passphrase.reveal().decode(),
                                     "timestamp": timestamp_s, "sign": sign}]}


def bybit_auth(api_key: str, secret: Secret, expires_ms: int) -> dict[str, Any]:
    """Bybit v5 WebSocket ``auth`` message."""
    signature = hmac.new(secret.reveal(), f"GET/realtime{expires_ms}".encode(), hashlib.sha256).hexdigest()
    return {"op": "auth", "args": [api_key, expires_ms, signature]}


def kraken_api_sign(secret: Secret, path: str, nonce: str, postdata: str, key_name: str = "kraken key") -> str:
    """Kraken REST ``API-Sign`` (also for ``GetWebSocketsToken``)."""
    message = path.encode() + hashlib.sha256((nonce + postdata).encode()).digest()
    return base64.b64encode(hmac.new(_b64_key(secret, key_name), message, hashlib.sha512).digest()).decode()


def coinbase_exchange(secret: Secret, timestamp_s: str, method: str, path: str, body: str = "",
                      key_name: str = "coinbase key") -> str:
    """Coinbase Exchange ``CB-ACCESS-SIGN`` (and the WebSocket ``signature`` for ``/users/self/verify``)."""
    message = f"{timestamp_s}{method.upper()}{path}{body}".encode()
    return base64.b64encode(hmac.new(_b64_key(secret, key_name), message, hashlib.sha256).digest()).decode()


def deribit_auth(client_id: str, secret: Secret, timestamp_ms: int, nonce: str, data: str = "") -> dict[str, Any]:
    """Deribit ``public/auth`` with ``grant_type: client_signature``."""
    signature = hmac.new(secret.reveal(), f"{timestamp_ms}\n{nonce}\n{data}".encode(), hashlib.sha256).hexdigest()
    return {"jsonrpc": "2.0", "method": "public/auth", "params": {
        "grant_type": "client_signature", "client_id": client_id, "timestamp": timestamp_ms,
        "signature": signature, "nonce": nonce, "data": data}}
