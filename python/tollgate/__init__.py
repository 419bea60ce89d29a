"""tollgate from Python: run the bundled `tollgate` binary and get its report as objects.

    import tollgate
    report = tollgate.check("contracts/orders.yaml", partition="2026-01-10")
    if not report.passed:
        for c in report.failed_checks:
            print(c.id, c.failures, c.message)

`check` runs `tollgate check … --format json` (docs/SPEC.md §3) and returns a `Report`; a check
that fails is a report (exit 1), not an exception. An invalid contract raises `ContractError`
(exit 2), unreadable data raises `DataError` (exit 3). No dependency beyond the standard library.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Union

__all__ = [
    "Check",
    "ContractError",
    "DataError",
    "Report",
    "Result",
    "TollgateError",
    "check",
    "find_tollgate_bin",
]

PathLike = Union[str, "os.PathLike[str]"]


class TollgateError(Exception):
    """tollgate could not produce a report; `exit_code` and `stderr` say why."""

    def __init__(self, message: str, exit_code: int, stderr: str) -> None:
        super().__init__(message)
        self.exit_code = exit_code
        self.stderr = stderr


class ContractError(TollgateError):
    """Exit 2: bad usage or an invalid contract; nothing was evaluated."""


class DataError(TollgateError):
    """Exit 3: the data could not be read (or another runtime error stopped the run).

    `report` holds what was evaluated anyway (other contracts of the run), when there is one."""

    def __init__(self, message: str, exit_code: int, stderr: str, report: Optional["Report"] = None) -> None:
        super().__init__(message, exit_code, stderr)
        self.report = report


@dataclass(frozen=True)
class Check:
    """One check of a result (SPEC §3)."""

    id: str
    kind: str
    column: Optional[str]
    severity: str
    status: str
    failures: Optional[int]
    observed: Any
    threshold: Any
    sample: List[Any]
    message: str
    samples: List[Dict[str, Any]] = field(default_factory=list)
    details: Optional[Dict[str, Any]] = None

    @property
    def passed(self) -> bool:
        return self.status in ("pass", "skipped")


@dataclass(frozen=True)
class Result:
    """One contract (and partition) checked."""

    contract: str
    contract_version: Optional[str]
    contract_path: str
    dataset: str
    partition: Optional[str]
    rows: Optional[int]
    status: str
    duration_ms: int
    checks: List[Check]
    candidate: Optional[str] = None
    outputs: Optional[Dict[str, Any]] = None
    error: Optional[str] = None


@dataclass(frozen=True)
class Report:
    """The whole run: `status` is the worst of the results; `exit_code` what the CLI returned."""

    report_version: int
    status: str
    results: List[Result]
    exit_code: int

    @property
    def passed(self) -> bool:
        return self.exit_code == 0

    @property
    def failed_checks(self) -> List[Check]:
        """Checks with status `fail` or `error`, across every result."""
        return [c for r in self.results for c in r.checks if c.status in ("fail", "error")]


def find_tollgate_bin() -> str:
    """The `tollgate` executable installed with this package (the wheel's scripts folder), else
    the one on PATH; `TOLLGATE_BIN` overrides both."""
    override = os.environ.get("TOLLGATE_BIN")
    if override:
        return override
    name = "tollgate.exe" if sys.platform == "win32" else "tollgate"
    scheme = "nt_user" if sys.platform == "win32" else "posix_user"
    for scripts in (sysconfig.get_path("scripts"), sysconfig.get_path("scripts", scheme)):
        candidate = Path(scripts) / name
        if candidate.is_file():
            return str(candidate)
    found = shutil.which(name)
    if found:
        return found
    raise FileNotFoundError("the tollgate executable was not found; reinstall with `pip install tollgate`")


def _option_args(options: Dict[str, Any]) -> List[str]:
    """`fail_on="warn"` → `--fail-on warn`; `all_partitions=True` → `--all-partitions`;
    a list repeats the flag (`report=["junit=x.xml"]`)."""
    args: List[str] = []
    for key, value in options.items():
        flag = "--" + key.replace("_", "-")
        if value is None or value is False:
            continue
        if value is True:
            args.append(flag)
        elif isinstance(value, (list, tuple)):
            for item in value:
                args += [flag, os.fspath(item) if isinstance(item, os.PathLike) else str(item)]
        else:
            args += [flag, os.fspath(value) if isinstance(value, os.PathLike) else str(value)]
    return args


def check(
    contract: Union[PathLike, Sequence[PathLike]],
    data: Optional[PathLike] = None,
    partition: Optional[str] = None,
    **options: Any,
) -> Report:
    """Runs `tollgate check` and returns its report.

    `contract` is one contract file or several; `data` replaces the dataset path; `partition`
    picks a partition. Any other option of `tollgate check` is a keyword: `now="2026-01-10"`,
    `all_partitions=True`, `candidate="staging/dt=2026-01-10"`, `history="history.db"`,
    `quarantine="rejected/"`, `fail_on="warn"`, `sample=10`, `report=["junit=results.xml"]`.
    """
    contracts = [contract] if isinstance(contract, (str, os.PathLike)) else list(contract)
    command = [find_tollgate_bin(), "check", *[os.fspath(c) for c in contracts], "--format", "json"]
    if data is not None:
        command += ["--data", os.fspath(data)]
    if partition is not None:
        command += ["--partition", partition]
    options.pop("format", None)  # the report is always JSON here
    command += _option_args(options)
    run = subprocess.run(command, capture_output=True, text=True)
    if run.returncode == 2:
        raise ContractError(run.stderr.strip() or "tollgate: bad usage", 2, run.stderr)
    if run.returncode not in (0, 1, 3):
        raise TollgateError(f"tollgate exited with {run.returncode}: {run.stderr.strip()}", run.returncode, run.stderr)
    try:
        document = json.loads(run.stdout)
    except ValueError:
        document = None
    if run.returncode == 3:
        report = _report(document, 3) if document is not None else None
        raise DataError(run.stderr.strip() or "tollgate: the data could not be read", 3, run.stderr, report)
    if document is None:
        raise TollgateError(f"tollgate printed no JSON report: {run.stderr.strip()}", run.returncode, run.stderr)
    return _report(document, run.returncode)


def _report(document: Dict[str, Any], exit_code: int) -> Report:
    results = []
    for r in document["results"]:
        checks = [
            Check(
                id=c["id"],
                kind=c["kind"],
                column=c.get("column"),
                severity=c["severity"],
                status=c["status"],
                failures=c.get("failures"),
                observed=c.get("observed"),
                threshold=c.get("threshold"),
                sample=c.get("sample", []),
                message=c["message"],
                samples=c.get("samples", []),
                details=c.get("details"),
            )
            for c in r.get("checks", [])
        ]
        results.append(
            Result(
                contract=r["contract"],
                contract_version=r.get("contract_version"),
                contract_path=r["contract_path"],
                dataset=r["dataset"],
                partition=r.get("partition"),
                rows=r.get("rows"),
                status=r["status"],
                duration_ms=r.get("duration_ms", 0),
                checks=checks,
                candidate=r.get("candidate"),
                outputs=r.get("outputs"),
                error=r.get("error"),
            )
        )
    return Report(report_version=document["report_version"], status=document["status"], results=results, exit_code=exit_code)
