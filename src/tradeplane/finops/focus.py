"""FOCUS billing files: the columns we rely on, validation, and one normalised view over every file.

FOCUS (the FinOps Open Cost and Usage Specification) 1.2 is what both clouds export
today: AWS as the Data Exports table "FOCUS 1.2 with AWS columns" (CUR 2.0 family,
Parquet or gzip CSV), GCP as the BigQuery FOCUS export (saved here as Parquet or CSV).
FOCUS 1.3 files are read too: 1.3 renames ProviderName to ServiceProviderName and
PublisherName to HostProviderName (the old names are deprecated); either name satisfies
the mandatory column. Other added columns are accepted and ignored.

The providers differ where the spec lets them:

* Tags. AWS writes a ``map<string,string>``; user-defined cost allocation tags keep
  their ``user:`` prefix (``user:desk``), AWS-generated ones are ``aws:...``. GCP writes
  the BigQuery ``ARRAY<STRUCT<key, value>>`` of labels (keys lower-case, ``-`` or ``_``).
  A CSV holds either as JSON text (an object or an array of ``{"key","value"}``).
* Vendor columns. AWS adds ``x_ServiceCode``, ``x_UsageType``, ``x_Operation``,
  ``x_CostCategories``, ``x_Discounts``; GCP adds its own (credits, export time, project
  details). They are kept out of the normalised view.
* Sub accounts. ``SubAccountId`` is the 12-digit AWS member account or the GCP project id.

``normalised_sql`` turns every file, whatever its shape, into the same columns
(``NORMALISED_COLUMNS``) so allocation, reports and anomalies never see a provider.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb

from tradeplane.errors import InputError, Location, Problem
from tradeplane.finops.engine import quote

FOCUS_VERSION = "1.2"
FOCUS_VERSIONS = ("1.2", "1.3")

DECIMAL_COLUMNS = ("BilledCost", "ContractedCost", "EffectiveCost", "ListCost", "PricingQuantity")
DATETIME_COLUMNS = ("BillingPeriodEnd", "BillingPeriodStart", "ChargePeriodEnd", "ChargePeriodStart")
STRING_COLUMNS = (
    "BillingAccountId", "BillingAccountName", "BillingCurrency", "ChargeCategory", "ChargeClass",
    "ChargeDescription", "InvoiceIssuerName", "PricingUnit", "ServiceCategory", "ServiceName",
)
# Mandatory, under either name: (FOCUS 1.2 name, FOCUS 1.3 name).
RENAMED_COLUMNS = (("ProviderName", "ServiceProviderName"), ("PublisherName", "HostProviderName"))
MANDATORY_COLUMNS = tuple(sorted(DECIMAL_COLUMNS + DATETIME_COLUMNS + STRING_COLUMNS))
# Mandatory columns that may never be null.
NOT_NULL_COLUMNS = ("BilledCost", "BillingAccountId", "BillingCurrency", "ChargeCategory", "ChargePeriodEnd",
                    "ChargePeriodStart", "ContractedCost", "EffectiveCost", "ListCost", "ServiceName")
CHARGE_CATEGORIES = ("Adjustment", "Credit", "Purchase", "Tax", "Usage")
# Conditional columns we read when present (null when absent).
OPTIONAL_STRING = (
    "AvailabilityZone", "ChargeFrequency", "CommitmentDiscountCategory", "CommitmentDiscountId",
    "CommitmentDiscountStatus", "CommitmentDiscountType", "ConsumedUnit", "RegionId", "ResourceId",
    "ResourceName", "ResourceType", "SkuId", "SubAccountId", "SubAccountName",
)
OPTIONAL_DECIMAL = ("ConsumedQuantity",)
SYNTHETIC_MARKER = "x_TradeplaneSynthetic"

# The tag keys read from Tags (first found wins: plain, AWS user: prefix, underscore form).
TAG_KEYS = ("desk", "team", "env", "workload", "cost-centre")

NORMALISED_COLUMNS = (
    "source_file", "day", "charge_start", "provider", "billing_account", "sub_account", "region", "zone",
    "service", "service_category", "resource_id", "resource_name", "resource_type", "sku", "description",
    "charge_category", "charge_frequency", "billed_cost", "effective_cost", "list_cost", "consumed_qty",
    "consumed_unit", "commitment_id", "commitment_type", "commitment_status", "commitment_category",
    "tag_desk", "tag_team", "tag_env", "tag_workload", "tag_cost_centre", "missing_tags",
)


@dataclass(frozen=True)
class FocusFile:
    """One billing file and what its schema says about it."""

    path: str
    format: str  # parquet or csv
    columns: tuple[str, ...]
    types: tuple[str, ...]
    tags_shape: str  # map, list, json-object, json-array, none
    synthetic: bool

    @property
    def version(self) -> str:
        """1.3 when the file uses the 1.3 provider columns, else 1.2."""
        return "1.3" if "ServiceProviderName" in self.columns else "1.2"

    def type_of(self, column: str) -> str:
        return self.types[self.columns.index(column)]


def discover(paths: Sequence[str | Path]) -> list[Path]:
    """Billing files named directly or found (recursively) in directories, in a stable order."""
    found: list[Path] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            found.extend(sorted(f for f in p.rglob("*") if f.is_file() and _format(f) is not None
                                and not f.name.startswith(("utilisation", "_"))))
        elif p.is_file():
            if _format(p) is None:
                raise InputError.single(f"'{p}' is not a Parquet or CSV file", location=Location(str(p)),
                                        hint="FOCUS exports are .parquet, .csv or .csv.gz")
            found.append(p)
        else:
            raise InputError.single(f"no billing data at '{p}'", location=Location(str(p)),
                                    hint="give FOCUS export files or a directory of them "
                                         "(tradeplane cost generate makes demo data)")
    if not found:
        raise InputError.single("no FOCUS files found", location=Location(", ".join(str(p) for p in paths)),
                                hint="expected .parquet, .csv or .csv.gz files")
    return sorted(set(found))


def _format(p: Path) -> str | None:
    name = p.name.lower()
    if name.endswith(".parquet"):
        return "parquet"
    if name.endswith((".csv", ".csv.gz")):
        return "csv"
    return None


def _reader(path: str, fmt: str, *, varchar: bool = False) -> str:
    if fmt == "parquet":
        return f"read_parquet({quote(path)}, file_row_number = true)"
    del varchar  # CSV is always read as text and cast after validation
    return f"read_csv({quote(path)}, header = true, all_varchar = true)"


def inspect(con: duckdb.DuckDBPyConnection, path: Path) -> FocusFile:
    """Read a file's schema (not its rows) and decide how to read its tags."""
    fmt = _format(path) or "csv"
    try:
        rel = con.sql(f"SELECT * FROM {_reader(str(path), fmt)} LIMIT 0")
        columns, types = tuple(rel.columns), tuple(str(t) for t in rel.types)
    except duckdb.Error as exc:
        raise InputError.single(f"cannot read {fmt} file: {str(exc).splitlines()[0]}",
                                location=Location(str(path)),
                                hint="is it a complete FOCUS export (not truncated, not another format)?") from None
    shape = "none"
    if "Tags" in columns:
        t = types[columns.index("Tags")].upper()
        if t.startswith("MAP"):
            shape = "map"
        elif t.startswith("STRUCT") and t.endswith("[]"):
            shape = "list"
        else:
            first = con.execute(f"SELECT Tags FROM {_reader(str(path), fmt)} WHERE Tags IS NOT NULL "
                            "AND trim(Tags) <> '' LIMIT 1").fetchone()
            shape = "json-array" if first and str(first[0]).lstrip().startswith("[") else "json-object"
    return FocusFile(str(path), fmt, columns, types, shape, SYNTHETIC_MARKER in columns)


