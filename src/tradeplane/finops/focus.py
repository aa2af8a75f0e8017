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

import csv
import gzip
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb

from tradeplane.errors import InputError, Location, Problem
from tradeplane.finops.billing_db import quote

FOCUS_VERSION = "1.2"
FOCUS_VERSIONS = ("1.2", "1.3")


@dataclass(frozen=True)
class ColumnSpec:
    """What the FOCUS 1.2 specification says about one column tradeplane reads.

    ``kind``: decimal, datetime, string, currency (ISO 4217 code) or tags (key-value JSON object).
    ``nullable``: whether the spec allows null. ``allowed``: the spec's allowed values (empty: any).
    ``mandatory``: the column must be present (conditional columns are read when present).
    Source: FOCUS 1.2 specification, column definitions (focus.finops.org).
    """

    name: str
    kind: str
    nullable: bool
    mandatory: bool
    allowed: tuple[str, ...] = ()


CHARGE_CATEGORIES = ("Adjustment", "Credit", "Purchase", "Tax", "Usage")
CHARGE_FREQUENCIES = ("One-Time", "Recurring", "Usage-Based")
# A decimal tradeplane accepts: finite, and below a quadrillion in absolute value (no bill is larger;
# 1e308 sums to inf).
MAX_AMOUNT = 1e15

COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec("AvailabilityZone", "string", True, False),
    ColumnSpec("BilledCost", "decimal", False, True),
    ColumnSpec("BillingAccountId", "string", False, True),
    ColumnSpec("BillingAccountName", "string", True, True),
    ColumnSpec("BillingCurrency", "currency", False, True),
    ColumnSpec("BillingPeriodEnd", "datetime", False, True),
    ColumnSpec("BillingPeriodStart", "datetime", False, True),
    ColumnSpec("ChargeCategory", "string", False, True, CHARGE_CATEGORIES),
    ColumnSpec("ChargeClass", "string", True, True, ("Correction",)),
    ColumnSpec("ChargeDescription", "string", True, True),
    ColumnSpec("ChargeFrequency", "string", True, False, CHARGE_FREQUENCIES),
    ColumnSpec("ChargePeriodEnd", "datetime", False, True),
    ColumnSpec("ChargePeriodStart", "datetime", False, True),
    ColumnSpec("CommitmentDiscountCategory", "string", True, False, ("Spend", "Usage")),
    ColumnSpec("CommitmentDiscountId", "string", True, False),
    ColumnSpec("CommitmentDiscountStatus", "string", True, False, ("Used", "Unused")),
    ColumnSpec("CommitmentDiscountType", "string", True, False),
    ColumnSpec("ConsumedQuantity", "decimal", True, False),
    ColumnSpec("ConsumedUnit", "string", True, False),
    ColumnSpec("ContractedCost", "decimal", False, True),
    ColumnSpec("EffectiveCost", "decimal", False, True),
    ColumnSpec("InvoiceIssuerName", "string", True, True),
    ColumnSpec("ListCost", "decimal", False, True),
    ColumnSpec("PricingQuantity", "decimal", True, True),
    ColumnSpec("PricingUnit", "string", True, True),
    ColumnSpec("RegionId", "string", True, False),
    ColumnSpec("ResourceId", "string", True, False),
    ColumnSpec("ResourceName", "string", True, False),
    ColumnSpec("ResourceType", "string", True, False),
    ColumnSpec("ServiceCategory", "string", True, True),
    ColumnSpec("ServiceName", "string", False, True),
    ColumnSpec("SkuId", "string", True, False),
    ColumnSpec("SubAccountId", "string", True, False),
    ColumnSpec("SubAccountName", "string", True, False),
    ColumnSpec("Tags", "tags", True, False),
)
SPEC: dict[str, ColumnSpec] = {c.name: c for c in COLUMNS}

