"""Real-data faults (issue 14 items 1-5, issue 11 billing cases): each example with its right answer."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from pathlib import Path

import pytest

from tradeplane import finops
from tradeplane.cli import main
from tradeplane.errors import InputError
from tradeplane.finops.commitments import CommitmentUse

from .conftest import REFERENCE

CASES = Path(__file__).parent / "cases"


def _run(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, str, str]:
    rc = main(argv)
    out = capsys.readouterr()
    return rc, out.out, out.err


def _report(capsys: pytest.CaptureFixture[str], billing: Path, *extra: str) -> dict:
    rc, out, err = _run(capsys, ["cost", "report", str(REFERENCE), "-b", str(billing), "--json", *extra])
    assert rc == 0, err
    return json.loads(out)


def _rewrite(src: Path, dst: Path, edit) -> Path:  # type: ignore[no-untyped-def]
    rows = list(csv.DictReader(src.open(newline="")))
    rows = edit(rows)
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(rows[0]))
    w.writeheader()
    w.writerows(rows)
    dst.write_text(buf.getvalue())
    return dst


# ----------------------------------------------------------------------------- 1. currencies


def test_two_currencies_are_never_added(capsys) -> None:
    out = _report(capsys, CASES / "multi-currency" / "billing.csv")
    assert out["total"] is None  # not 110
    assert out["totals"] == {"EUR": 100.0, "USD": 10.0}
    assert out["currency"]["mode"] == "per-currency" and out["currency"]["currencies"] == ["EUR", "USD"]
    desks = {(r["desk"], r["currency"]): r["cost"] for r in out["by_desk"]}
    assert desks == {("equities", "EUR"): 100.0, ("equities", "USD"): 10.0}
    eq = next(b for b in out["budgets"]["desks"] if b["desk"] == "equities")
    # The USD budget is compared with USD spend only; the EUR spend is named, not added.
    assert eq["currency"] == "USD" and eq["month_to_date"] == 10.0 and eq["not_compared"] == {"EUR": 100.0}
    rc, text, _ = _run(capsys, ["cost", "report", str(REFERENCE), "-b", str(CASES / "multi-currency")])
    assert rc == 0 and "$110.00" not in text and "€100.00" in text and "$10.00" in text
    assert "never added" in text


def test_conversion_needs_an_explicit_rate_table(capsys, tmp_path: Path) -> None:
    rates = tmp_path / "rates.yaml"
    rates.write_text("currency: USD\nas_of: 2026-10-31\nsource: test rates\nrates: {EUR: 1.1}\n")
    out = _report(capsys, CASES / "multi-currency" / "billing.csv", "--currency", "USD", "--rates", str(rates))
    assert out["total"] == pytest.approx(120.0) and out["totals"] == {"USD": 120.0}
    assert out["currency"]["mode"] == "converted" and "1 EUR = 1.1 USD" in out["currency"]["note"]
    # Only one currency, without rates: the other rows are left out and counted.
    out = _report(capsys, CASES / "multi-currency" / "billing.csv", "--currency", "EUR")
    assert out["totals"] == {"EUR": 100.0} and out["currency"]["left_out_rows"] == {"USD": 1}
    # A rate table that lacks a billing currency is a located error.
    rates.write_text("currency: USD\nas_of: 2026-10-31\nsource: test rates\nrates: {GBP: 1.3}\n")
    rc, _, err = _run(capsys, ["cost", "report", str(REFERENCE), "-b", str(CASES / "multi-currency"),
                               "--currency", "USD", "--rates", str(rates)])
    assert rc == 2 and "rates.yaml" in err and "no rate for EUR" in err and "Traceback" not in err


def test_bad_rate_table_is_located(tmp_path: Path) -> None:
    bad = tmp_path / "r.yaml"
    bad.write_text("currency: usd\nas_of: ''\nrates: {EUR: .inf}\n")
    with pytest.raises(InputError) as exc:
        finops.load_rates(bad)
    lines = {(p.field, p.location.line if p.location else None) for p in exc.value.problems}
    # each problem located at its line, through the project's one YAML loader
    assert {("currency", 1), ("as_of", 2), ("rates.EUR", 3), ("source", 1)} <= lines, lines


# ----------------------------------------------------------------------------- 2. every column validated


def test_unquoted_null_is_null(capsys) -> None:
    out = _report(capsys, CASES / "optional-decimal-not-number" / "billing.csv")
    assert out["total"] == pytest.approx(9.0)
    assert [r["desk"] for r in out["by_desk"]] == ["equities"]


def test_bad_optional_decimal_is_located(capsys, tmp_path: Path) -> None:
    bad = _rewrite(CASES / "optional-decimal-not-number" / "billing.csv", tmp_path / "billing.csv",
                   lambda rows: [rows[0], {**rows[1], "ConsumedQuantity": "lots"}])
    rc, _, err = _run(capsys, ["cost", "report", str(REFERENCE), "-b", str(bad)])
    assert rc == 2 and "Traceback" not in err
    assert "billing.csv:3: ConsumedQuantity: row 2: 'lots' is not a decimal number" in err


@pytest.mark.parametrize(("column", "value", "what"), [
    ("BillingCurrency", "dollars", "ISO 4217"),
    ("ChargeFrequency", "Monthly", "not one of One-Time, Recurring, Usage-Based"),
    ("ChargeClass", "Fix", "not one of Correction"),
    ("Tags", "{not json", "not a JSON object"),
    ("ListCost", "1e308", "out of range"),
    ("BillingPeriodStart", "yesterday", "ISO 8601"),
])
def test_every_read_column_is_checked(capsys, tmp_path: Path, column: str, value: str, what: str) -> None:
    bad = _rewrite(CASES / "multi-currency" / "billing.csv", tmp_path / "billing.csv",
                   lambda rows: [rows[0], {**rows[1], column: value}])
    rc, _, err = _run(capsys, ["cost", "report", str(REFERENCE), "-b", str(bad)])
    assert rc == 2 and "Traceback" not in err
    assert f"billing.csv:3: {column}: row 2:" in err and what in err


# ----------------------------------------------------------------------------- 3. recurring charges


def test_monthly_recurring_charge_is_not_an_anomaly(capsys) -> None:
    rc, out, err = _run(capsys, ["cost", "anomalies", str(REFERENCE), "-b",
                                 str(CASES / "anomaly-monthly-recurring" / "billing.csv"), "--json"])
    assert rc == 0, err
    assert json.loads(out)["anomalies"] == []


def test_one_day_usage_spike_is_still_flagged(capsys, tmp_path: Path) -> None:
    def spike(rows: list[dict]) -> list[dict]:
        extra = next(r for r in rows if r["ChargePeriodStart"].startswith("2026-11-05"))
        return [*rows, {**extra, "BilledCost": "500.00", "EffectiveCost": "500.00", "ListCost": "500.00",
                        "ContractedCost": "500.00", "ResourceId": "i-0spike"}]

    bill = _rewrite(CASES / "anomaly-monthly-recurring" / "billing.csv", tmp_path / "billing.csv", spike)
    rc, out, err = _run(capsys, ["cost", "anomalies", str(REFERENCE), "-b", str(bill), "--json"])
    assert rc == 0, err
    found = json.loads(out)["anomalies"]
    assert len(found) == 1
    a = found[0]
    assert a["start"] == "2026-11-05" and a["days"] == 1 and a["excess"] == pytest.approx(500.0)
    assert a["frequency"] == "Usage-Based" and a["drivers"][0]["resource_id"] == "i-0spike"


def test_a_recurring_charge_that_grows_is_flagged_month_on_month(capsys, tmp_path: Path) -> None:
    def grow(rows: list[dict]) -> list[dict]:
        for r in rows:
            if r["ChargeFrequency"] == "Recurring" and r["ChargePeriodStart"].startswith("2026-11-01"):
                for c in ("BilledCost", "EffectiveCost", "ListCost", "ContractedCost"):
                    r[c] = "3000.00"
        return rows

    bill = _rewrite(CASES / "anomaly-monthly-recurring" / "billing.csv", tmp_path / "billing.csv", grow)
    rc, out, _ = _run(capsys, ["cost", "anomalies", str(REFERENCE), "-b", str(bill), "--json"])
    found = json.loads(out)["anomalies"]
    assert rc == 0 and len(found) == 1
    assert found[0]["frequency"] == "Recurring" and found[0]["start"] == "2026-11-01"
    assert found[0]["baseline"] == 2000.0 and found[0]["excess"] == 1000.0


# ----------------------------------------------------------------------------- 4. tag keys


def test_tag_keys_as_people_write_them(capsys) -> None:
    out = _report(capsys, CASES / "tag-key-case" / "billing.csv")
    assert [(r["desk"], r["cost"]) for r in out["by_desk"]] == [("equities", 10.0)]
    assert [(r["desk"], r["team"]) for r in out["by_team"]] == [("equities", "eq-quant")]
    assert [r["env"] for r in out["by_env"]] == ["prod"]
    assert [r["method"] for r in out["by_method"]] == ["tag"]
    assert out["tag_compliance"]["share"] == 1.0
    keys = {m["key"]: m["matched"] for m in out["tag_compliance"]["keys_matched"]}
    assert keys == {"desk": "user:Desk", "team": "user:Team", "env": "user:Environment",
                    "cost-centre": "user:CostCentre"}


def test_focus_sample_tag_keys_through_aliases(capsys, tmp_path: Path) -> None:
    tags = json.dumps({"environment": "prod", "CostCenter": "CC-1100", "Desk": "equities", "TEAM": "eq-quant"})
    bill = _rewrite(CASES / "tag-key-case" / "billing.csv", tmp_path / "billing.csv",
                    lambda rows: [{**rows[0], "Tags": tags}])
    out = _report(capsys, bill)
    assert out["tag_compliance"]["share"] == 1.0
    assert {m["matched"] for m in out["tag_compliance"]["keys_matched"]} == {"environment", "CostCenter", "Desk",
                                                                            "TEAM"}


# ----------------------------------------------------------------------------- 5. corrections, n/a utilisation


def test_correction_says_where_it_was_booked(capsys, tmp_path: Path) -> None:
    def correct(rows: list[dict]) -> list[dict]:
        fix = {**rows[0], "ChargeClass": "Correction", "BilledCost": "-2.00", "EffectiveCost": "-2.00",
               "ListCost": "-2.00", "ContractedCost": "-2.00", "BillingPeriodStart": "2026-11-01T00:00:00Z",
               "BillingPeriodEnd": "2026-12-01T00:00:00Z"}
        return [rows[0], fix]

    bill = _rewrite(CASES / "optional-decimal-not-number" / "billing.csv", tmp_path / "billing.csv", correct)
    out = _report(capsys, bill)
    assert out["total"] == pytest.approx(8.0)  # counted in the period it corrects (October)
    (c,) = out["corrections"]
    assert c["billing_period"] == "2026-11" and c["charge_month"] == "2026-10" and c["cost"] == -2.0
    assert "2026-11" in c["booked_in"] and "later invoice" in c["booked_in"]
    rc, text, _ = _run(capsys, ["cost", "report", str(REFERENCE), "-b", str(bill)])
    assert rc == 0 and "booked in billing period 2026-11" in text


def test_utilisation_is_na_without_use(capsys, tmp_path: Path) -> None:
    assert CommitmentUse("c", "aws", "Savings Plan", "equities", 0.0, 0.0, 0.0).utilisation is None

    def idle(rows: list[dict]) -> list[dict]:
        return [rows[0], {**rows[0], "CommitmentDiscountId": "sp-idle", "CommitmentDiscountStatus": "Used",
                          "CommitmentDiscountType": "Savings Plan", "EffectiveCost": "0", "BilledCost": "0",
                          "ListCost": "0", "ContractedCost": "0", "ResourceId": "i-idle"}]

    bill = _rewrite(CASES / "optional-decimal-not-number" / "billing.csv", tmp_path / "billing.csv", idle)
    rc, out, err = _run(capsys, ["cost", "commitments", str(REFERENCE), "-b", str(bill), "--json"])
    assert rc == 0, err
    (c,) = json.loads(out)["commitments"]
    assert c["id"] == "sp-idle" and c["utilisation"] is None
    rc, text, _ = _run(capsys, ["cost", "commitments", str(REFERENCE), "-b", str(bill)])
    assert rc == 0 and "n/a" in text and "0.0%" not in text.split("coverage")[0]


# ----------------------------------------------------------------------------- issue 11: bad billing input


def test_nonfinite_cost_is_refused(capsys) -> None:
    rc, _, err = _run(capsys, ["cost", "report", str(REFERENCE), "-b",
                               str(CASES / "billing-nonfinite-cost" / "billing.csv")])
    assert rc == 2 and "Traceback" not in err
    assert "billing.csv:3: EffectiveCost: row 2: 'inf' is not a finite amount" in err


def test_ragged_csv_row_is_located(capsys) -> None:
    rc, _, err = _run(capsys, ["cost", "report", str(REFERENCE), "-b",
                               str(CASES / "billing-csv-ragged-row-misdiagnosed" / "billing.csv")])
    assert rc == 2 and "Traceback" not in err
    assert "billing.csv:3: row has 43 fields, the header has 42" in err
    assert "mandatory" not in err


def test_parquet_tags_of_the_wrong_type(capsys) -> None:
    for cmd in ("report", "anomalies", "commitments"):
        rc, _, err = _run(capsys, ["cost", cmd, str(REFERENCE), "-b",
                                   str(CASES / "billing-parquet-tags-not-string" / "billing.parquet")])
        assert rc == 2 and "Traceback" not in err
        assert "billing.parquet: Tags: column has type BIGINT; FOCUS Tags is a JSON object string (or a MAP)" in err


def test_anomaly_days_must_fit_the_data(capsys, tmp_path: Path) -> None:
    out = tmp_path / "bill"
    assert main(["cost", "generate", str(REFERENCE), str(out), "--end", "2026-10-31", "--days", "40"]) == 0
    capsys.readouterr()
    rc, _, err = _run(capsys, ["cost", "anomalies", str(REFERENCE), "-b", str(out), "--days", "100000000"])
    assert rc == 2 and "Traceback" not in err
    assert "--days: must be between 1 and the days in the data (40)" in err
    for bad in ("0", "-3"):
        rc, _, err = _run(capsys, ["cost", "anomalies", str(REFERENCE), "-b", str(out), "--days", bad])
        assert rc == 2 and "--days" in err


# ----------------------------------------------------------------------------- 1b. a display currency never hides a budget

SMALL = Path(__file__).parents[2] / "examples" / "small"


@pytest.fixture(scope="module")
def small_billing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("small-billing")
    finops.generate(est_load(SMALL), out, end=date(2026, 8, 31), days=40, seed=7)
    return out


def est_load(path: Path):  # type: ignore[no-untyped-def]
    from tradeplane import estate

    return estate.load(path)


def _small(capsys: pytest.CaptureFixture[str], billing: Path, *extra: str) -> dict:
    rc, out, err = _run(capsys, ["cost", "report", str(SMALL), "-b", str(billing), "--json", *extra])
    assert rc == 0, err
    return json.loads(out)


def _eur_rates(tmp_path: Path) -> Path:
    p = tmp_path / "eur.yaml"
    p.write_text("currency: EUR\nas_of: 2026-10-31\nsource: test rates\nrates: {USD: 0.92}\n")
    return p


def test_converting_for_display_keeps_a_usd_budget_over(capsys, tmp_path: Path, small_billing: Path) -> None:
    plain = _small(capsys, small_billing)
    usd = next(b for b in plain["budgets"]["desks"] if b["desk"] == "futures")
    assert usd["currency"] == "USD" and usd["budget"] == 20000.0 and usd["status"] == "over"
    assert usd["month_to_date"] > 20000.0
    out = _small(capsys, small_billing, "--currency", "EUR", "--rates", str(_eur_rates(tmp_path)))
    assert out["currency"]["mode"] == "converted" and set(out["totals"]) == {"EUR"}
    fut = next(b for b in out["budgets"]["desks"] if b["desk"] == "futures")
    # Compared in USD from the billed amounts: the very figures of the unconverted report, still "over".
    assert fut == usd
    assert fut["not_compared"] == {} and fut["status"] == "over"
    rc, text, _ = _run(capsys, ["cost", "report", str(SMALL), "-b", str(small_billing), "--currency", "EUR",
                                "--rates", str(_eur_rates(tmp_path))])
    assert rc == 0 and "over" in text and f"${usd['month_to_date']:,.2f}"[:8] in text


def test_a_budget_in_the_target_currency_reads_the_converted_amounts(capsys, tmp_path: Path) -> None:
    rates = tmp_path / "rates.yaml"
    rates.write_text("currency: USD\nas_of: 2026-10-31\nsource: test rates\nrates: {EUR: 1.1}\n")
    out = _report(capsys, CASES / "multi-currency" / "billing.csv", "--currency", "USD", "--rates", str(rates))
    eq = next(b for b in out["budgets"]["desks"] if b["desk"] == "equities")
    assert eq["currency"] == "USD" and eq["month_to_date"] == pytest.approx(120.0) and eq["not_compared"] == {}
    # Filtering to EUR rows for display still compares the USD budget with the USD rows.
    out = _report(capsys, CASES / "multi-currency" / "billing.csv", "--currency", "EUR")
    eq = next(b for b in out["budgets"]["desks"] if b["desk"] == "equities")
    assert eq["month_to_date"] == 10.0 and eq["not_compared"] == {"EUR": 100.0}


# ----------------------------------------------------------------------------- 1c. rows left out are said, never hidden


@pytest.mark.parametrize("command", ["report", "anomalies", "commitments"])
@pytest.mark.parametrize("code", ["EUR", "XYZ"])
def test_a_currency_absent_from_the_data_is_an_error(capsys, small_billing: Path, command: str, code: str) -> None:
    for extra in ([], ["--json"]):
        rc, out, err = _run(capsys, ["cost", command, str(SMALL), "-b", str(small_billing), "--currency", code,
                                     *extra])
        assert rc == 2 and out == "" and "Traceback" not in err
        assert f"no billing row is in {code}" in err and "billed in USD (" in err and " rows)" in err
        assert "--rates FILE" in err and "--currency USD" in err
        assert "has no rows" not in err and "no anomalies" not in err
        assert len(err.strip().splitlines()) == 1 or "\n" not in " ".join(err.split())


def test_rows_left_out_are_counted_with_what_to_do(capsys) -> None:
    billing = str(CASES / "multi-currency" / "billing.csv")
    for command in (["report"], ["anomalies", "--days", "1"], ["commitments"]):
        rc, text, err = _run(capsys, ["cost", *command, str(REFERENCE), "-b", billing, "--currency", "EUR"])
        assert rc == 0, err
        flat = " ".join(text.split())
        assert "LEFT OUT: USD (1 row)" in flat and "--rates FILE" in flat and "--currency USD" in flat, flat
    rc, text, _ = _run(capsys, ["cost", "anomalies", str(REFERENCE), "-b", billing, "--currency", "EUR", "--days", "1"])
    flat = " ".join(text.split())
    assert "no anomalies in the EUR rows only of the last 1 day; not examined: 1 row in USD" in flat, flat
    rc, text, _ = _run(capsys, ["cost", "anomalies", str(REFERENCE), "-b", billing, "--currency", "EUR", "--days", "1",
                                "--json"])
    assert json.loads(text)["currency"]["left_out_rows"] == {"USD": 1}


# ----------------------------------------------------------------------------- 1d. every output says its currency


def test_anomalies_and_commitments_say_their_currency(capsys, tmp_path: Path, small_billing: Path) -> None:
    rates = str(_eur_rates(tmp_path))
    rc, text, err = _run(capsys, ["cost", "anomalies", str(SMALL), "-b", str(small_billing)])
    assert rc == 0 and "currency: billing currency USD" in " ".join(text.split()), err
    rc, text, err = _run(capsys, ["cost", "anomalies", str(SMALL), "-b", str(small_billing), "--currency", "EUR",
                                  "--rates", rates])
    flat = " ".join(text.split())
    assert rc == 0 and "amounts converted into EUR" in flat and "$" not in flat.split("currency:")[1], err
    util = small_billing / "utilisation.csv"
    plain = _run(capsys, ["cost", "commitments", str(SMALL), "-b", str(small_billing), "-u", str(util), "--json"])
    hints = json.loads(plain[1])["rightsizing"]
    assert hints and all(h["currency"] == "USD" for h in hints)
    rc, text, err = _run(capsys, ["cost", "commitments", str(SMALL), "-b", str(small_billing), "-u", str(util),
                                  "--currency", "EUR", "--rates", rates, "--json"])
    data = json.loads(text)
    assert rc == 0 and data["currency"]["mode"] == "converted"
    eur = data["rightsizing"]
    assert [h["currency"] for h in eur] == ["EUR"] * len(hints)
    assert eur[0]["monthly_saving"] == pytest.approx(hints[0]["monthly_saving"] * 0.92, abs=0.01)
    rc, text, err = _run(capsys, ["cost", "commitments", str(SMALL), "-b", str(small_billing), "-u", str(util),
                                  "--currency", "EUR", "--rates", rates])
    flat = " ".join(text.split())
    assert rc == 0 and "currency: amounts converted into EUR" in flat, err
    saving = f"€{eur[0]['monthly_saving']:,.2f}"
    assert "could save €" in flat and saving[:6] in flat and "could save $" not in flat


def test_a_rate_for_the_tables_own_currency_must_be_one(tmp_path: Path) -> None:
    bad = tmp_path / "r.yaml"
    bad.write_text("currency: USD\nas_of: 2026-10-31\nsource: t\nrates:\n  EUR: 1.1\n  USD: 1.2\n")
    with pytest.raises(InputError) as exc:
        finops.load_rates(bad)
    p = exc.value.problems[0]
    assert p.location is not None and p.location.line == 5 and "own currency" in p.message
    bad.write_text("currency: USD\nas_of: 2026-10-31\nsource: t\nrates: {EUR: 1.1, USD: 1}\n")
    assert finops.load_rates(bad).rate("EUR") == 1.1