_NUMERIC = ("DECIMAL", "DOUBLE", "FLOAT", "REAL", "INTEGER", "BIGINT", "SMALLINT", "TINYINT", "HUGEINT",
            "UBIGINT", "UINTEGER")


def validate(con: duckdb.DuckDBPyConnection, f: FocusFile) -> None:
    """Check mandatory columns, their types and values; raise ``InputError`` naming file, row and column."""
    problems: list[Problem] = []
    where = Location(f.path)
    missing = [c for c in MANDATORY_COLUMNS if c not in f.columns]
    missing += [f"{old} (or {new})" for old, new in RENAMED_COLUMNS if old not in f.columns and new not in f.columns]
    if missing:
        raise InputError(
            f"{f.path}: not a FOCUS {' or '.join(FOCUS_VERSIONS)} file",
            [Problem(f"{len(missing)} mandatory FOCUS column(s) missing: {', '.join(missing)}", where, missing[0],
                     "export with the FOCUS 1.2 table (AWS Data Exports) or the BigQuery FOCUS export")])
    if f.format == "parquet":
        for c in DECIMAL_COLUMNS:
            t = f.type_of(c).upper()
            if not t.startswith(_NUMERIC):
                problems.append(Problem(f"column has type {t}, FOCUS requires a decimal number", where, c))
        for c in DATETIME_COLUMNS:
            t = f.type_of(c).upper()
            if not (t.startswith("TIMESTAMP") or t == "DATE"):
                problems.append(Problem(f"column has type {t}, FOCUS requires a date-time", where, c))
        if problems:
            raise InputError(f"{f.path}: column types do not match FOCUS {FOCUS_VERSION}", problems)
    checks: list[tuple[str, str, str]] = []  # (column, condition that is bad, what is wrong)
    for c in NOT_NULL_COLUMNS:
        checks.append((c, f'"{c}" IS NULL', "is empty; FOCUS requires a value"))
    if f.format == "csv":
        for c in DECIMAL_COLUMNS:
            checks.append((c, f'"{c}" IS NOT NULL AND TRY_CAST("{c}" AS DOUBLE) IS NULL',
                           "is not a decimal number"))
        for c in DATETIME_COLUMNS:
            checks.append((c, f'"{c}" IS NOT NULL AND TRY_CAST("{c}" AS TIMESTAMPTZ) IS NULL',
                           "is not an ISO 8601 date-time"))
    allowed = ", ".join(quote(v) for v in CHARGE_CATEGORIES)
    checks.append(("ChargeCategory", f'"ChargeCategory" IS NOT NULL AND "ChargeCategory" NOT IN ({allowed})',
                   "is not one of " + ", ".join(CHARGE_CATEGORIES)))
    checks.append(("ChargePeriodEnd",
                   'TRY_CAST("ChargePeriodEnd" AS TIMESTAMPTZ) < TRY_CAST("ChargePeriodStart" AS TIMESTAMPTZ)',
                   "is before ChargePeriodStart"))
    src = _reader(f.path, f.format)
    # First pass: count the bad rows of every check (a streaming aggregate, nothing held in memory).
    counts = ", ".join(f"count(*) FILTER (WHERE {cond})" for _, cond, _ in checks)
    try:
        row = con.execute(f"SELECT {counts} FROM {src}").fetchone()
    except duckdb.Error as exc:
        raise InputError.single(f"cannot read: {str(exc).splitlines()[0]}", location=where) from None
    assert row is not None
    failing = [(c, cond, what, int(n)) for (c, cond, what), n in zip(checks, row, strict=True) if n]
    if failing:
        # Second pass, only for a bad file: the first bad row of each failing check.
        rn = "file_row_number + 1" if f.format == "parquet" else "row_number() OVER ()"
        firsts = ", ".join(f"min(CASE WHEN {cond} THEN rn END)" for _, cond, _, _ in failing)
        con.execute("SET preserve_insertion_order = true")
        try:
            first_rows = con.execute(f"SELECT {firsts} FROM (SELECT *, {rn} AS rn FROM {src})").fetchone()
        finally:
            con.execute("SET preserve_insertion_order = false")
        assert first_rows is not None
        for (col, _, what, count), first in zip(failing, first_rows, strict=True):
            line = int(first) + 1 if f.format == "csv" else 0
            more = f" ({count} rows in all)" if count > 1 else ""
            problems.append(Problem(f"row {int(first)}: {col} {what}{more}",
                                    Location(f.path, line) if line else where, col))
    if problems:
        raise InputError(f"{f.path}: {len(problems)} problem(s) in FOCUS values", problems)


