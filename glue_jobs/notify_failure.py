"""Glue job: record a failed workflow run and, in AWS, tell the on-call topic.

The workflow's failure trigger (FAILED or TIMEOUT of any job) starts it. It reads the failed
job runs of this workflow run (the local job-run records, or Glue's job-run history in AWS),
writes ``<lake>/_runs/<run_id>/failure.json`` and, with ``--sns_topic_arn``, publishes a summary
(job, state, first line of the error — never row data) to SNS.
Arguments: --JOB_NAME; optional --lake_root, --sns_topic_arn.
"""

from lakehouse.notify import notify_failure
from lakehouse.runtime import start_job

REQUIRED_ARGS: tuple[str, ...] = ()
OPTIONAL_ARGS = {"sns_topic_arn": None}


def main(argv: list[str] | None = None) -> None:
    with start_job(argv, REQUIRED_ARGS, OPTIONAL_ARGS) as job:
        notify_failure(job, job.args.get("sns_topic_arn"))


if __name__ == "__main__":
    main()
