"""An Airflow DAG whose promotion step is gated by tollgate.

The check task runs tollgate on the partition the DAG run produced. Exit codes (SPEC §3):
0 = pass (promote), 1 = the data broke the contract, 2 = the contract is invalid,
3 = the data could not be read. Any nonzero exit fails the task, so `promote` never runs on bad
data; rows that broke row-level rules are routed to a dead-letter folder for inspection.
"""

from datetime import datetime

from airflow import DAG
from airflow.operators.bash import BashOperator

TOLLGATE = "/opt/tollgate/bin/tollgate"
CONTRACT = "/opt/pipelines/contracts/orders.yaml"
STAGING = "/data/staging/orders"
PRODUCTION = "/data/production/orders"

with DAG(
    dag_id="orders_daily",
    start_date=datetime(2026, 1, 1),
    schedule="@daily",
    catchup=False,
) as dag:
    load = BashOperator(
        task_id="load_staging",
        bash_command="load-orders --date {{ ds }} --out " + STAGING + "/dt={{ ds }}",
    )

    check = BashOperator(
        task_id="tollgate_check",
        bash_command=(
            f"{TOLLGATE} check {CONTRACT} --data {STAGING} --partition {{{{ ds }}}} "
            "--now {{ data_interval_end.isoformat() }} "
            "--history /data/tollgate/history.db "
            "--quarantine /data/dead-letter/orders "
            "--format json --output /data/tollgate/reports/orders-{{ ds }}.json"
        ),
        # Airflow fails the task on any nonzero exit; 1, 2 and 3 all block promotion.
    )

    promote = BashOperator(
        task_id="promote",
        bash_command=f"mv {STAGING}/dt={{{{ ds }}}} {PRODUCTION}/dt={{{{ ds }}}}",
    )

    load >> check >> promote