def _tag_expr(f: FocusFile, key: str) -> str:
    keys = [key, f"user:{key}", key.replace("-", "_"), f"user:{key.replace('-', '_')}"]
    keys = list(dict.fromkeys(keys))
    if f.tags_shape == "map":
        return "COALESCE(" + ", ".join(f"Tags[{quote(k)}]" for k in keys) + ")"
    if f.tags_shape == "list":
        inlist = ", ".join(quote(k) for k in keys)
        return f"list_filter(Tags, lambda t: t.key IN ({inlist}))[1].value"
    if f.tags_shape == "json-object":
        return "COALESCE(" + ", ".join(f"json_extract_string(Tags, {quote('$.' + chr(34) + k + chr(34))})"
                                       for k in keys) + ")"
    if f.tags_shape == "json-array":
        inlist = ", ".join(quote(k) for k in keys)
        return (f"list_filter(from_json(Tags, '[{{\"key\":\"VARCHAR\",\"value\":\"VARCHAR\"}}]'), "
                f"lambda t: t.key IN ({inlist}))[1].value")
    return "CAST(NULL AS VARCHAR)"


def _col(f: FocusFile, name: str, kind: str = "VARCHAR") -> str:
    if name not in f.columns:
        return f"CAST(NULL AS {kind})"
    if kind == "VARCHAR":
        return f'CAST("{name}" AS VARCHAR)'
    return f'CAST("{name}" AS {kind})'


