"""Glue job: publish the Gold versions this workflow run staged (after dq_gold passed them).

Each table's catalog location is switched to its staged version in one metadata operation
(Glue UpdateTable in AWS, ALTER TABLE … SET LOCATION locally); the newest published versions are
kept for `lakehouse gold rollback`, older ones removed. Rerunning it publishes the same versions
again, so a resumed run finishes what a killed one started.
Arguments: --JOB_NAME; optional --lake_root, --tables (comma list; default: the Gold tables),
--keep_versions (default 3).
"""

from lakehouse.runtime import start_job
from lakehouse.wap import GOLD_TABLES, KEEP_PUBLISHED, publish

REQUIRED_ARGS: tuple[str, ...] = ()
OPTIONAL_ARGS = {"tables": ",".join(GOLD_TABLES), "keep_versions": str(KEEP_PUBLISHED)}


def main(argv: list[str] | None = None) -> None:
    with start_job(argv, REQUIRED_ARGS, OPTIONAL_ARGS) as job:
        tables = [t.strip() for t in str(job.args["tables"]).split(",") if t.strip()]
        publish(job, tables, keep=int(str(job.args["keep_versions"])))


if __name__ == "__main__":
    main()
