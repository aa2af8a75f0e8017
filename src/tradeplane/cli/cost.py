"""`tradeplane cost report|anomalies|commitments|estimate|generate|sql`."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from tradeplane.cli._lazy import lazy
from tradeplane.cli.output import Table, console, print_json
from tradeplane.errors import InputError
from tradeplane.writing import check_dir, check_file, write_file

if TYPE_CHECKING:
    from tradeplane import estate as est
    from tradeplane import finops
else:
    est = lazy("tradeplane.estate")
    finops = lazy("tradeplane.finops")

app = typer.Typer(no_args_is_help=True,
                  help="Cost by desk and team from FOCUS billing data; anomalies, commitments, estimates.")

EstateDir = typer.Argument(..., help="estate directory", show_default=False)
BillingOpt = typer.Option(..., "--billing", "-b", help="FOCUS export files or directories (repeatable)",
                          show_default=False)
JsonOpt = typer.Option(False, "--json", help="print JSON instead of tables")
RulesOpt = typer.Option(None, "--rules", help="allocation rules YAML (default: the shipped rules)")
MemOpt = typer.Option("2GB", "--memory-limit", help="DuckDB memory limit; larger data spills to disk")
SinceOpt = typer.Option(None, "--since", help="first day (YYYY-MM-DD); default: first of the last month in the data")
UntilOpt = typer.Option(None, "--until", help="last day (YYYY-MM-DD); default: the last day in the data")
CurrencyOpt = typer.Option(None, "--currency",
                           help="report in this ISO 4217 currency: convert with --rates, else only its rows")
RatesOpt = typer.Option(None, "--rates", help="exchange-rate table YAML (currency, as_of, source, rates)")


def _day(text: str | None, name: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InputError.single(f"--{name} '{text}' is not a date", field=name, hint="write YYYY-MM-DD") from None


def _money(x: float, currency: str = "USD") -> str:
    return finops.money(x, currency)


def _count(n: int, what: str) -> str:
    return f"{n:,} {what}" + ("" if n == 1 else "s")


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.1%}"


def _session(path: Path, billing: list[Path], rules: Path | None, memory: str, currency: str | None = None,
             rates: Path | None = None) -> finops.CostSession:
    e = est.load(path)
    return finops.open_session(e, billing, rules=finops.load_rules(rules, e),
                               db=finops.BillingDbConfig(memory_limit=memory), currency=currency,
                               rates=finops.load_rates(rates) if rates is not None else None)


def _notice(synthetic: bool) -> None:
    if synthetic:
        console.print("[bold yellow]GENERATED DATA[/]: synthetic FOCUS billing from `tradeplane cost generate`, "
                      "not a real bill")


@app.command()
def report(
    path: Path = EstateDir,
    billing: list[Path] = BillingOpt,
    since: str | None = SinceOpt,
    until: str | None = UntilOpt,
    csv: Path | None = typer.Option(None, "--csv", help="write the allocated rows to this CSV"),
    parquet: Path | None = typer.Option(None, "--parquet", help="write the allocated rows to this Parquet file"),
    html: Path | None = typer.Option(None, "--html", help="write a self-contained HTML report with charts"),
    top: int = typer.Option(10, "--top", help="untagged resources to list"),
    rules: Path | None = RulesOpt,
    memory_limit: str = MemOpt,
    currency: str | None = CurrencyOpt,
    rates: Path | None = RatesOpt,
    json: bool = JsonOpt,
) -> None:
    """Cost by desk, team, service and cloud; month to date against budget with a forecast; untagged spend."""
    for option, out in (("--csv", csv), ("--parquet", parquet), ("--html", html)):
        if out is not None:
            check_file(out, option)  # before any work
    with _session(path, billing, rules, memory_limit, currency, rates) as s:
        rep = s.report(since=_day(since, "since"), until=_day(until, "until"), top=top)
        written = []
        for out in (csv, parquet):
            if out is not None:
                written.append(finops.export_allocation(s.con, rep.period, out))
        if html is not None:
            write_file(html, s.html(rep), "--html")
            written.append(str(html))
    if json:
        data = rep.to_json()
        data["written"] = written
        print_json(data)
        return
    _notice(rep.synthetic)

    def amounts(d: dict[str, float]) -> str:
        return ", ".join(_money(v, c) for c, v in sorted(d.items())) or _money(0.0)

    console.print(f"[bold]cost report[/] {rep.period} ({_count(rep.period.days, 'day')}, {rep.cost_basis} cost): "
                  f"total [bold]{amounts(rep.totals)}[/]; allocation rules {rep.rules_source}")
    console.print(f"currency: {rep.currency.note}", markup=False, highlight=False, soft_wrap=True)
    t = Table("desk", "cost", "direct", "shared", "share", title="by desk", title_justify="left")
    for r in rep.by_desk:
        t.add_row(r.key[0], _money(r.cost, r.currency), _money(r.direct, r.currency), _money(r.shared, r.currency),
                  f"{r.share:.1%}")
    console.print(t)
    t = Table("desk", "budget", "month to date", "forecast", "forecast %", "status", "not compared",
              title=f"budgets {rep.month} (as of {rep.as_of}; each in its own currency)", title_justify="left")
    for b in rep.budgets:
        colour = {"over": "red", "at-risk": "yellow"}.get(b.status, "green")
        t.add_row(b.desk, _money(b.budget, b.currency), _money(b.month_to_date, b.currency),
                  _money(b.forecast, b.currency), f"{b.forecast_used:.0%}", f"[{colour}]{b.status}[/]",
                  ", ".join(_money(v, c) for c, v in b.not_compared))
    console.print(t)
    t = Table("desk", "team", "cost", title="by team", title_justify="left")
    for r in rep.by_team:
        t.add_row(r.key[0], r.key[1], _money(r.cost, r.currency))
    console.print(t)
    t = Table("cloud", "service", "cost", "share", title="by service", title_justify="left")
    for r in rep.by_service:
        t.add_row(r.key[0], r.key[1], _money(r.cost, r.currency), f"{r.share:.1%}")
    console.print(t)
    console.print("by cloud: " + ", ".join(f"{r.key[0]} {_money(r.cost, r.currency)}" for r in rep.by_cloud))
    console.print(f"untagged spend {amounts(rep.untagged_costs)}; unallocatable {amounts(rep.unallocated_costs)}")
    missing = "; ".join(", ".join(f"{k} {_money(v, c)}" for k, v in m.items())
                        for c, m in sorted(rep.missing_costs.items())) or "none"
    console.print(f"tag compliance ({', '.join(rep.required_tags)}): {rep.tag_compliance:.1%} of usage cost; "
                  f"cost lacking each tag: {missing}")
    if rep.tag_keys:
        console.print("tag keys read: " + ", ".join(f"{m.key} from {m.matched} ({m.rows} rows)" for m in rep.tag_keys),
                      markup=False, highlight=False, soft_wrap=True)
    for c in rep.corrections:
        console.print(f"correction: {_money(c.cost, c.currency)} ({c.rows} rows) booked in billing period "
                      f"{c.billing_period} ({c.booked}), counted in {c.charge_month}, the period it corrects")
    t = Table("resource", "service", "account", "allocated to", "cost", title="untagged: top resources",
              title_justify="left")
    for u in rep.untagged_top:
        t.add_row(u.resource_id, u.service, u.sub_account, u.allocated_to, _money(u.cost, u.currency))
    console.print(t)
    for w in written:
        console.print(f"wrote {w}")


@app.command()
def anomalies(
    path: Path = EstateDir,
    billing: list[Path] = BillingOpt,
    days: int = typer.Option(30, "--days", min=1, help="examine the last N days (at most the days in the data)"),
    rules: Path | None = RulesOpt,
    memory_limit: str = MemOpt,
    currency: str | None = CurrencyOpt,
    rates: Path | None = RatesOpt,
    json: bool = JsonOpt,
) -> None:
    """Daily spend per desk and service against its weekday baseline: size, start and driving resources."""
    with _session(path, billing, rules, memory_limit, currency, rates) as s:
        found = s.anomalies(finops.AnomalySettings(days=days))
        synthetic = s.billing.synthetic
        view = s.currency
    if json:
        print_json({"synthetic": synthetic, "currency": view.to_json(), "anomalies": [a.to_json() for a in found]})
        return
    _notice(synthetic)
    console.print(f"currency: {view.note}", markup=False, highlight=False, soft_wrap=True)
    if not found:
        if view.left_out_rows:
            console.print(f"[yellow]no anomalies in the {view.currency} rows only[/] of the last "
                          f"{_count(days, 'day')}; not examined: {_count(view.left_out_rows, 'row')} in "
                          f"{', '.join(sorted(view.left_out))} (see currency above)")
        else:
            console.print(f"[green]no anomalies[/] in the last {_count(days, 'day')}")
        return
    t = Table("#", "desk", "service", "start", "days", "cost", "baseline", "excess", "peak",
              title="anomalies (daily spend against the same weekday of the 4 previous weeks)", title_justify="left")
    for i, a in enumerate(found, 1):
        what = a.start.isoformat() + (" (ongoing)" if a.ongoing else "")
        if a.frequency == "Recurring":
            what += " (recurring, vs the month before)"
        t.add_row(str(i), a.desk, a.service, what, str(a.days), _money(a.cost, a.currency),
                  _money(a.baseline, a.currency), _money(a.excess, a.currency), f"x{a.peak_ratio:.2f}")
    console.print(t)
    for i, a in enumerate(found, 1):
        if not a.drivers:
            continue
        console.print(f"[bold]#{i}[/] {a.desk} / {a.service}: driven by")
        for d in a.drivers:
            console.print(f"  {d.resource_id}  {_money(d.before_daily, a.currency)}/day -> "
                          f"{_money(d.during_daily, a.currency)}/day (+{_money(d.excess, a.currency)})",
                          soft_wrap=True)


@app.command()
def commitments(
    path: Path = EstateDir,
    billing: list[Path] = BillingOpt,
    utilisation: Path | None = typer.Option(None, "--utilisation", "-u",
                                            help="utilisation CSV for rightsizing hints"),
    since: str | None = SinceOpt,
    until: str | None = UntilOpt,
    rules: Path | None = RulesOpt,
    memory_limit: str = MemOpt,
    currency: str | None = CurrencyOpt,
    rates: Path | None = RatesOpt,
    json: bool = JsonOpt,
) -> None:
    """Savings Plan / RI / CUD coverage and utilisation; rightsizing hints from utilisation data."""
    with _session(path, billing, rules, memory_limit, currency, rates) as s:
        rep = s.commitments(since=_day(since, "since"), until=_day(until, "until"))
        hints = s.rightsizing(utilisation) if utilisation is not None else []
    if json:
        data = rep.to_json()
        data["rightsizing"] = [h.to_json() for h in hints]
        print_json(data)
        return
    _notice(rep.synthetic)
    if rep.currency is not None:
        console.print(f"currency: {rep.currency.note}", markup=False, highlight=False, soft_wrap=True)
    t = Table("commitment", "type", "desk", "used", "unused", "utilisation", "savings",
              title=f"commitments {rep.period.start} .. {rep.period.end}", title_justify="left")
    for c in rep.commitments:
        t.add_row(c.id, c.type, c.desk, _money(c.used, c.currency), _money(c.unused, c.currency),
                  _pct(c.utilisation), _money(c.savings, c.currency))
    console.print(t)
    t = Table("cloud", "desk", "eligible (on-demand)", "covered", "coverage", title="coverage", title_justify="left")
    for cov in rep.coverage:
        t.add_row(cov.provider, "all desks" if cov.desk == "*" else cov.desk, _money(cov.eligible, cov.currency),
                  _money(cov.covered, cov.currency), _pct(cov.coverage))
    console.print(t)
    if utilisation is not None:
        t = Table("resource", "type", "suggest", "cpu p95", "mem p95", "saving / month", title="rightsizing",
                  title_justify="left")
        for h in hints:
            t.add_row(h.resource_id, h.machine_type, h.suggestion, f"{h.cpu_p95:.0f}%", f"{h.mem_p95:.0f}%",
                      _money(h.monthly_saving, h.currency))
        console.print(t)
        total = ", ".join(_money(v, c) for c, v in finops.savings_by_currency(hints).items()) or _money(0.0)
        console.print(f"rightsizing could save {total} a month (list prices from the shipped price table)")


@app.command()
def estimate(
    path: Path = EstateDir,
    against: Path | None = typer.Option(None, "--against", help="the old estate: show the difference"),
    assumptions: Path | None = typer.Option(None, "--assumptions", help="data transfer assumptions YAML"),
    json: bool = JsonOpt,
) -> None:
    """Monthly cost of what the estate declares, from the shipped price table; --against OLD for the change."""
    a = finops.load_assumptions(assumptions)
    new = finops.estimate(est.load(path), a)
    if against is not None:
        old = finops.estimate(est.load(against), a)
        d = finops.diff(old, new)
        if json:
            print_json({"estimate": new.to_json(), "diff": d.to_json()})
            return
        console.print(f"prices: {new.price_source} ({new.price_as_of})")
        t = Table("resource", "change", "old", "new", "monthly delta", title=f"{against} -> {path}",
                  title_justify="left")
        for c in d.changes:
            colour = "red" if c.delta > 0 else "green"
            t.add_row(c.id, c.change, c.old_description or "-", c.new_description or "-",
                      f"[{colour}]{c.delta:+,.2f}[/]")
        console.print(t)
        pct = f" ({d.delta / d.old_total:+.1%})" if d.old_total else ""
        console.print(f"monthly cost {_money(d.old_total)} -> {_money(d.new_total)}: [bold]{d.delta:+,.2f}[/]{pct}")
        return
    if json:
        print_json(new.to_json())
        return
    render_estimate(new)


def render_estimate(new: finops.Estimate, *, lines: bool = True) -> None:
    """Print an estimate (also used by `tradeplane plan`)."""
    console.print(f"prices: {new.price_source} ({new.price_as_of}); data transfer assumptions: "
                  f"{new.assumptions.source}")
    if lines:
        t = Table("resource", "desk", "what", "quantity", "unit price", "monthly", title=f"estimate {new.estate}",
                  title_justify="left")
        for line in new.lines:
            t.add_row(line.id, line.desk, line.description, f"{line.quantity:,.0f} {line.unit}",
                      f"{line.unit_price:g}", _money(line.monthly))
        console.print(t)
    console.print("by desk: " + ", ".join(f"{k} {_money(v)}" for k, v in new.by("desk").items()))
    console.print(f"total [bold]{_money(new.total_monthly)}[/] a month (everything the estate bills: instances, "
                  "clusters, networks, links and data transfer)")


@app.command()
def generate(
    path: Path = EstateDir,
    out: Path = typer.Argument(..., help="output directory", show_default=False),
    end: str | None = typer.Option(None, "--end", help="last day (YYYY-MM-DD); default: yesterday (UTC)"),
    days: int = typer.Option(92, "--days", help="days of data"),
    seed: int = typer.Option(7, "--seed", help="random seed (same seed, same files)"),
    hourly: bool = typer.Option(False, "--hourly", help="hourly rows instead of daily"),
    scale: int = typer.Option(1, "--scale", help="multiply every fleet (for large data sets)"),
    fmt: str = typer.Option("parquet", "--format", help="parquet or csv"),
    json: bool = JsonOpt,
) -> None:
    """Write synthetic FOCUS billing (AWS and GCP), utilisation data and a manifest for an estate."""
    check_dir(out, "OUT")  # before any work
    last = _day(end, "end") or (datetime.now(timezone.utc).date() - timedelta(days=1))  # noqa: UP017
    res = finops.generate(est.load(path), out, end=last, days=days, seed=seed, slices=24 if hourly else 1,
                          scale=scale, fmt=fmt)
    if json:
        print_json(res.to_json())
        return
    console.print(f"[bold yellow]GENERATED DATA[/]: {res.rows:,} synthetic FOCUS rows, {res.start} .. {res.end} "
                  f"(seed {res.seed})")
    for f in [*res.files, res.utilisation, str(out / 'manifest.json')]:
        console.print(f"wrote {f}")
    m = res.monthly_list_usd
    console.print(f"a month at list prices: ${sum(m.values()):,.2f} = ${m['declared']:,.2f} the estate declares "
                  f"(instances, volumes, networks, links: what `cost estimate` prices) + ${m['undeclared']:,.2f} it "
                  f"does not (data, databases, analytics, logs per desk, sized to 45-93% of its budget: a bill is "
                  f"more than the estate lists) + ${m['untagged']:,.2f} untagged + ${m['support']:,.2f} support; "
                  "discounts, commitments and the injected anomalies move what is billed")
    for a in res.anomalies:
        console.print(f"injected anomaly: {a.desk} / {a.service} from {a.start}: {a.what}")


@app.command()
def sql(
    path: Path = EstateDir,
    dialect: str = typer.Option(..., "--dialect", help="bigquery, athena (or trino, duckdb)"),
    table: str | None = typer.Option(None, "--table", help="the provider's FOCUS table"),
    rules: Path | None = RulesOpt,
    output: Path | None = typer.Option(None, "-o", "--output", help="write to this file"),
) -> None:
    """The allocation query for BigQuery (GCP FOCUS export) or Athena (AWS FOCUS export)."""
    if output is not None:
        check_file(output)  # before any work
    e = est.load(path)
    text = finops.warehouse_sql(e, finops.load_rules(rules, e), dialect, table)
    if output is None:
        console.file.write(text)
    else:
        write_file(output, text)
        console.print(f"wrote {output}")
