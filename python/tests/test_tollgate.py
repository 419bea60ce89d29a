"""Tests of the Python module against the installed wheel's binary (run by .ci/run with pytest
in a fresh virtualenv where the wheel is installed)."""

import shutil
import subprocess
from pathlib import Path

import pytest

import tollgate

REPO = Path(__file__).resolve().parents[2]
NOW = "2026-01-11T00:00:00Z"


def test_the_bundled_binary_is_found_and_runs():
    binary = tollgate.find_tollgate_bin()
    assert Path(binary).is_file()
    out = subprocess.run([binary, "--version"], capture_output=True, text=True, check=True)
    assert out.stdout.startswith("tollgate ")


def test_a_failing_contract_returns_a_report_with_its_failures():
    report = tollgate.check(REPO / "contracts/orders.yaml", now=NOW)
    assert report.exit_code == 1
    assert not report.passed
    assert report.status == "fail"
    assert [c.id for c in report.failed_checks] == ["amount.range"]
    amount = report.failed_checks[0]
    assert amount.failures == 7
    assert amount.samples[0]["value"] == -50.0
    assert report.results[0].rows == 1000


def test_options_become_flags():
    report = tollgate.check(REPO / "contracts/orders_daily.yaml", all_partitions=True, now="2026-01-11", sample=1)
    assert [r.partition for r in report.results][:2] == ["2026-01-01", "2026-01-02"]
    passing = tollgate.check(REPO / "contracts/orders_daily.yaml", partition="2026-01-03", now="2026-01-04")
    assert passing.passed and passing.exit_code == 0 and passing.failed_checks == []


def test_an_invalid_contract_raises_contract_error(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("contract: t\ndataset: {path: x.parquet}\nschema:\n  columns:\n    - {name: a, tpye: int64}\n")
    with pytest.raises(tollgate.ContractError) as caught:
        tollgate.check(bad)
    assert caught.value.exit_code == 2
    assert "bad.yaml:5" in str(caught.value)


def test_unreadable_data_raises_data_error(tmp_path):
    contract = tmp_path / "c.yaml"
    contract.write_text("contract: t\ndataset: {path: missing.parquet}\n")
    with pytest.raises(tollgate.DataError) as caught:
        tollgate.check(contract)
    assert caught.value.exit_code == 3
    assert "missing.parquet" in str(caught.value)
    assert caught.value.report is not None and caught.value.report.results[0].error


def test_paths_with_spaces(tmp_path):
    folder = tmp_path / "a folder with spaces"
    folder.mkdir()
    shutil.copy(REPO / "fixtures/orders.parquet", folder / "my orders.parquet")
    contract = folder / "my contract.yaml"
    contract.write_text("contract: spaced\ndataset: {path: my orders.parquet}\nschema:\n  columns:\n    - {name: order_id, required: true}\n")
    report = tollgate.check(contract)
    assert report.passed
    other = tollgate.check(contract, data=folder / "my orders.parquet")
    assert other.results[0].rows == 1000