def file_sql(f: FocusFile, required_tags: Sequence[str] = ("desk", "team", "env", "cost-centre"),
             allowed_envs: Sequence[str] = ()) -> str:
    """SELECT of one file in the normalised columns.

    ``missing_tags`` lists the keys of the tag schema (``required_tags``) a row lacks; an ``env`` tag
    outside ``allowed_envs`` counts as missing.
    """
    ts = "CAST(\"ChargePeriodStart\" AS TIMESTAMP)" if f.format == "parquet" else \
        "CAST(CAST(\"ChargePeriodStart\" AS TIMESTAMPTZ) AS TIMESTAMP)"
    name = f"COALESCE({_col(f, 'ServiceProviderName')}, {_col(f, 'ProviderName')})"
    provider = (f"lower(CASE WHEN {name} ILIKE '%amazon%' OR {name} ILIKE 'aws%' THEN 'aws' "
                f"WHEN {name} ILIKE '%google%' THEN 'gcp' ELSE {name} END)")
    cols = [
        f"{quote(f.path)} AS source_file",
        f"CAST({ts} AS DATE) AS day",
        f"{ts} AS charge_start",
        f"{provider} AS provider",
        f"{_col(f, 'BillingAccountId')} AS billing_account",
        f"COALESCE({_col(f, 'SubAccountId')}, {_col(f, 'BillingAccountId')}) AS sub_account",
        f"{_col(f, 'RegionId')} AS region",
        f"{_col(f, 'AvailabilityZone')} AS zone",
        f"{_col(f, 'ServiceName')} AS service",
        f"{_col(f, 'ServiceCategory')} AS service_category",
        f"{_col(f, 'ResourceId')} AS resource_id",
        f"{_col(f, 'ResourceName')} AS resource_name",
        f"{_col(f, 'ResourceType')} AS resource_type",
        f"{_col(f, 'SkuId')} AS sku",
        f"{_col(f, 'ChargeDescription')} AS description",
        f"{_col(f, 'ChargeCategory')} AS charge_category",
        f"{_col(f, 'ChargeFrequency')} AS charge_frequency",
        f"{_col(f, 'BilledCost', 'DOUBLE')} AS billed_cost",
        f"{_col(f, 'EffectiveCost', 'DOUBLE')} AS effective_cost",
        f"{_col(f, 'ListCost', 'DOUBLE')} AS list_cost",
        f"{_col(f, 'ConsumedQuantity', 'DOUBLE')} AS consumed_qty",
        f"{_col(f, 'ConsumedUnit')} AS consumed_unit",
        f"{_col(f, 'CommitmentDiscountId')} AS commitment_id",
        f"{_col(f, 'CommitmentDiscountType')} AS commitment_type",
        f"{_col(f, 'CommitmentDiscountStatus')} AS commitment_status",
        f"{_col(f, 'CommitmentDiscountCategory')} AS commitment_category",
    ]
    for key in TAG_KEYS:
        cols.append(f"NULLIF(lower(trim({_tag_expr(f, key)})), '') AS tag_{key.replace('-', '_')}")
    checks = []
    for key in sorted(set(required_tags)):
        value = f"NULLIF(trim({_tag_expr(f, key)}), '')"
        bad = f"{value} IS NULL"
        if key == "env" and allowed_envs:
            bad += f" OR lower({value}) NOT IN ({', '.join(quote(e) for e in sorted(allowed_envs))})"
        checks.append(f"CASE WHEN {bad} THEN {quote(key)} END")
    missing = (f"list_filter([{', '.join(checks)}], lambda k: k IS NOT NULL)" if checks
               else "CAST([] AS VARCHAR[])")
    cols.append(f"{missing} AS missing_tags")
    reader = f"read_parquet({quote(f.path)})" if f.format == "parquet" else \
        f"read_csv({quote(f.path)}, header = true, all_varchar = true)"
    return "SELECT " + ", ".join(cols) + f" FROM {reader}"


@dataclass(frozen=True)
class Billing:
    """The billing files in use, registered as the view ``billing`` on a connection."""

    files: tuple[FocusFile, ...]

    @property
    def synthetic(self) -> bool:
        return any(f.synthetic for f in self.files)

    @property
    def paths(self) -> tuple[str, ...]:
        return tuple(f.path for f in self.files)


def open_billing(con: duckdb.DuckDBPyConnection, paths: Sequence[str | Path], *, check: bool = True,
                 required_tags: Sequence[str] = ("desk", "team", "env", "cost-centre"),
                 allowed_envs: Sequence[str] = ()) -> Billing:
    """Inspect and validate every file, then create the view ``billing`` over all of them.

    ``required_tags``/``allowed_envs`` are the estate's tag schema (``estate.tags``), used to
    report tag compliance (``missing_tags``).
    """
    files = tuple(inspect(con, p) for p in discover(paths))
    if check:
        errors: list[Problem] = []
        for f in files:
            try:
                validate(con, f)
            except InputError as exc:
                errors.extend(exc.problems or [Problem(exc.message, Location(f.path))])
        if errors:
            n = len(errors)
            raise InputError(f"the billing data has {n} problem{'s' if n != 1 else ''}", errors)
    union = "\nUNION ALL\n".join(file_sql(f, required_tags, allowed_envs) for f in files)
    con.execute(f"CREATE OR REPLACE VIEW billing AS {union}")
    return Billing(files)