DECIMAL_COLUMNS = tuple(c.name for c in COLUMNS if c.kind == "decimal" and c.mandatory)
DATETIME_COLUMNS = tuple(c.name for c in COLUMNS if c.kind == "datetime")
STRING_COLUMNS = tuple(c.name for c in COLUMNS if c.kind in ("string", "currency") and c.mandatory)
# Mandatory, under either name: (FOCUS 1.2 name, FOCUS 1.3 name).
RENAMED_COLUMNS = (("ProviderName", "ServiceProviderName"), ("PublisherName", "HostProviderName"))
MANDATORY_COLUMNS = tuple(sorted(c.name for c in COLUMNS if c.mandatory))
NOT_NULL_COLUMNS = tuple(c.name for c in COLUMNS if not c.nullable)
OPTIONAL_STRING = tuple(c.name for c in COLUMNS if c.kind == "string" and not c.mandatory)
OPTIONAL_DECIMAL = tuple(c.name for c in COLUMNS if c.kind == "decimal" and not c.mandatory)
SYNTHETIC_MARKER = "x_TradeplaneSynthetic"
# How the FOCUS sample data (and some exports) write a missing value in CSV.
CSV_NULLS = ("", "NULL")

# The tag keys read from Tags. Which key names count for each (aliases, matched case-insensitively,
# with AWS's ``user:`` prefix, ``_`` and ``-`` alike) comes from the estate's tag schema.
TAG_KEYS = ("desk", "team", "env", "workload", "cost-centre")

NORMALISED_COLUMNS = (
    "source_file", "day", "charge_start", "provider", "billing_account", "sub_account", "region", "zone",
    "service", "service_category", "resource_id", "resource_name", "resource_type", "sku", "description",
    "charge_category", "charge_class", "charge_frequency", "billing_period", "currency", "billed_cost",
    "effective_cost", "list_cost", "consumed_qty", "consumed_unit", "commitment_id", "commitment_type",
    "commitment_status", "commitment_category", "tag_desk", "tag_team", "tag_env", "tag_workload",
    "tag_cost_centre", "tag_keys", "missing_tags",
)


def normalise_tag_key(key: str) -> str:
    """How tag keys are compared: lower case, AWS ``user:`` prefix dropped, ``_`` and spaces as ``-``."""
    k = key.strip().lower()
    if k.startswith("user:"):
        k = k[len("user:"):]
    return k.replace("_", "-").replace(" ", "-")


def tag_key_names(aliases: Mapping[str, Sequence[str]] | None = None) -> dict[str, tuple[str, ...]]:
    """For each tag key read, the normalised key names that count for it (the key, then its aliases)."""
    al = aliases or {}
    return {k: tuple(dict.fromkeys(normalise_tag_key(x) for x in (k, *al.get(k, ())))) for k in TAG_KEYS}


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


def _csv_header(path: Path) -> list[str]:
    """The column names of a CSV file's first line (plain or gzip), read with Python's csv module."""
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    try:
        with opener(path, "rt", encoding="utf-8-sig", newline="") as fh:
            first = next(csv.reader(fh), [])
    except (OSError, UnicodeDecodeError, csv.Error, EOFError) as exc:
        raise InputError.single(f"cannot read the CSV header: {exc}", location=Location(str(path), 1),
                                hint="is it a complete FOCUS CSV export (UTF-8, comma separated)?") from None
    if not first:
        raise InputError.single("the CSV file is empty (no header line)", location=Location(str(path), 1),
                                hint="export with the header row")
    dup = sorted({c for c in first if first.count(c) > 1})
    if dup:
        raise InputError.single(f"the header names column(s) {', '.join(dup)} twice",
                                location=Location(str(path), 1), field=dup[0], hint="each FOCUS column once")
    return first


def _reader(path: str, fmt: str, header: Sequence[str] = (), *, rejects: str = "") -> str:
    """The DuckDB table function reading one file: Parquet with row numbers; CSV as text, strictly, with
    exactly the header's columns (a ragged row is an error, not a reason to re-sniff the file)."""
    if fmt == "parquet":
        return f"read_parquet({quote(path)}, file_row_number = true)"
    cols = "{" + ", ".join(f"{quote(c)}: 'VARCHAR'" for c in header) + "}"
    nulls = "[" + ", ".join(quote(n) for n in CSV_NULLS) + "]"
    extra = (f", store_rejects = true, rejects_table = {quote(rejects)}, rejects_scan = {quote(rejects + '_scan')}"
             if rejects else "")
    return (f"read_csv({quote(path)}, header = true, columns = {cols}, auto_detect = false, delim = ',', "
            f"quote = '\"', escape = '\"', strict_mode = true, nullstr = {nulls}{extra})")


