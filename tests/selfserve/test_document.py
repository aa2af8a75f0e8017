"""The round-trip patch: comments, order and untouched lines survive; the patch means what the model says."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import EXAMPLES
from tradeplane import estate as est
from tradeplane.errors import InputError
from tradeplane.estate import Budget, Workload
from tradeplane.selfserve import parse_request
from tradeplane.selfserve.document import EstateDocument, splice
from tradeplane.selfserve.kinds.workload import WorkloadRequest

DV = EXAMPLES / "dv-trading"


def _patched(tmp: Path, doc: EstateDocument) -> Path:
    copy = tmp / "estate"
    if copy.exists():
        shutil.rmtree(copy)
    shutil.copytree(DV, copy)
    for path, text in doc.texts().items():
        (copy / path.relative_to(DV)).write_text(text, encoding="utf-8")
    return copy


def test_no_edit_changes_nothing() -> None:
    doc = EstateDocument.load(DV)
    assert doc.texts() == {}
    assert doc.diff() == ""


def test_splice_keeps_lines_the_edit_does_not_touch() -> None:
    original = "a: {x: 1,\n    y: 2}\nb: [1]\nc: 3\n"
    before = "a: {x: 1, y: 2}\nb: [1]\nc: 3\n"  # a dump that joined the flow mapping
    after = "a: {x: 1, y: 2}\nb: [1]\nc: 4\n"
    assert splice(original, before, after) == "a: {x: 1,\n    y: 2}\nb: [1]\nc: 4\n"


def test_comments_survive_and_the_new_workload_joins_its_desk(reference_estate: est.Estate) -> None:
    doc = EstateDocument.load(DV)
    req = parse_request({"kind": "workload", "name": "cme-spreader", "desk": "futures", "near": "cme-globex",
                         "venues": ["cme-globex"], "latency_us": 9000, "ports": [9300]})
    req.apply(doc, reference_estate)
    texts = doc.texts()
    assert list(texts) == [DV / "workloads.yaml"]
    old = (DV / "workloads.yaml").read_text()
    new = texts[DV / "workloads.yaml"]
    old_comments = [line for line in old.splitlines() if line.lstrip().startswith("#")]
    assert old_comments == [line for line in new.splitlines() if line.lstrip().startswith("#")]
    # every original line is still there, in order: the patch only adds lines
    removed = [line for line in doc.diff().splitlines() if line.startswith("-") and not line.startswith("---")]
    assert removed == []
    # inserted after the last futures workload, before the equities heading (which stays its heading)
    assert new.index("- name: cme-md-feed-b") < new.index("- name: cme-spreader") < new.index("equities (AWS us-east-1)")
    assert "venues: [cme-globex]\n\n  # ------" in new  # the blank line before the heading moved with it
    assert "    latency_budgets: [{to: cme-globex, rtt_us: 9000}]\n    listens_on: [9300]\n" in new


def test_flow_patch_writes_every_file_that_owns_a_section(reference_estate: est.Estate) -> None:
    doc = EstateDocument.load(DV)
    req = parse_request({"kind": "flow", "src": "eq-strategy", "dst": "futures-pricer", "ports": [7001],
                         "reason": "a second signal channel"})
    changes = req.apply(doc, reference_estate)
    files = sorted(p.name for p in doc.texts())
    assert files == ["guardrails.yaml", "networks-aws.yaml", "networks-gcp.yaml", "workloads.yaml"]
    assert any(c.startswith("intents: add flow-eq-strategy-to-futures-pricer") for c in changes)
    diff = doc.diff()
    assert "+            peers: [{cidr: 10.50.4.0/22}]\n" in diff  # single-key flow mappings keep their braces
    gcp = doc.texts()[DV / "networks-gcp.yaml"]
    # the new firewall rule closes the list; the blank line before the next section stays before it
    assert "        description: a second signal channel (self-serve flow eq-strategy -> futures-pricer)\n\n" \
           "firewall_policies:\n" in gcp


def test_multiline_flow_mappings_survive_an_edit_of_their_file(reference_estate: est.Estate) -> None:
    doc = EstateDocument.load(DV)
    parse_request({"kind": "venue", "target": "coinbase-mm", "venue": "kraken"}).apply(doc, reference_estate)
    parse_request({"kind": "venue", "target": "binance-mm", "venue": "binance",
                   "connection": "cross_connect"}).apply(doc, reference_estate)
    new = doc.texts()[DV / "venues.yaml"]
    # the two-line api_keys items of binance are kept as written
    assert '      - {name: binance-mm-trade, secret_ref: "aws-sm://crypto/binance/mm-trade", permissions: [read, trade],\n' \
           "         allowlist: [198.18.10.4]}\n" in new
    assert "      - {kind: cross_connect}\n" in new


RATES = {"currency": "USD", "as_of": "2026-10-31", "source": "ECB euro foreign exchange reference rates",
         "rates": {"EUR": 1.0842, "GBP": 1.2913}}


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(amount=st.integers(min_value=1, max_value=700_000_000), currency=st.sampled_from(["USD", "EUR", "GBP"]),
       desk=st.sampled_from(["equities", "futures", "crypto", "research", "platform"]))
def test_budget_patch_then_reload_equals_the_change_on_the_model(tmp_path: Path, reference_estate: est.Estate,
                                                                 amount: int, currency: str, desk: str) -> None:
    """Every budget is written in USD (monthly_usd): another currency converted with the FinOps rate table."""
    doc = EstateDocument.load(DV)
    rates = {"rates": RATES} if currency != "USD" else {}
    req = parse_request({"kind": "budget", "desk": desk, "amount": amount, "currency": currency, **rates})
    [change] = req.apply(doc, reference_estate)
    loaded = est.load(_patched(tmp_path, doc))
    usd = round(amount * RATES["rates"][currency], 2) if currency != "USD" else amount  # type: ignore[index]
    budgets = tuple(Budget(desk=b.desk, monthly_usd=usd, alert_at=b.alert_at, currency="USD")
                    if b.desk == desk else b for b in reference_estate.budgets)
    assert loaded == reference_estate.model_copy(update={"budgets": budgets})
    assert (f"{amount:,} {currency} at" in change) is (currency != "USD"), change


@pytest.mark.parametrize(("fields", "says"), [
    ({"currency": "XYZ"}, "XYZ cannot be converted into USD without a rate table"),
    ({"currency": "EUR"}, "EUR cannot be converted into USD without a rate table"),
    ({"currency": "JPY", "rates": RATES}, "has no rate for JPY: it lists EUR, GBP"),
    ({"currency": "EUR", "rates": {**RATES, "currency": "EUR", "rates": {"GBP": 0.86}}}, "converts into EUR, not USD"),
    ({"currency": "USD", "rates": RATES}, "needs no rate table"),
])
def test_a_budget_in_a_currency_finops_cannot_convert_into_usd_is_refused(fields: dict[str, object],
                                                                          says: str) -> None:
    """Found in a new-user trial: `request budget futures 250000 --currency XYZ` was acceptable and wrote
    `monthly_usd: 250000, currency: XYZ`, dropping the USD budget the estimate is checked against."""
    with pytest.raises(InputError) as caught:
        parse_request({"kind": "budget", "desk": "futures", "amount": 250000, **fields})
    [line] = caught.value.lines()
    assert line.startswith("currency: ") and says in line, line


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.from_regex(r"\Anew-[a-z]{1,10}\Z"), count=st.integers(min_value=1, max_value=50),
       ports=st.lists(st.integers(min_value=1, max_value=65535), max_size=3, unique=True),
       desk=st.sampled_from(["equities", "futures", "research"]), latency=st.integers(min_value=1, max_value=50_000))
def test_workload_patch_then_reload_equals_the_change_on_the_model(tmp_path: Path, reference_estate: est.Estate,
                                                                   name: str, count: int, ports: list[int],
                                                                   desk: str, latency: int) -> None:
    req = WorkloadRequest(name=name, desk=desk, count=count, ports=tuple(ports), venues=("nasdaq",),
                          latency_us=latency)
    doc = EstateDocument.load(DV)
    req.apply(doc, reference_estate)
    loaded = est.load(_patched(tmp_path, doc))
    new = Workload.model_validate(req.workload(reference_estate))
    ws = list(reference_estate.workloads)
    at = max(i for i, w in enumerate(ws) if w.desk == desk) + 1
    expected = reference_estate.model_copy(update={"workloads": (*ws[:at], new, *ws[at:])})
    assert loaded == expected


def test_request_on_a_missing_file_estate_is_a_located_error(tmp_path: Path) -> None:
    from tradeplane.errors import EstateError

    with pytest.raises(EstateError):
        EstateDocument.load(tmp_path / "nowhere")


def test_an_estate_written_by_pyyaml_keeps_its_indentation(tmp_path: Path, small_estate: est.Estate) -> None:
    import yaml

    data = yaml.safe_load((EXAMPLES / "small" / "estate.yaml").read_text())
    (tmp_path / "estate.yaml").write_text(yaml.safe_dump(data, sort_keys=False))  # "- item" right under its key
    doc = EstateDocument.load(tmp_path)
    parse_request({"kind": "budget", "desk": "futures", "amount": 25000}).apply(doc, small_estate)
    parse_request({"kind": "workload", "name": "new-thing", "desk": "futures"}).apply(doc, small_estate)
    changed = [line for line in doc.diff().splitlines() if line[:1] in "+-" and line[:3] not in ("+++", "---")]
    assert changed[:2] == ["-  monthly_usd: 20000", "+  monthly_usd: 25000"]
    assert [line for line in changed[2:] if line.startswith("-")] == []
    assert "+- name: new-thing" in changed
