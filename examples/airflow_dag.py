"""Airflow 3 DAG: load a day into staging, gate it with tollgate, then promote it atomically.

Why `--candidate`: checking the staging folder alone hides every dataset-level check — a key
already in production is not a duplicate there, a day never loaded is not missing, there is no
history to call a row count anomalous. `tollgate check CONTRACT --candidate STAGING/dt=D
--partition D` checks the staged files as partition D of production (the contract's
dataset.path), reading of production only what the checks need (footers, key columns).

Exit codes (docs/SPEC.md §3) decide what Airflow does:
  0  the data passed       -> promote
  1  it broke the contract -> fail at once (AirflowFailException: retrying cannot fix data)
  2  invalid contract      -> fail at once (a human must fix the contract)
  3  unreadable data       -> retry with backoff (late or half-written files), then fail
A failed check moves the candidate to rejected/ so it cannot poison later runs.

Configuration (environment, so one file serves every deployment and the test suite):
  TOLLGATE_BIN      the tollgate executable (default: `tollgate` on PATH)
  TOLLGATE_ROOT     the folder holding contracts/orders.yaml (dataset.path: ../production),
                    staging/, production/, rejected/ and reports/ (default /data/orders);
                    reports/orders-DATE.json for programs, reports/orders-DATE.html for people
  TOLLGATE_HISTORY  optional --history store shared by all workers: a postgres:// URL (workers
                    on several hosts), or a SQLite file on one machine
  ORDERS_LOAD       the command that writes staging/dt=DATE (default: none; data arrives by
                    itself). `{date}` and `{staging}` are replaced.
  TOLLGATE_RETRY_DELAY_SECONDS  first retry delay for exit 3 (default 300; doubles each time)
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
from pathlib import Path

from airflow.sdk import DAG, Asset, CronDataIntervalTimetable, TriggerRule, get_current_context, task
from airflow.sdk.exceptions import AirflowException, AirflowFailException, AirflowSkipException

TOLLGATE = os.environ.get("TOLLGATE_BIN", "tollgate")
ROOT = Path(os.environ.get("TOLLGATE_ROOT", "/data/orders"))
CONTRACT = ROOT / "contracts" / "orders.yaml"
STAGING, PRODUCTION, REJECTED, REPORTS = (ROOT / d for d in ("staging", "production", "rejected", "reports"))
HISTORY = os.environ.get("TOLLGATE_HISTORY")
LOAD = os.environ.get("ORDERS_LOAD")
RETRY_DELAY = dt.timedelta(seconds=int(os.environ.get("TOLLGATE_RETRY_DELAY_SECONDS", "300")))
ORDERS = Asset(f"file://{PRODUCTION}")


def partition_date() -> str:
    """The day this run is about.

    The schedule is an explicit data interval (CronDataIntervalTimetable): the run that starts at
    midnight covers the day that just ended, and data_interval_start is that day — Airflow 3's
    default `@daily` (CronTriggerTimetable) would make it the day that just *started*. A manual
    trigger may carry {"date": "YYYY-MM-DD"} in its conf; without one (Airflow 3 manual runs
    have no logical date) it checks yesterday (UTC).
    """
    context = get_current_context()
    conf = (context.get("dag_run").conf or {}) if context.get("dag_run") else {}
    if conf.get("date"):
        return dt.date.fromisoformat(conf["date"]).isoformat()
    start = context.get("data_interval_start")
    if start is not None:
        return start.date().isoformat()
    return (dt.datetime.now(dt.timezone.utc).date() - dt.timedelta(days=1)).isoformat()


with DAG(
    dag_id="orders_daily",
    schedule=CronDataIntervalTimetable("0 0 * * *", timezone="UTC"),
    start_date=dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc),
    catchup=False,
    # One run at a time: two runs promoting into the same production folder, or one reading
    # production while another replaces a partition, would race.
    max_active_runs=1,
    tags=["tollgate"],
) as dag:

    @task
    def prepare() -> str:
        """Creates the folders the pipeline needs and names the day."""
        for folder in (STAGING, PRODUCTION, REJECTED, REPORTS):
            folder.mkdir(parents=True, exist_ok=True)
        day = partition_date()
        if LOAD:
            subprocess.run(LOAD.format(date=day, staging=STAGING / f"dt={day}"), shell=True, check=True)
        return day

    @task(retries=3, retry_delay=RETRY_DELAY, retry_exponential_backoff=2.0)
    def tollgate_check(day: str) -> dict:
        candidate = STAGING / f"dt={day}"
        if not candidate.exists() and (PRODUCTION / f"dt={day}").exists():
            raise AirflowSkipException(f"dt={day} is already in production and nothing new is staged")
        report = REPORTS / f"orders-{day}.json"
        command = [
            TOLLGATE, "check", str(CONTRACT),
            "--candidate", str(candidate), "--partition", day,
            "--now", dt.datetime.now(dt.timezone.utc).isoformat(),
            "--quarantine", str(REJECTED / "rows"),
            "--report", f"json={report}",
            # The page the person on call opens: one self-contained file, charts included.
            "--report", f"html={report.with_suffix('.html')}",
            "--color", "never",
        ]
        if HISTORY:
            command += ["--history", HISTORY]
        result = subprocess.run(command, capture_output=True, text=True)
        print(result.stdout, end="")
        print(result.stderr, end="")
        if result.returncode == 0:
            return {"day": day, "report": str(report)}
        if result.returncode in (1, 2):
            what = "broke its contract" if result.returncode == 1 else "has an invalid contract"
            raise AirflowFailException(f"dt={day} {what} (tollgate exit {result.returncode}); not retried")
        raise AirflowException(f"tollgate could not read dt={day} (exit {result.returncode}); retrying")

    @task(outlets=[ORDERS])
    def promote(checked: dict) -> None:
        """Replaces production's partition atomically; re-running a date is harmless."""
        day = checked["day"]
        source, target = STAGING / f"dt={day}", PRODUCTION / f"dt={day}"
        incoming, previous = PRODUCTION / f".dt={day}.incoming", PRODUCTION / f".dt={day}.previous"
        for leftover in (incoming, previous):
            shutil.rmtree(leftover, ignore_errors=True)
        shutil.copytree(source, incoming)
        if target.exists():
            target.rename(previous)
        incoming.rename(target)  # same folder: one atomic rename
        shutil.rmtree(previous, ignore_errors=True)
        shutil.rmtree(source)

    @task(trigger_rule=TriggerRule.ONE_FAILED)
    def reject(day: str) -> None:
        """A rejected candidate leaves staging, kept for inspection under rejected/."""
        source = STAGING / f"dt={day}"
        if source.exists():
            stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%S")
            source.rename(REJECTED / f"dt={day}.{stamp}")

    day = prepare()
    checked = tollgate_check(day)
    promote(checked)
    reject_task = reject(day)
    checked >> reject_task