def inspect(con: duckdb.DuckDBPyConnection, path: Path) -> FocusFile:
    """Read a file's schema (not its rows) and decide how to read its tags."""
    fmt = _format(path) or "csv"
    header: tuple[str, ...] = ()
    try:
        if fmt == "csv":
            header = tuple(_csv_header(path))
        rel = con.sql(f"SELECT * FROM {_reader(str(path), fmt, header)} LIMIT 0")
        columns, types = tuple(rel.columns), tuple(str(t) for t in rel.types)
    except duckdb.Error as exc:
        raise InputError.single(f"cannot read {fmt} file: {str(exc).splitlines()[0]}",
                                location=Location(str(path)),
                                hint="is it a complete FOCUS export (not truncated, not another format)?") from None
    if fmt == "parquet":
        columns, types = columns[:-1], types[:-1]  # file_row_number
    shape = "none"
    if "Tags" in columns:
        t = types[columns.index("Tags")].upper()
        if t.startswith("MAP"):
            shape = "map"
        elif t.startswith("STRUCT") and t.endswith("[]"):
            shape = "list"
        elif t in ("VARCHAR", "JSON"):
            try:
                first = con.execute(f"SELECT Tags FROM {_reader(str(path), fmt, header)} WHERE Tags IS NOT NULL "
                                    "AND trim(Tags) <> '' LIMIT 1").fetchone()
            except duckdb.Error:
                first = None  # validation reports the bad line
            shape = "json-array" if first and str(first[0]).lstrip().startswith("[") else "json-object"
        else:
            shape = "invalid"
    return FocusFile(str(path), fmt, columns, types, shape, SYNTHETIC_MARKER in columns)


_NUMERIC = ("DECIMAL", "DOUBLE", "FLOAT", "REAL", "INTEGER", "BIGINT", "SMALLINT", "TINYINT", "HUGEINT",
            "UBIGINT", "UINTEGER", "USMALLINT", "UTINYINT")


def _value_checks(f: FocusFile) -> list[tuple[str, str, str]]:
    """(column, SQL condition true on a bad row, what is wrong) for every column read that the file has."""
    checks: list[tuple[str, str, str]] = []
    csv_file = f.format == "csv"
    for c in COLUMNS:
        if c.name not in f.columns:
            continue
        col = f'"{c.name}"'
        text = f"CAST({col} AS VARCHAR)"
        if not c.nullable:
            empty = f"{col} IS NULL" + (f" OR trim({col}) = ''" if csv_file or (c.kind != "decimal"
                                        and c.kind != "datetime" and c.kind != "tags") else "")
            checks.append((c.name, empty, "is empty; FOCUS requires a value"))
        if c.kind == "decimal":
            num = f"TRY_CAST({col} AS DOUBLE)" if csv_file else f"CAST({col} AS DOUBLE)"
            if csv_file:
                checks.append((c.name, f"{col} IS NOT NULL AND {num} IS NULL", "is not a decimal number"))
            checks.append((c.name, f"{num} IS NOT NULL AND NOT isfinite({num})",
                           "is not a finite amount"))
            checks.append((c.name, f"{num} IS NOT NULL AND isfinite({num}) AND abs({num}) >= {MAX_AMOUNT:.0e}",
                           f"is out of range (|x| must be below {MAX_AMOUNT:.0e})"))
        elif c.kind == "datetime" and csv_file:
            checks.append((c.name, f"{col} IS NOT NULL AND TRY_CAST({col} AS TIMESTAMPTZ) IS NULL",
                           "is not an ISO 8601 date-time"))
        elif c.kind == "currency":
            checks.append((c.name, f"{col} IS NOT NULL AND NOT regexp_full_match(trim({text}), '[A-Z]{{3}}')",
                           "is not an ISO 4217 currency code (three capital letters, e.g. USD)"))
        elif c.kind == "tags" and f.tags_shape.startswith("json"):
            kind = "OBJECT" if f.tags_shape == "json-object" else "ARRAY"
            checks.append((c.name, f"{col} IS NOT NULL AND trim({col}) NOT IN ('', '[]', '{{}}') AND "
                                   f"(NOT json_valid({col}) OR "
                                   f"CASE WHEN json_valid({col}) THEN json_type({col}) END <> '{kind}')",
                           "is not a JSON object of tag keys and values"
                           if kind == "OBJECT" else "is not a JSON array of {key, value} tags"))
        if c.allowed:
            allowed = ", ".join(quote(v) for v in c.allowed)
            checks.append((c.name, f"{col} IS NOT NULL AND trim({text}) <> '' AND {text} NOT IN ({allowed})",
                           "is not one of " + ", ".join(c.allowed)))
    if "ChargePeriodStart" in f.columns and "ChargePeriodEnd" in f.columns:
        checks.append(("ChargePeriodEnd",
                       'TRY_CAST("ChargePeriodEnd" AS TIMESTAMPTZ) < TRY_CAST("ChargePeriodStart" AS TIMESTAMPTZ)',
                       "is before ChargePeriodStart"))
    return checks


