"""The incidents service's configuration: a YAML file, errors located at file:line.

Example (``examples/incidents/incidents.yaml``)::

    estate: ../dv-trading            # relative to this file
    database: incidents.db           # a path (SQLite, WAL) or a SQLAlchemy URL (postgresql+psycopg://...)
    listen: {host: 127.0.0.1, port: 9095}
    max_body_bytes: 1048576
    grouping: {window_minutes: 30, by: [venue, link, desk]}
    intake:                          # how Alertmanager and the runtimes authenticate
      bearer_env: INCIDENTS_INTAKE_TOKEN
      basic: {username: alertmanager, password_env: INCIDENTS_INTAKE_PASSWORD}
    tokens:                          # API tokens: role and desk scope
      - {name: platform-oncall, role: responder, desks: [platform], sha256: "<hex of the token>"}
      - {name: crypto-viewer, role: viewer, desks: [crypto], env: CRYPTO_VIEWER_TOKEN}
    notify:
      webhook: https://hooks.slack.example/...   # default chat webhook (a team's or person's wins)
      smtp: {host: 127.0.0.1, port: 25, sender: incidents@dvtrading.example}
    enrich: {gateway_status_url: http://127.0.0.1:9100, runbook_base: https://runbooks.example/}

Secrets are never written in the file: tokens are given as the SHA-256 of the token, or the
name of an environment variable holding it.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, model_validator

from tradeplane.errors import ConfigError, Location, Problem
from tradeplane.estate.yamlpos import YamlError, parse
from tradeplane.incidents.grouping import Grouping

__all__ = ["Config", "Role", "TokenConfig", "load_config"]

Role = Literal["viewer", "responder", "admin"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Listen(_Model):
    host: str = "127.0.0.1"
    port: int = Field(default=9095, ge=0, le=65535)


class GroupingConfig(_Model):
    window_minutes: float = Field(default=30, gt=0, le=7 * 24 * 60)
    by: tuple[Literal["venue", "link", "desk", "workload", "network"], ...] = ("venue", "link", "desk")


class BasicAuth(_Model):
    username: str = Field(min_length=1)
    password_env: str | None = None
    password_sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")

    @model_validator(mode="after")
    def _one(self) -> BasicAuth:
        if (self.password_env is None) == (self.password_sha256 is None):
            raise ValueError("give exactly one of password_env or password_sha256")
        return self


class IntakeAuth(_Model):
    """Intake credentials: Alertmanager's ``http_config.authorization`` (bearer) or
    ``basic_auth``. With neither, the intake is open (only for loopback tests)."""

    bearer_env: str | None = None
    bearer_sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")
    basic: BasicAuth | None = None
    open: bool = Field(default=False, description="accept unauthenticated alerts (loopback tests only)")

    @model_validator(mode="after")
    def _something(self) -> IntakeAuth:
        if not self.open and not (self.bearer_env or self.bearer_sha256 or self.basic):
            raise ValueError("give bearer_env, bearer_sha256 or basic (or open: true for a loopback test)")
        return self


class TokenConfig(_Model):
    name: str = Field(min_length=1, max_length=100)
    role: Role
    desks: tuple[str, ...] = Field(default=(), description="desks whose incidents it sees; empty: every desk")
    env: str | None = None
    sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")

    @model_validator(mode="after")
    def _one(self) -> TokenConfig:
        if (self.env is None) == (self.sha256 is None):
            raise ValueError("give exactly one of env (a variable holding the token) or sha256 (its digest)")
        return self

    def matches(self, token: str) -> bool:
        return _matches(token, self.env, self.sha256)


def _matches(given: str, env: str | None, digest: str | None) -> bool:
    if env:
        expected = os.environ.get(env)
        return bool(expected) and hmac.compare_digest(given.encode(), (expected or "").encode())
    if digest:
        return hmac.compare_digest(hashlib.sha256(given.encode()).hexdigest(), digest)
    return False


class Smtp(_Model):
    host: str
    port: int = Field(default=25, ge=1, le=65535)
    sender: str = Field(pattern=r"^[^@\s]+@[^@\s]+$")
    starttls: bool = False
    username: str | None = None
    password_env: str | None = None
    timeout_s: float = Field(default=10, gt=0)


class NotifyConfig(_Model):
    webhook: str | None = Field(default=None, pattern=r"^https?://")
    smtp: Smtp | None = None
    timeout_s: float = Field(default=5, gt=0)
    console_url: str = Field(default="", description="base URL of the console/API, for links in pages")


class EnrichConfig(_Model):
    gateway_status_url: str | None = Field(default=None, pattern=r"^https?://")
    runbook_base: str | None = Field(default=None, pattern=r"^https?://")
    net_analysis: bool = Field(default=True, description="ask net verify what a hybrid link failure breaks")


class Config(_Model):
    estate: str = Field(description="estate directory, relative to this file")
    database: str = Field(default="incidents.db", description="path (SQLite) or SQLAlchemy URL")
    listen: Listen = Listen()
    max_body_bytes: int = Field(default=1_048_576, ge=1024, le=64 * 1_048_576)
    grouping: GroupingConfig = GroupingConfig()
    intake: IntakeAuth
    tokens: tuple[TokenConfig, ...] = ()
    notify: NotifyConfig = NotifyConfig()
    enrich: EnrichConfig = EnrichConfig()
    escalation_tick_s: float = Field(default=5, gt=0, le=300)

    _base: Path = PrivateAttr(default_factory=lambda: Path("."))
    _source: str = PrivateAttr(default="")
    _positions: Any = PrivateAttr(default=None)
    _overridden: frozenset[str] = PrivateAttr(default=frozenset())

    def with_base(self, base: Path) -> Config:
        out = self.model_copy()
        out._base = base
        return out

    def where(self, *path: str | int) -> str:
        """Where a field was given, for messages: ``incidents.yaml:4:11: database``, ``--database``
        when a command-line option overrode it, or the dotted field alone."""
        field = ".".join(str(p) for p in path)
        if path and path[0] in self._overridden:
            return f"--{path[0]}" if path[0] != "database" else "--db"
        loc = self._positions.of_value(path) if self._positions is not None else None
        loc = loc or (Location(self._source) if self._source else None)
        return f"{loc}: {field}" if loc else field

    def credential_problems(self) -> tuple[list[str], list[str]]:
        """(fatal, warnings) about credentials held in environment variables, before serving.

        Fatal: no way to post alerts works (every intake method names a variable that is unset or
        empty, and ``open`` is false): the service would answer 401 to every alert. Warnings: one
        intake method or API token whose variable is unset (it can never authenticate), when
        another way still works."""
        missing: list[tuple[str, str]] = []  # (where, variable) of intake methods that cannot work
        usable = self.intake.open or bool(self.intake.bearer_sha256) or bool(
            self.intake.basic and self.intake.basic.password_sha256)
        if self.intake.bearer_env:
            if os.environ.get(self.intake.bearer_env):
                usable = True
            else:
                missing.append((self.where("intake", "bearer_env"), self.intake.bearer_env))
        if self.intake.basic and self.intake.basic.password_env:
            if os.environ.get(self.intake.basic.password_env):
                usable = True
            else:
                missing.append((self.where("intake", "basic", "password_env"), self.intake.basic.password_env))
        fatal: list[str] = []
        warnings: list[str] = []
        if not usable:
            names = " or ".join(v for _, v in missing)
            fatal.append(f"{missing[0][0] if len(missing) == 1 else self.where('intake')}: no intake credential "
                         f"is set: the service would answer 401 to every alert (hint: export {names} (the bearer "
                         "token / basic password Alertmanager and the runtimes send) before serving)")
        else:
            warnings.extend(f"{where}: {var} is not set: this intake method answers 401 until it is"
                            for where, var in missing)
        for i, token in enumerate(self.tokens):
            if token.env and not os.environ.get(token.env):
                warnings.append(f"{self.where('tokens', i, 'env')}: {token.env} is not set: API token "
                                f"'{token.name}' cannot authenticate until it is")
        return fatal, warnings

    def estate_path(self) -> Path:
        return (self._base / self.estate).resolve()

    def database_url(self) -> str:
        if "://" in self.database:
            return self.database
        return str((self._base / self.database).resolve())

    def grouping_rules(self) -> Grouping:
        return Grouping(timedelta(minutes=self.grouping.window_minutes), self.grouping.by)

    def intake_ok(self, scheme: str, credentials: str) -> bool:
        """Whether an Authorization header (scheme, credentials) may post alerts."""
        auth = self.intake
        if auth.open:
            return True
        if scheme == "bearer" and (auth.bearer_env or auth.bearer_sha256):
            return _matches(credentials, auth.bearer_env, auth.bearer_sha256)
        if scheme == "basic" and auth.basic is not None:
            import base64
            import binascii

            try:
                user, _, password = base64.b64decode(credentials, validate=True).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError):
                return False
            return hmac.compare_digest(user, auth.basic.username) and _matches(
                password, auth.basic.password_env, auth.basic.password_sha256)
        return False

    def token(self, token: str) -> TokenConfig | None:
        return next((t for t in self.tokens if t.matches(token)), None)


def load_config(path: str | Path, **overrides: Any) -> Config:
    """Read and validate a config file; every problem names file:line and the field."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError.single(f"cannot read the incidents config: {exc.strerror}", location=Location(str(p)),
                                 hint="give the path of an incidents.yaml") from None
    try:
        data, pos, soft = parse(text, str(p))
    except YamlError as exc:
        raise ConfigError("the incidents config is not valid YAML", exc.problems) from None
    if soft:
        raise ConfigError("the incidents config has problems", soft)
    given = {k: v for k, v in overrides.items() if v is not None}
    data = {**(data or {}), **given}
    try:
        cfg = Config.model_validate(data)
    except ValidationError as exc:
        problems = []
        for e in exc.errors(include_url=False):
            loc = tuple(e["loc"])
            where = pos.of_value(loc) or pos.nearest(loc) or Location(str(p))
            problems.append(Problem(str(e["msg"]).removeprefix("Value error, "), where,
                                    ".".join(str(x) for x in loc)))
        raise ConfigError(f"{p}: invalid incidents config", problems) from None
    out = cfg.with_base(p.resolve().parent)
    out._source, out._positions, out._overridden = str(p), pos, frozenset(given)
    return out
