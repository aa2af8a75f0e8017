"""Secrets at run time and venue signing: the venues' own examples, and no leak anywhere."""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
import logging

import boto3
import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from moto import mock_aws
from prometheus_client import CollectorRegistry, Counter, generate_latest

from tradeplane.errors import ConfigError
from tradeplane.security import signing
from tradeplane.security.secrets import (
    AwsSecretsManager,
    EnvSecrets,
    GcpSecretManager,
    Secret,
    env_name,
    provider_for,
)

KRAKEN_SECRET = "kQH5HW/8p1uGOVjbgWA7FunAmGO8lsSUXNsu3eow76sz84Q18fWxnyRzBHCd3pd5nE9qa99HAZtuZuj6F1huXg=="
BINANCE_SECRET = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"


def test_binance_documented_example() -> None:
    query = ("symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000"
             "&timestamp=1499827319559")
    assert signing.binance_hmac(Secret(BINANCE_SECRET), query) == (
        "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71")


def test_kraken_documented_example() -> None:
    post = "nonce=1616492376594&ordertype=limit&pair=XBTUSD&price=37500&type=buy&volume=1.25"
    assert signing.kraken_api_sign(Secret(KRAKEN_SECRET), "/0/private/AddOrder", "1616492376594", post) == (
        "4/dpxb3iT4tp/ZCVEwSnEsLxx0bqyhLpdfOpc6fn7OR8+UClSV5n9E6aSS8MPtnRfp32bAb0nmbRn6H8ndwLUQ==")


def test_binance_ed25519_logon_verifies_with_the_public_key() -> None:
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    params = {"timestamp": "1649729878532", "apiKey": "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A"}
    signature = signing.binance_ed25519(Secret(pem), params)
    key.public_key().verify(base64.b64decode(signature), f"apiKey={params['apiKey']}&timestamp=1649729878532".encode())


def test_the_other_venues_sign_what_their_docs_say() -> None:
    secret = Secret("s3cr3t")
    login = signing.okx_login("k", Secret("pass"), secret, "1538054050")
    expected = base64.b64encode(hmac.new(b"s3cr3t", b"1538054050GET/users/self/verify", hashlib.sha256).digest())
    assert login["args"][0]["sign"] == expected.decode()
    auth = signing.bybit_auth("k", secret, 1662350400000)
    assert auth["args"][2] == hmac.new(b"s3cr3t", b"GET/realtime1662350400000", hashlib.sha256).hexdigest()
    deribit = signing.deribit_auth("id", secret, 1576074319000, "1iqt2wls", "")
    assert deribit["params"]["signature"] == hmac.new(b"s3cr3t", b"1576074319000\n1iqt2wls\n",
                                                      hashlib.sha256).hexdigest()
    b64 = Secret(base64.b64encode(b"raw-key").decode())
    assert signing.coinbase_exchange(b64, "1", "get", "/users/self/verify") == base64.b64encode(
        hmac.new(b"raw-key", b"1GET/users/self/verify", hashlib.sha256).digest()).decode()


def test_no_log_line_metric_label_or_error_contains_the_secret(caplog: pytest.LogCaptureFixture) -> None:
    value = "tp-secret-value-7c1f"
    secret = Secret(value)
    caplog.set_level(logging.DEBUG)
    log = logging.getLogger("tradeplane.test")
    log.info("signing with %s", secret)
    log.info(f"signing with {secret} {secret!r} {secret:>20}")
    registry = CollectorRegistry()
    Counter("tp_auth_total", "auth attempts", ["key"], registry=registry).labels(key=str(secret)).inc()
    errors = []
    for call in (lambda: signing.kraken_api_sign(secret, "/0/private/x", "1", ""),
                 lambda: signing.coinbase_exchange(secret, "1", "GET", "/"),
                 lambda: signing.binance_ed25519(secret, {}),
                 lambda: EnvSecrets({}).get("aws-sm://crypto/x")):
        with pytest.raises(ConfigError) as info:
            call()
        errors.append(str(info.value))
    signed = [json.dumps(signing.okx_login("k", Secret("p"), secret, "1")), signing.binance_hmac(secret, "a=1"),
              json.dumps(signing.bybit_auth("k", secret, 1)), json.dumps(signing.deribit_auth("c", secret, 1, "n"))]
    stream = io.StringIO()
    print(secret, repr(secret), [secret], {"k": secret}, file=stream)
    everything = [caplog.text, generate_latest(registry).decode(), *errors, *signed, stream.getvalue()]
    assert all(value not in text for text in everything)
    with pytest.raises(TypeError):
        import pickle

        pickle.dumps(secret)


def test_env_provider_and_selection() -> None:
    ref = "aws-sm://crypto/binance/mm-trade"
    assert env_name(ref) == "TRADEPLANE_SECRET_AWS_SM_CRYPTO_BINANCE_MM_TRADE"
    env = {"TRADEPLANE_SECRETS": "env", env_name(ref): "abc"}
    assert provider_for(ref, env).get(ref).reveal() == b"abc"
    assert isinstance(provider_for(ref, {}), AwsSecretsManager)
    assert isinstance(provider_for("gcp-sm://proj/s", {}), GcpSecretManager)
    with pytest.raises(ConfigError, match="no secret provider"):
        provider_for("vault://x", {})


def test_aws_secrets_manager_against_moto(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        client = boto3.client("secretsmanager", region_name="ap-northeast-1")
        client.create_secret(Name="crypto/binance/mm-trade", SecretString="moto-secret")
        provider = AwsSecretsManager(client=client)
        assert provider.get("aws-sm://crypto/binance/mm-trade").reveal() == b"moto-secret"
        with pytest.raises(ConfigError) as info:
            provider.get("aws-sm://crypto/missing")
        assert "ResourceNotFoundException" in str(info.value) and "moto-secret" not in str(info.value)


def test_gcp_secret_manager_rest_shape() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.headers["Authorization"] == "Bearer tok"
        if request.url.path == "/v1/projects/p1/secrets/deribit/versions/latest:access":
            return httpx.Response(200, json={"name": "x", "payload": {"data": base64.b64encode(b"gcp").decode()}})
        return httpx.Response(404, json={"error": {"code": 404}})

    provider = GcpSecretManager(token="tok", transport=httpx.MockTransport(handler))
    assert provider.get("gcp-sm://p1/deribit").reveal() == b"gcp"
    with pytest.raises(ConfigError, match="HTTP 404"):
        provider.get("gcp-sm://p1/none")