def _uncleared(con: duckdb.DuckDBPyConnection, f: FocusFile, checks: list[tuple[str, str, str]],
               src: str) -> list[tuple[str, str, str]]:
    """The checks of a Parquet file that one pass of cheap aggregates cannot prove clean.

    Per check: no NULL and no string starting below ``!`` (so none empty or blank) for "is empty";
    ``max(abs(x))`` below ``MAX_AMOUNT`` (NaN and infinity compare above it) for amounts; one distinct
    currency code that is three capitals; a plain ``NOT IN`` count for allowed values; the period
    order as it is. Anything not proved goes to the exact row-by-row count (same conditions as CSV).
    """
    probes: list[str] = []
    for col, cond, what in checks:
        c = f'"{col}"'
        spec = next((x for x in COLUMNS if x.name == col), None)
        if what.startswith("is empty"):
            text = spec is not None and spec.kind not in ("decimal", "datetime", "tags")
            probes.append(f"count(*) > count({c})" + (f" OR min({c}) < '!'" if text else ""))
        elif what.startswith("is not a finite") or what.startswith("is out of range"):
            probes.append(f"NOT coalesce(max(abs(CAST({c} AS DOUBLE))) < {MAX_AMOUNT!r}, true)")
        elif what.startswith("is not an ISO 4217"):
            probes.append(f"min({c}) IS DISTINCT FROM max({c}) OR "
                          f"NOT coalesce(regexp_full_match(trim(CAST(min({c}) AS VARCHAR)), '[A-Z]{{3}}'), true)")
        elif what.startswith("is not one of") and spec is not None and spec.allowed:
            allowed = ", ".join(quote(v) for v in spec.allowed)
            probes.append(f"count(*) FILTER (WHERE {c} IS NOT NULL AND CAST({c} AS VARCHAR) NOT IN ({allowed})) > 0")
        else:
            probes.append(f"count(*) FILTER (WHERE {cond}) > 0")
    try:
        row = con.execute(f"SELECT {', '.join(probes)} FROM {src}").fetchone()
    except duckdb.OutOfMemoryException:
        raise
    except duckdb.Error as exc:
        raise InputError.single(f"cannot read: {str(exc).splitlines()[0]}", location=Location(f.path)) from None
    assert row is not None
    return [chk for chk, suspect in zip(checks, row, strict=True) if suspect]


