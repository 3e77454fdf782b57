"""Glue job: the DQ gate of one layer (the jobs dq_bronze, dq_silver and dq_gold run this).

Evaluates ``dq_rulesets/<layer>/<table>.dqdl`` for each table on this run's data (Bronze: the
batch just ingested; Silver: the tables rebuilt in this run; Gold: the versions staged in this
run), stores every outcome in ``audit.dq_results`` and ends FAILED, naming each failed rule with
its metric and threshold, when a rule without ``"severity"="warn"`` fails — so the workflow's
conditional trigger on SUCCEEDED never fires. See lakehouse/gate.py.
Arguments: --JOB_NAME --layer bronze|silver|gold --tables t1,t2,...; optional --lake_root,
--dq_engine auto|glue|lakehouse (default auto: Glue Data Quality inside AWS Glue, else ours).
"""

from lakehouse.gate import run_gate
from lakehouse.runtime import start_job

REQUIRED_ARGS = ("layer", "tables")
OPTIONAL_ARGS = {"dq_engine": "auto"}


def main(argv: list[str] | None = None) -> None:
    with start_job(argv, REQUIRED_ARGS, OPTIONAL_ARGS) as job:
        tables = [t.strip() for t in str(job.args["tables"]).split(",") if t.strip()]
        run_gate(job, str(job.args["layer"]), tables, engine=str(job.args["dq_engine"]))


if __name__ == "__main__":
    main()
