"""Secrets at run time, through a pluggable provider; a secret never reaches a log, label or error.

References are the estate's ``secret_ref`` values: ``aws-sm://NAME`` (AWS Secrets Manager),
``gcp-sm://PROJECT/SECRET`` (GCP Secret Manager, latest version) and ``vault://PATH``. The
provider is chosen by scheme; ``TRADEPLANE_SECRETS=env`` (local runs and tests) reads every
reference from the environment instead: ``TRADEPLANE_SECRET_<REF>`` with the reference upper-cased
and every run of other characters replaced by one ``_`` (``aws-sm://crypto/binance/mm-trade`` ->
``TRADEPLANE_SECRET_AWS_SM_CRYPTO_BINANCE_MM_TRADE``).

:class:`Secret` holds the value; its ``str``/``repr``/``format`` are ``Secret(***)``, so an
f-string, a log call or an exception that includes it shows nothing. Errors name the reference,
never the value.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any, Protocol

from tradeplane.errors import ConfigError

__all__ = [
    "AwsSecretsManager",
    "EnvSecrets",
    "GcpSecretManager",
    "Secret",
    "SecretProvider",
    "env_name",
    "provider_for",
]


class Secret:
    """A secret value that refuses to be printed. ``reveal()`` is the only way to the bytes."""

    __slots__ = ("_value",)

    def __init__(self, value: bytes | str) -> None:
        self._value = value.encode() if isinstance(value, str) else bytes(value)

    def reveal(self) -> bytes:
        return self._value

    def __repr__(self) -> str:
        return "Secret(***)"

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return "Secret(***)"

    def __reduce__(self) -> Any:  # never pickled into a queue, a cache or a crash dump
        raise TypeError("a Secret cannot be pickled")


class SecretProvider(Protocol):
    def get(self, ref: str) -> Secret: ...


def env_name(ref: str) -> str:
    return "TRADEPLANE_SECRET_" + re.sub(r"[^A-Za-z0-9]+", "_", ref).upper()


class EnvSecrets:
    """Secrets from the environment (local runs and tests)."""

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self.environ = environ if environ is not None else os.environ

    def get(self, ref: str) -> Secret:
        name = env_name(ref)
        if name not in self.environ:
            raise ConfigError.single(f"secret {ref} is not set", hint=f"export {name}=... for a local run")
        return Secret(self.environ[name])


class AwsSecretsManager:
    """AWS Secrets Manager through boto3 (``GetSecretValue``); credentials from the usual chain."""

    def __init__(self, region: str | None = None, client: Any = None) -> None:
        self.region = region
        self._client = client

    def _get_client(self) -> Any:
        if self._client is None:
            import boto3

            self._client = boto3.client("secretsmanager", region_name=self.region)
        return self._client

    def get(self, ref: str) -> Secret:
        from botocore.exceptions import BotoCoreError, ClientError

        name = ref.removeprefix("aws-sm://")
        try:
            answer = self._get_client().get_secret_value(SecretId=name)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "error")
            raise ConfigError.single(f"secret {ref}: AWS Secrets Manager answered {code}",
                                     hint="check the secret exists and this identity may read it") from None
        except BotoCoreError as exc:
            raise ConfigError.single(f"secret {ref}: {exc.__class__.__name__}",
                                     hint="check AWS credentials and region") from None
        value = answer.get("SecretBinary") or answer.get("SecretString")
        if value is None:
            raise ConfigError.single(f"secret {ref} has no value")
        return Secret(value)


class GcpSecretManager:
    """GCP Secret Manager over its REST API (``versions/latest:access``) with an OAuth token.

    The token comes from ``token`` or the metadata server (on GCP) — the Secret Manager REST
    reference: ``GET https://secretmanager.googleapis.com/v1/{name=projects/*/secrets/*/versions/*}:access``
    returns ``{"payload": {"data": BASE64}}``.
    """

    def __init__(self, token: str | None = None, transport: Any = None,
                 endpoint: str = "https://secretmanager.googleapis.com") -> None:
        self.token = token
        self.transport = transport
        self.endpoint = endpoint

    def _token(self, client: Any) -> str:
        if self.token:
            return self.token
        response = client.get("http://metadata.google.internal/computeMetadata/v1/instance/service-accounts/"
                              "default/token", headers={"Metadata-Flavor": "Google"})
        return str(response.json()["access_token"])

    def get(self, ref: str) -> Secret:
        import base64

        import httpx

        path = ref.removeprefix("gcp-sm://")
        project, _, secret = path.partition("/")
        if not project or not secret:
            raise ConfigError.single(f"secret {ref}: write gcp-sm://PROJECT/SECRET")
        url = f"{self.endpoint}/v1/projects/{project}/secrets/{secret}/versions/latest:access"
        try:
            with httpx.Client(transport=self.transport, timeout=10) as client:
                response = client.get(url, headers={"Authorization": f"Bearer {self._token(client)}"})
                if response.status_code != 200:
                    raise ConfigError.single(f"secret {ref}: Secret Manager answered HTTP {response.status_code}",
                                             hint="check the secret exists and this identity has secretAccessor")
                data = response.json()["payload"]["data"]
        except (httpx.HTTPError, KeyError, ValueError) as exc:
            raise ConfigError.single(f"secret {ref}: {exc.__class__.__name__}") from None
        return Secret(base64.b64decode(data))


def provider_for(ref: str, environ: Mapping[str, str] | None = None) -> SecretProvider:
    """The provider for a reference: the environment when ``TRADEPLANE_SECRETS=env``, else by scheme."""
    env = environ if environ is not None else os.environ
    if env.get("TRADEPLANE_SECRETS") == "env":
        return EnvSecrets(env)
    if ref.startswith("aws-sm://"):
        return AwsSecretsManager()
    if ref.startswith("gcp-sm://"):
        return GcpSecretManager()
    raise ConfigError.single(f"no secret provider for {ref}",
                             hint="use aws-sm:// or gcp-sm://, or TRADEPLANE_SECRETS=env for a local run")