def _type_problems(f: FocusFile) -> list[Problem]:
    """Parquet: every column read must have the FOCUS type (CSV is text and is checked value by value)."""
    where = Location(f.path)
    problems: list[Problem] = []
    for c in COLUMNS:
        if c.name not in f.columns:
            continue
        t = f.type_of(c.name).upper()
        if c.kind == "decimal" and not t.startswith(_NUMERIC):
            problems.append(Problem(f"column has type {t}, FOCUS requires a decimal number", where, c.name))
        elif c.kind == "datetime" and not (t.startswith("TIMESTAMP") or t == "DATE"):
            problems.append(Problem(f"column has type {t}, FOCUS requires a date-time", where, c.name))
        elif c.kind in ("string", "currency") and t not in ("VARCHAR", "JSON") and not t.startswith("ENUM"):
            problems.append(Problem(f"column has type {t}, FOCUS requires a string", where, c.name))
        elif c.kind == "tags" and f.tags_shape == "invalid":
            problems.append(Problem(f"column has type {t}; FOCUS Tags is a JSON object string (or a MAP)", where,
                                    c.name, "export Tags as a JSON object string, a MAP(VARCHAR, VARCHAR) or a "
                                    "list of {key, value}"))
    return problems


def _first_bad_line(path: Path, columns: int) -> int:
    """The first line Python's csv module cannot read as ``columns`` clean fields (0 when it reads them all)."""
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    try:
        with opener(path, "rt", encoding="utf-8-sig", newline="") as fh:
            reader = csv.reader(fh, strict=True)
            next(reader, None)
            for row in reader:
                if len(row) != columns or any("\x00" in c for c in row):
                    return reader.line_num
    except (csv.Error, UnicodeDecodeError, OSError, EOFError):
        return max(1, reader.line_num) if "reader" in locals() else 1
    return 0


def _check_csv_lines(con: duckdb.DuckDBPyConnection, f: FocusFile) -> None:
    """A CSV line DuckDB cannot split into the header's columns (ragged, unclosed quote, bad encoding) is
    one located error, found in one pass that stores rejected lines instead of failing on the first."""
    rejects = "rejects_" + hashlib.sha1(f.path.encode()).hexdigest()[:12]
    try:
        con.execute(f"SELECT count(*) FROM {_reader(f.path, f.format, f.columns, rejects=rejects)}").fetchall()
    except duckdb.OutOfMemoryException:
        raise
    except duckdb.Error as exc:
        raise InputError.single(f"cannot read: {str(exc).splitlines()[0]}",
                                location=Location(f.path, _first_bad_line(Path(f.path), len(f.columns))),
                                hint="repair or re-export the file (UTF-8, comma separated, quotes closed)") from None
    try:
        bad = con.execute(f"SELECT line, error_type, error_message FROM {rejects} ORDER BY line LIMIT 1").fetchone()
        n = con.execute(f"SELECT count(DISTINCT line) FROM {rejects}").fetchone()
        con.execute(f"DROP TABLE IF EXISTS {rejects}; DROP TABLE IF EXISTS {rejects}_scan")
    except duckdb.CatalogException:  # DuckDB creates the table only when a line is rejected
        return
    if bad is None:
        return
    line, kind, msg = int(bad[0]), str(bad[1]), str(bad[2])
    more = f" ({int(n[0])} lines in all)" if n and int(n[0]) > 1 else ""
    if kind in ("TOO MANY COLUMNS", "MISSING COLUMNS"):
        found = msg.rsplit("Found:", 1)[-1].strip() if "Found:" in msg else "a different number of"
        text = f"row has {found} fields, the header has {len(f.columns)}{more}"
    else:
        text = f"{kind.lower()}: {msg.splitlines()[0]}{more}"
    raise InputError.single(text, location=Location(f.path, line),
                            hint="repair or re-export the file (each line needs the header's columns, quotes "
                                 "closed, UTF-8)")


