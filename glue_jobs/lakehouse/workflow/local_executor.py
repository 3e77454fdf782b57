"""Run a workflow's jobs in this process: import each Glue script and call its ``main(argv)``.

All jobs share the process's one SparkSession. A job's Timeout is enforced by cancelling its
Spark job group (the runtime tags every job run's Spark work with its job run id).
"""

from __future__ import annotations

import importlib.util
import threading
from pathlib import Path
from types import ModuleType
from typing import Any

from lakehouse import runtime
from lakehouse.errors import describe
from lakehouse.workflow.runner import JobInvocation, JobResult

SECONDS_PER_MINUTE = 60


class LocalScriptExecutor:
    """Executes job runs by calling the job script's ``main`` with Glue-style argv."""

    def __init__(self, project_dir: Path):
        self.project_dir = project_dir
        self._modules: dict[Path, ModuleType] = {}
        self._lock = threading.Lock()

    def _module(self, script: Path) -> ModuleType:
        with self._lock:
            if script not in self._modules:
                if not script.is_file():
                    raise FileNotFoundError(f"job script {script} does not exist")
                spec = importlib.util.spec_from_file_location(f"glue_job_{script.stem}", script)
                module = importlib.util.module_from_spec(spec)
                spec.loader.exec_module(module)
                if not callable(getattr(module, "main", None)):
                    raise AttributeError(f"job script {script} defines no main(argv)")
                self._modules[script] = module
            return self._modules[script]

    def execute(self, invocation: JobInvocation) -> JobResult:
        script = self.project_dir / invocation.job.script_location
        timed_out = threading.Event()
        timer = None
        if invocation.timeout_minutes:
            timer = threading.Timer(
                invocation.timeout_minutes * SECONDS_PER_MINUTE,
                self._cancel,
                (invocation.job_run_id, timed_out),
            )
            timer.daemon = True
            timer.start()
        try:
            self._module(script).main([str(script), *invocation.argv])
        except Exception as exc:
            state = "TIMEOUT" if timed_out.is_set() else "FAILED"
            return self._result(invocation, state, describe(exc))
        finally:
            if timer is not None:
                timer.cancel()
        return self._result(invocation, "SUCCEEDED", None)

    def stop(self, invocation: JobInvocation) -> None:
        """Ctrl-C: cancel the job run's Spark work; its main() then fails and reports."""
        runtime.engine().spark.sparkContext.cancelJobGroup(invocation.job_run_id)

    @staticmethod
    def _cancel(job_run_id: str, flag: threading.Event) -> None:
        flag.set()
        runtime.engine().spark.sparkContext.cancelJobGroup(job_run_id)

    @staticmethod
    def _result(invocation: JobInvocation, state: str, error: str | None) -> JobResult:
        record: dict[str, Any] = runtime.JOB_RUN_RECORDS.get(invocation.job_run_id, {})
        metrics = record.get("metrics", {})
        return JobResult(
            state=state,
            error=error,
            rows_read=metrics.get("rows_read"),
            rows_written=metrics.get("rows_written"),
            details=record,
        )