def validate(con: duckdb.DuckDBPyConnection, f: FocusFile) -> None:
    """Check every column tradeplane reads against FOCUS 1.2 (presence, type, nullability, allowed values,
    finite amounts, JSON tags); raise ``InputError`` naming file, line/row and column."""
    where = Location(f.path)
    missing = [c for c in MANDATORY_COLUMNS if c not in f.columns]
    missing += [f"{old} (or {new})" for old, new in RENAMED_COLUMNS if old not in f.columns and new not in f.columns]
    if missing:
        raise InputError(
            f"{f.path}: not a FOCUS {' or '.join(FOCUS_VERSIONS)} file",
            [Problem(f"{len(missing)} mandatory FOCUS column(s) missing: {', '.join(missing)}", where, missing[0],
                     "export with the FOCUS 1.2 table (AWS Data Exports) or the BigQuery FOCUS export")])
    if f.format == "parquet":
        wrong = _type_problems(f)
        if wrong:
            raise InputError(f"{f.path}: column types do not match FOCUS {FOCUS_VERSION}", wrong)
    elif f.tags_shape == "invalid":
        raise InputError.single("Tags: cannot be read as JSON", location=where, field="Tags")
    if f.format == "csv":
        _check_csv_lines(con, f)
    checks = _value_checks(f)
    src = _reader(f.path, f.format, f.columns)
    if f.format == "parquet" and checks:
        # Typed columns: one pass of cheap aggregates (counts, min, max) clears most checks at once; only
        # the checks it cannot clear are counted row by row below. A clean file pays only this pass.
        checks = _uncleared(con, f, checks, src)
        if not checks:
            return
    # First pass: count the bad rows of every check (a streaming aggregate, nothing held in memory).
    counts = ", ".join(f"count(*) FILTER (WHERE {cond})" for _, cond, _ in checks) or "count(*)"
    try:
        row = con.execute(f"SELECT {counts} FROM {src}").fetchone()
    except duckdb.OutOfMemoryException:
        raise  # the session says which limit to raise
    except duckdb.Error as exc:
        raise InputError.single(f"cannot read: {str(exc).splitlines()[0]}", location=where) from None
    if not checks:
        return
    assert row is not None
    failing = [(c, cond, what, int(n)) for (c, cond, what), n in zip(checks, row, strict=True) if n]
    if not failing:
        return
    problems: list[Problem] = []
    # Second pass, only for a bad file: the first bad row and its value for each failing check.
    rn = "file_row_number + 1" if f.format == "parquet" else "row_number() OVER ()"
    firsts = ", ".join(f"arg_min(CAST(\"{col}\" AS VARCHAR), CASE WHEN {cond} THEN rn END), "
                       f"min(CASE WHEN {cond} THEN rn END)" for col, cond, _, _ in failing)
    con.execute("SET preserve_insertion_order = true")
    try:
        first_rows = con.execute(f"SELECT {firsts} FROM (SELECT *, {rn} AS rn FROM {src})").fetchone()
    finally:
        con.execute("SET preserve_insertion_order = false")
    assert first_rows is not None
    for i, (col, _, what, count) in enumerate(failing):
        value, first = first_rows[2 * i], int(first_rows[2 * i + 1])
        line = first + 1 if f.format == "csv" else 0
        more = f" ({count} rows in all)" if count > 1 else ""
        shown = "" if value is None or what.startswith("is empty") else f"'{str(value)[:40]}' "
        problems.append(Problem(f"row {first}: {shown}{what}{more}",
                                Location(f.path, line) if line else where, col,
                                "fix or re-export the file; FOCUS 1.2 column definitions say what each holds"))
    raise InputError(f"{f.path}: {len(problems)} problem(s) in FOCUS values", problems)


def _tag_entries(f: FocusFile) -> str:
    """The row's tags as a list of {key, value}, whatever shape the file writes them in."""
    if f.tags_shape == "map":
        return "map_entries(CAST(Tags AS MAP(VARCHAR, VARCHAR)))"
    if f.tags_shape == "list":
        return "list_transform(Tags, lambda t: {'key': CAST(t.key AS VARCHAR), 'value': CAST(t.value AS VARCHAR)})"
    if f.tags_shape == "json-object":
        return ("CASE WHEN Tags IS NULL OR trim(Tags) IN ('', '[]', '{}') THEN [] ELSE "
                "map_entries(json_transform(Tags, '\"MAP(VARCHAR, VARCHAR)\"')) END")
    if f.tags_shape == "json-array":
        return ("CASE WHEN Tags IS NULL OR trim(Tags) IN ('', '[]', '{}') THEN [] ELSE "
                "from_json(Tags, '[{\"key\":\"VARCHAR\",\"value\":\"VARCHAR\"}]') END")
    return "CAST([] AS STRUCT(\"key\" VARCHAR, \"value\" VARCHAR)[])"


def _col(f: FocusFile, name: str, kind: str = "VARCHAR") -> str:
    if name not in f.columns:
        return f"CAST(NULL AS {kind})"
    if kind == "VARCHAR":
        return f'NULLIF(trim(CAST("{name}" AS VARCHAR)), \'\')'
    if f.format == "csv" and kind == "DOUBLE":
        return f'TRY_CAST("{name}" AS DOUBLE)'
    return f'CAST("{name}" AS {kind})'


def _ts(f: FocusFile, name: str) -> str:
    return f'CAST("{name}" AS TIMESTAMP)' if f.format == "parquet" else \
        f'CAST(CAST("{name}" AS TIMESTAMPTZ) AS TIMESTAMP)'


def _tag_columns(f: FocusFile, required_tags: Sequence[str], allowed_envs: Sequence[str],
                 aliases: Mapping[str, Sequence[str]] | None) -> str:
    """SELECT of one file's distinct tag sets: ``_tag_hash`` (the hash of ``Tags``) and the normalised tag
    columns (``tag_desk`` ... ``tag_keys``, ``missing_tags``) computed from it.

    Billing files carry few distinct tag sets (one per resource at most, usually far fewer) and many
    rows, so the key normalisation (case, ``user:`` prefix, ``_``) runs once per tag set, not per row.
    """
    names = tag_key_names(aliases)
    cols = ["_tag_hash"]
    hits = []
    for key in TAG_KEYS:
        inlist = ", ".join(quote(n) for n in names[key])
        col = f"_t_{key.replace('-', '_')}"
        hits.append((key, col, f"list_filter(_tags, lambda t: t.k IN ({inlist}) "
                               f"AND NULLIF(trim(t.value), '') IS NOT NULL)[1] AS {col}"))
    for key, col, _ in hits:
        cols.append(f"lower(trim({col}.value)) AS tag_{key.replace('-', '_')}")
    matched = ", ".join(f"CASE WHEN {col} IS NOT NULL THEN {quote(key + '=')} || {col}.key END" for key, col, _ in hits)
    cols.append(f"list_filter([{matched}], lambda k: k IS NOT NULL) AS tag_keys")
    checks = []
    for key in sorted(set(required_tags)):
        hit = next((c for k, c, _ in hits if k == key), None)
        if hit is None:
            inlist = ", ".join(quote(n) for n in tag_key_names({key: ()}).get(key, (normalise_tag_key(key),)))
            value = f"list_filter(_tags, lambda t: t.k IN ({inlist}))[1].value"
        else:
            value = f"{hit}.value"
        bad = f"NULLIF(trim({value}), '') IS NULL"
        if key == "env" and allowed_envs:
            bad += f" OR lower(trim({value})) NOT IN ({', '.join(quote(e) for e in sorted(allowed_envs))})"
        checks.append(f"CASE WHEN {bad} THEN {quote(key)} END")
    missing = (f"list_filter([{', '.join(checks)}], lambda k: k IS NOT NULL)" if checks
               else "CAST([] AS VARCHAR[])")
    cols.append(f"{missing} AS missing_tags")
    nk = "regexp_replace(regexp_replace(lower(trim(e.key)), '^user:', ''), '[_ ]', '-', 'g')"
    tags = (f"list_transform({_tag_entries(f)}, lambda e: {{'k': {nk}, 'key': e.key, 'value': e.value}}) AS _tags"
            if f.tags_shape not in ("none", "invalid") else
            "CAST([] AS STRUCT(k VARCHAR, \"key\" VARCHAR, \"value\" VARCHAR)[]) AS _tags")
    tag_hash = "hash(Tags)" if "Tags" in f.columns else "hash(NULL)"
    sets = (f"SELECT {tag_hash} AS _tag_hash, any_value(Tags) AS Tags FROM {_reader(f.path, f.format, f.columns)} "
            "GROUP BY 1" if "Tags" in f.columns else "SELECT hash(NULL) AS _tag_hash")
    inner = f"SELECT _tag_hash, {tags} FROM ({sets})"
    mid = f"SELECT *, {', '.join(h for _, _, h in hits)} FROM ({inner})"
    return "SELECT " + ", ".join(cols) + f" FROM ({mid})"


def file_sql(f: FocusFile, required_tags: Sequence[str] = ("desk", "team", "env", "cost-centre"),
             allowed_envs: Sequence[str] = (), aliases: Mapping[str, Sequence[str]] | None = None,
             tag_sets: str | None = None) -> str:
    """SELECT of one file in the normalised columns.

    Tag keys are matched case-insensitively (``user:`` prefix dropped, ``_`` as ``-``) against each key
    of ``TAG_KEYS`` and its ``aliases`` (the estate's tag schema); ``tag_keys`` lists which key of the file
    matched which (``desk=user:Desk``). ``missing_tags`` lists the keys of the tag schema
    (``required_tags``) a row lacks; an ``env`` tag outside ``allowed_envs`` counts as missing.
    The tag columns come from ``tag_sets``, a table of the file's distinct tag sets (``_tag_columns``)
    joined by the hash of ``Tags``; without it the same query is inlined (and run per query).
    """
    ts = _ts(f, "ChargePeriodStart")
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
        f"{_col(f, 'ChargeClass')} AS charge_class",
        f"{_col(f, 'ChargeFrequency')} AS charge_frequency",
        f"CAST({_ts(f, 'BillingPeriodStart')} AS DATE) AS billing_period",
        f"upper({_col(f, 'BillingCurrency')}) AS currency",
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
    cols += [f"t.tag_{k.replace('-', '_')}" for k in TAG_KEYS] + ["t.tag_keys", "t.missing_tags"]
    sets = tag_sets or f"({_tag_columns(f, required_tags, allowed_envs, aliases)})"
    tag_hash = "hash(Tags)" if "Tags" in f.columns else "hash(NULL)"
    return (f"SELECT {', '.join(cols)} FROM {_reader(f.path, f.format, f.columns)} "
            f"LEFT JOIN {sets} t ON t._tag_hash = {tag_hash}")


@dataclass(frozen=True)
class Billing:
    """The billing files in use, registered as the view ``billing`` on a connection."""

    files: tuple[FocusFile, ...]
    currencies: tuple[str, ...] = ()  # the billing currencies found in the files

    @property
    def synthetic(self) -> bool:
        return any(f.synthetic for f in self.files)

    @property
    def paths(self) -> tuple[str, ...]:
        return tuple(f.path for f in self.files)


def open_billing(con: duckdb.DuckDBPyConnection, paths: Sequence[str | Path], *, check: bool = True,
                 required_tags: Sequence[str] = ("desk", "team", "env", "cost-centre"),
                 allowed_envs: Sequence[str] = (), aliases: Mapping[str, Sequence[str]] | None = None,
                 view: str = "billing") -> Billing:
    """Inspect and validate every file, then create the view ``view`` (``billing``) over all of them.

    ``required_tags``/``allowed_envs``/``aliases`` are the estate's tag schema (``estate.tags``), used
    to read tags and to report tag compliance (``missing_tags``).
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
    parts = []
    for i, f in enumerate(files):
        # Each file's distinct tag sets, normalised once (a small table; see ``_tag_columns``).
        sets = f"{view}_tag_sets_{i}"
        con.execute(f"CREATE OR REPLACE TEMP TABLE {sets} AS "
                    f"{_tag_columns(f, required_tags, allowed_envs, aliases)}")
        parts.append(file_sql(f, required_tags, allowed_envs, aliases, tag_sets=sets))
    union = "\nUNION ALL\n".join(parts)
    con.execute(f"CREATE OR REPLACE VIEW {view} AS {union}")
    # Read straight from the files: the view's tag join is not needed to list currencies.
    raw = " UNION ".join(f"SELECT DISTINCT upper({_col(f, 'BillingCurrency')}) AS currency FROM "
                         f"{_reader(f.path, f.format, f.columns)}" for f in files)
    found = con.execute(f"SELECT DISTINCT currency FROM ({raw}) WHERE currency IS NOT NULL ORDER BY 1").fetchall() \
        if files else []
    return Billing(files, tuple(str(r[0]) for r in found))
