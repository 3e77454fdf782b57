"""The ``lakehouse`` command line.

lakehouse generate [--date D] [--scale S] [--seed N] [--clean] [--scenario NAME]
                                                          sample data into the landing zone
lakehouse workflow run daily_batch [--batch-date D]       run a workflow locally
lakehouse workflow resume RUN_ID [--from JOB]             re-run failed jobs and what follows
lakehouse runs list | runs show RUN_ID                    recorded workflow runs
lakehouse gold versions TABLE | gold rollback TABLE [--to V]   Gold versions
lakehouse sql "select ..."                                query the local catalog
lakehouse glue-docker JOB [--dry-run] -- ARGS             run a job in the Glue 5 image
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
GLUE_IMAGE = "public.ecr.aws/glue/aws-glue-libs:5"
GLUE_WORKSPACE = "/home/hadoop/workspace"

# Piped or in CI, rich would assume 80 columns and cut the tables.
console = Console(width=None if sys.stdout.isatty() else 160)
err_console = Console(stderr=True)


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO date (YYYY-MM-DD): {text!r}") from None


def _today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def _lake_root(args: argparse.Namespace) -> str:
    from lakehouse.runtime import local_lake_root

    return local_lake_root(args.lake_root)


# ---------------------------------------------------------------- generate


def cmd_generate(args: argparse.Namespace) -> int:
    from lakehouse.generate import generate

    lake_root = Path(_lake_root(args))
    entry = generate(
        lake_root,
        args.date,
        scale=args.scale,
        seed=args.seed,
        clean=args.clean,
        scenario=args.scenario,
    )
    table = Table(title=f"Sample data for batch {args.date} in {lake_root / 'landing'}")
    for column in ("source", "files", "records", "updates"):
        table.add_column(column, justify="left" if column == "source" else "right")
    for source, info in entry["sources"].items():
        table.add_row(
            source, f"{len(info['files']):,}", f"{info['records']:,}", f"{info['updates']:,}"
        )
    console.print(table)
    scenario = entry.get("scenario")
    if scenario:
        landed = ", ".join(f"{n} {source}" for source, n in scenario["records"].items())
        console.print(
            escape(
                f"scenario {scenario['name']}: {landed} (ORDER_IDs {scenario['order_ids'][0]}.."
                f"{scenario['order_ids'][-1]}); {scenario['gate']} halts on "
                f"{scenario['ruleset']}: {scenario['rule']}"
            ),
            highlight=False,
        )
    console.print(f"manifest: {lake_root / 'landing' / 'manifest.json'}")
    return EXIT_OK


# ---------------------------------------------------------------- workflow


def _load_workflow(name: str):
    from lakehouse import resources
    from lakehouse.workflow.definition import find_workflow, load_workflow

    return load_workflow(find_workflow(name, Path(str(resources.folder("workflows")))))


def cmd_workflow_run(args: argparse.Namespace) -> int:
    from lakehouse import runtime

    workflow = _load_workflow(args.name)
    lake_root = _lake_root(args)
    run_id = runtime.new_run_id("wr")
    properties = {"run_id": run_id, "batch_date": args.batch_date.isoformat()}
    return _execute(workflow, lake_root, run_id, properties, args.max_parallel)


def cmd_workflow_resume(args: argparse.Namespace) -> int:
    from lakehouse import runtime
    from lakehouse.workflow.record import load_run_record
    from lakehouse.workflow.resume import ResumeRefused, settle_previous_run
    from lakehouse.workflow.runner import ResumeError, plan_resume

    lake_root = _lake_root(args)
    try:
        previous = load_run_record(lake_root, args.run_id)
        workflow = _load_workflow(previous.workflow_name)
        previous = settle_previous_run(lake_root, previous)
        plan = plan_resume(workflow, previous, args.from_job)
    except (FileNotFoundError, ResumeError, ResumeRefused) as exc:
        err_console.print(f"error: {exc}", highlight=False)
        return EXIT_USAGE
    run_id = runtime.new_run_id("wr")
    old = runtime.LocalRunProperties(lake_root, previous.run_id).get()
    properties = {**old, "run_id": run_id, "resumed_from": previous.run_id}
    console.print(
        f"resuming {previous.run_id}: re-running {', '.join(sorted(plan.rerun))}; "
        f"carried over: {', '.join(plan.carried) or 'nothing'}",
        highlight=False,
    )
    return _execute(workflow, lake_root, run_id, properties, args.max_parallel, plan)


def _execute(workflow, lake_root: str, run_id: str, properties: dict, max_parallel: int,
             resume=None) -> int:  # fmt: skip
    """Run (or resume) a workflow locally, keep its record current, show the run view."""
    from lakehouse import resources, runtime
    from lakehouse.workflow.local_executor import LocalScriptExecutor
    from lakehouse.workflow.progress import RichProgress
    from lakehouse.workflow.record import Listeners, RunRecorder, run_dir
    from lakehouse.workflow.runner import WorkflowInterrupted, run_workflow

    project = resources.project_dir()
    if project is None:
        err_console.print("error: run workflows from a checkout of the project")
        return EXIT_USAGE
    batch_date = properties["batch_date"]
    console.print(
        f"[bold]{workflow.name}[/bold] run {run_id}  batch {batch_date}  lake {lake_root}"
    )
    with console.status("starting Spark (local, one session for the whole run)…"):
        runtime.engine(lake_root)
    runtime.LocalRunProperties(lake_root, run_id).put(
        {**properties, "workflow_name": workflow.name}
    )
    try:
        result = run_workflow(
            workflow,
            LocalScriptExecutor(project),
            run_id=run_id,
            base_arguments={"--lake_root": lake_root},
            max_parallel=max_parallel,
            listener=Listeners(RunRecorder(lake_root), RichProgress(console=console)),
            resume=resume,
            batch_date=batch_date,
        )
    except WorkflowInterrupted:
        err_console.print("interrupted: jobs not started are NOT_RUN")
        return 130
    console.print()
    _show_run(lake_root, run_id)
    console.print(f"run record: {run_dir(lake_root, run_id)}")
    if result.ok:
        _print_layer_tables(runtime.engine().spark, "gold")
        console.print(
            'query Gold: [bold].venv/bin/lakehouse sql "select * from gold.agg_daily_revenue '
            'order by order_date desc limit 10"[/bold]  (or make sql Q="...")'
        )
    return EXIT_OK if result.ok else EXIT_FAILED


def _show_run(lake_root: str, run_id: str) -> None:
    from lakehouse.runs_view import load_run, render_run

    render_run(load_run(lake_root, run_id), console)


# ---------------------------------------------------------------- runs


def cmd_runs_list(args: argparse.Namespace) -> int:
    from lakehouse.runs_view import list_runs, render_run_list

    runs = list_runs(_lake_root(args), limit=args.limit or None)
    if args.json:
        print(json.dumps([r.to_dict() for r in runs], indent=2, default=str))
    else:
        render_run_list(runs, console)
    return EXIT_OK


def cmd_runs_show(args: argparse.Namespace) -> int:
    from lakehouse.runs_view import RunNotFound, load_run, render_run

    try:
        view = load_run(_lake_root(args), args.run_id)
    except RunNotFound as exc:
        err_console.print(f"error: {exc}", highlight=False)
        return EXIT_USAGE
    if args.json:
        print(json.dumps(view.to_dict(), indent=2, default=str))
    else:
        render_run(view, console)
    return EXIT_OK if view.ok is not False else EXIT_FAILED


# ---------------------------------------------------------------- gold versions


def cmd_gold_versions(args: argparse.Namespace) -> int:
    from lakehouse import runtime, wap

    lake_root = _lake_root(args)
    spark = runtime.engine(lake_root).spark
    table_name = _gold_table(args.table)
    found = wap.versions(spark, lake_root, table_name)
    if not found:
        err_console.print(f"error: {table_name} has no versions in {lake_root}")
        return EXIT_FAILED
    table = Table(title=f"versions of {table_name} (newest first)", title_justify="left")
    for column in ("version", "status", "rows", "last published", "location"):
        table.add_column(column, justify="right" if column == "rows" else "left")
    for v in found:
        rows = spark.read.parquet(v.location).count()
        table.add_row(v.name, v.status, f"{rows:,}", v.published_at or "", v.location)
    console.print(table)
    return EXIT_OK


def cmd_gold_rollback(args: argparse.Namespace) -> int:
    from lakehouse import runtime, wap

    lake_root = _lake_root(args)
    spark = runtime.engine(lake_root).spark
    table_name = _gold_table(args.table)
    before = wap.current_version(spark, table_name)
    try:
        target = wap.rollback(spark, lake_root, table_name, args.to, runtime.engine().mode)
    except LookupError as exc:
        err_console.print(f"error: {exc}", highlight=False)
        return EXIT_FAILED
    console.print(f"{table_name}: {before} -> {target.name} ({target.location})", highlight=False)
    return EXIT_OK


def _gold_table(name: str) -> str:
    return name if "." in name else f"gold.{name}"


def _print_layer_tables(spark, database: str) -> None:
    """Rows and storage location of every table of one layer."""
    from lakehouse import catalog

    table = Table(title=f"{database} tables", title_justify="left")
    for column in ("table", "rows", "location"):
        table.add_column(column, justify="right" if column == "rows" else "left")
    for entry in sorted(spark.catalog.listTables(database), key=lambda t: t.name):
        name = f"{database}.{entry.name}"
        rows = spark.table(name).count()
        table.add_row(name, f"{rows:,}", catalog.table_location(spark, name) or "")
    console.print(table)


# ---------------------------------------------------------------- sql


def cmd_sql(args: argparse.Namespace) -> int:
    from lakehouse import runtime

    spark = runtime.engine(_lake_root(args)).spark
    try:
        frame = spark.sql(args.query)
    except Exception as exc:  # AnalysisException, ParseException: show the message, not a trace
        err_console.print(f"error: {str(exc).splitlines()[0]}")
        return EXIT_FAILED
    rows = frame.limit(args.limit + 1).collect() if args.limit else frame.collect()
    shown = rows[: args.limit] if args.limit else rows
    if args.format == "json":
        for row in shown:
            print(json.dumps(row.asDict(recursive=True), default=str))
    elif args.format == "csv":
        import csv

        writer = csv.writer(sys.stdout)
        writer.writerow(frame.columns)
        writer.writerows([list(r) for r in shown])
    else:
        table = Table(*frame.columns)
        for row in shown:
            table.add_row(*["NULL" if v is None else str(v) for v in row])
        Console(width=console.width if console.is_terminal else 250).print(table)
        more = (
            " (more not shown; --limit 0 for all)" if args.limit and len(rows) > args.limit else ""
        )
        console.print(f"{len(shown)} row(s){more}")
    return EXIT_OK


# ---------------------------------------------------------------- dq


def cmd_dq_lint(args: argparse.Namespace) -> int:
    from lakehouse.dq.lint import lint_paths

    missing = [p for p in args.paths if not Path(p).exists()]
    if missing:
        err_console.print(f"error: no such file or folder: {', '.join(missing)}")
        return EXIT_USAGE
    problems = lint_paths(args.paths)
    for problem in problems:
        print(problem)
    errors = sum(p.severity == "error" for p in problems)
    warnings = len(problems) - errors
    err_console.print(f"{errors} error(s), {warnings} warning(s)")
    return EXIT_USAGE if errors else EXIT_OK


def _unsupported_rules(ruleset) -> list[str]:
    """Rules the local engine refuses, found before any data is read."""
    from lakehouse.dq import rule_types

    found = []
    for rule in [*ruleset.leaf_rules(), *ruleset.analyzers]:
        spec = rule_types.get(rule.rule_type)
        if spec is None or not spec.supported:
            why = getattr(spec, "unsupported_reason", None) or "not supported by the local engine"
            found.append(f"line {rule.line}, column {rule.column}: {rule.text}: {why}")
    return found


def cmd_dq_evaluate(args: argparse.Namespace) -> int:
    from lakehouse.dq.parser import DqdlSyntaxError, parse_file

    out = err_console if args.format == "json" else console
    try:
        ruleset = parse_file(args.ruleset)
    except (DqdlSyntaxError, OSError) as exc:
        err_console.print(f"error: {args.ruleset}: {exc}", highlight=False)
        return EXIT_USAGE
    unsupported = _unsupported_rules(ruleset)
    if unsupported:
        err_console.print("error: rules the engine cannot evaluate (nothing was evaluated):")
        for line in unsupported:
            err_console.print(f"  {line}", highlight=False)
        return EXIT_USAGE
    refs = {}
    for item in args.ref:
        name, sep, path = item.partition("=")
        if not sep or not name or not path:
            err_console.print(f"error: --ref must be NAME=PATH, got {item!r}")
            return EXIT_USAGE
        refs[name] = path

    from lakehouse import runtime
    from lakehouse.dq.datasets import DatasetError, load_dataset
    from lakehouse.dq.evaluator import UnsupportedRuleError, evaluate_ruleset
    from lakehouse.dq.history import JsonLinesHistory, NoHistory

    spark = runtime.engine(_lake_root(args)).spark
    try:
        data = load_dataset(spark, args.data)
        references = {name: load_dataset(spark, path) for name, path in refs.items()}
        result = evaluate_ruleset(
            data,
            ruleset,
            references=references,
            history=JsonLinesHistory(args.history) if args.history else NoHistory(),
            ruleset_name=Path(args.ruleset).stem,
            dataset_name=Path(args.data).stem or args.data,
            row_level=bool(args.rows),
        )
    except (DatasetError, UnsupportedRuleError) as exc:
        err_console.print(f"error: {exc}", highlight=False)
        return EXIT_USAGE
    if args.rows:
        result.row_level.write.mode("overwrite").parquet(args.rows)
        out.print(f"row-level outcomes: {args.rows}")
    if args.format == "json":
        print(json.dumps(result.to_json()))
    else:
        _print_dq_table(result)
    return EXIT_OK if result.passed else EXIT_FAILED


def _print_dq_table(result) -> None:
    table = Table("rule", "outcome", "metrics", "failure reason", title="data quality")
    for outcome in result.outcomes:
        colour = "green" if outcome.passed else "red"
        metrics = ", ".join(f"{k}={v:g}" for k, v in outcome.evaluated_metrics.items())
        table.add_row(
            escape(outcome.rule),
            f"[{colour}]{outcome.outcome}[/{colour}]",
            escape(metrics),
            escape(outcome.failure_reason or ""),
        )
    console.print(table)
    console.print(
        f"score {result.score:.3f}: {len(result.failed)} of {len(result.outcomes)} failed"
    )


# ---------------------------------------------------------------- glue-docker


def glue_docker_command(job: str, job_args: list[str], project: Path, home: Path) -> list[str]:
    """The ``docker run`` command that runs a job script in the Glue 5.0 image.

    The workspace is mounted at /home/hadoop/workspace and ~/.aws read-only at
    /home/hadoop/.aws, as the image expects; the library goes in as --py-files.
    """
    script = project / "glue_jobs" / f"{job}.py"
    if not script.is_file():
        raise FileNotFoundError(f"no job script {script}")
    command = [
        "docker", "run", "--rm",
        "-v", f"{home / '.aws'}:/home/hadoop/.aws:ro",
        "-v", f"{project}:{GLUE_WORKSPACE}",
        "-w", GLUE_WORKSPACE,
    ]  # fmt: skip
    for name in ("AWS_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION"):
        if os.environ.get(name):
            command += ["-e", f"{name}={os.environ[name]}"]
    command += [
        GLUE_IMAGE,
        "spark-submit",
        "--py-files", f"{GLUE_WORKSPACE}/dist/lakehouse.zip",
        f"{GLUE_WORKSPACE}/glue_jobs/{job}.py",
        "--JOB_NAME", job,
    ]  # fmt: skip
    if "--lake_root" not in job_args:
        command += ["--lake_root", f"{GLUE_WORKSPACE}/.lake"]
    return command + job_args


def cmd_contracts_check(args: argparse.Namespace) -> int:
    from lakehouse import runtime
    from lakehouse.contracts import ContractError
    from lakehouse.contracts.check_file import MAX_SHOWN, check_file

    if not Path(args.file).is_file():
        err_console.print(f"error: no such file: {args.file}")
        return EXIT_USAGE
    spark = runtime.engine(_lake_root(args)).spark
    try:
        result = check_file(spark, args.source, args.file, args.batch_date)
    except (ContractError, ValueError) as exc:
        err_console.print(f"error: {exc}", highlight=False)
        return EXIT_USAGE
    if result.report is not None and result.report.reason:
        console.print(
            f"[bold red]file rejected[/] ({result.report.reason}): {escape(result.report.detail)}"
        )
    elif result.report is not None and result.report.drift and result.report.drift.changed:
        console.print(f"[yellow]schema drift[/] (accepted): {result.report.drift.describe()}")
    if result.violations:
        table = Table(title=f"{args.file}: violations of the {args.source} contract")
        for column in ("line/record", "rule", "field", "value", "detail"):
            table.add_column(column)
        for v in result.violations:
            position = "" if v["position"] is None else str(v["position"])
            cells = [position, v["rule"], v["field"] or "", v["value"] or "", v["detail"] or ""]
            table.add_row(*[escape(c) for c in cells])
        console.print(table)
        if len(result.violations) >= MAX_SHOWN:
            console.print(f"(first {MAX_SHOWN} violations shown)")
    verdict = "[green]passes[/]" if result.passed else "[red]fails[/]"
    console.print(
        f"{args.file} {verdict} the {args.source} contract: {result.landed} record(s), "
        f"{result.accepted} accepted, {result.quarantined} would be quarantined"
    )
    return EXIT_OK if result.passed else EXIT_FAILED


def cmd_glue_docker(args: argparse.Namespace) -> int:
    from lakehouse import package, resources

    project = resources.project_dir()
    if project is None:
        err_console.print("error: run glue-docker from a checkout of the project")
        return EXIT_USAGE
    job_args = [a for a in args.job_args if a != "--"]
    try:
        command = glue_docker_command(args.job, job_args, project, Path.home())
    except FileNotFoundError as exc:
        err_console.print(f"error: {exc}")
        return EXIT_USAGE
    print(shlex.join(command))
    if args.dry_run:
        return EXIT_OK
    if shutil.which("docker") is None:
        err_console.print("error: docker is not installed; the command above is what would run")
        return EXIT_FAILED
    package.build(project, project / "dist")
    return subprocess.run(command, check=False).returncode


# ---------------------------------------------------------------- parser


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lakehouse", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)

    def with_lake(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
        p.add_argument("--lake-root", help="local lake folder (default: $LAKE_ROOT or .lake)")
        return p

    from lakehouse.generate.scenarios import SCENARIOS

    gen = with_lake(
        sub.add_parser(
            "generate",
            help="write sample data into the landing zone",
            formatter_class=argparse.RawDescriptionHelpFormatter,
            epilog="scenarios (--scenario; see lakehouse/generate/scenarios.py):\n"
            + "\n".join(f"  {s.name:<16}{s.description}" for s in SCENARIOS.values()),
        )
    )
    gen.add_argument("--date", type=_date, default=_today(), help="batch date (default: today UTC)")
    gen.add_argument("--scale", type=float, default=1.0, help="volume multiplier (1.0 = SF1)")
    gen.add_argument("--seed", type=int, default=42)
    gen.add_argument(
        "--clean",
        action="store_true",
        help="land no bad input (by default each batch carries the defects catalogued in "
        "lakehouse/generate/defects.py, counted in manifest.json); pinned by the first batch",
    )
    gen.add_argument(
        "--scenario",
        choices=list(SCENARIOS),
        help="also land a few records that pass every contract but halt one DQ gate of the "
        "workflow (this batch only, not pinned; the scenarios are listed below)",
    )
    gen.set_defaults(func=cmd_generate)

    wf = sub.add_parser("workflow", help="workflows").add_subparsers(dest="action", required=True)
    run = with_lake(
        wf.add_parser("run", help="run a workflow locally with Glue's trigger semantics")
    )
    run.add_argument("name", help="workflow name, e.g. daily_batch")
    run.add_argument("--batch-date", type=_date, default=_today())
    run.add_argument("--max-parallel", type=int, default=2, help="jobs running at once")
    run.set_defaults(func=cmd_workflow_run)
    resume = with_lake(
        wf.add_parser(
            "resume",
            help="re-run a run's failed jobs and everything after them (Glue's "
            "ResumeWorkflowRun): a new run id linked to the old one, the same batch date",
        )
    )
    resume.add_argument("run_id", help="the run to resume (see `lakehouse runs list`)")
    resume.add_argument(
        "--from", dest="from_job", metavar="JOB", help="re-run from this job instead"
    )
    resume.add_argument("--max-parallel", type=int, default=2, help="jobs running at once")
    resume.set_defaults(func=cmd_workflow_resume)

    runs = sub.add_parser("runs", help="workflow runs recorded in the lake").add_subparsers(
        dest="action", required=True
    )
    runs_list = with_lake(runs.add_parser("list", help="workflow runs, newest first"))
    runs_list.add_argument("--limit", type=int, default=20, help="runs to show (0 = all)")
    runs_list.add_argument("--json", action="store_true", help="machine-readable output")
    runs_list.set_defaults(func=cmd_runs_list)
    show = with_lake(
        runs.add_parser("show", help="one run, like the Glue console's workflow run view")
    )
    show.add_argument("run_id", help="full id, a unique prefix or the short id from `runs list`")
    show.add_argument("--json", action="store_true", help="machine-readable output")
    show.set_defaults(func=cmd_runs_show)

    gold = sub.add_parser("gold", help="published Gold versions").add_subparsers(
        dest="action", required=True
    )
    versions = with_lake(gold.add_parser("versions", help="a Gold table's versions"))
    versions.add_argument("table", help="e.g. fct_orders or gold.fct_orders")
    versions.set_defaults(func=cmd_gold_versions)
    rollback = with_lake(
        gold.add_parser("rollback", help="switch a Gold table back to an earlier version")
    )
    rollback.add_argument("table", help="e.g. fct_orders or gold.fct_orders")
    rollback.add_argument(
        "--to", metavar="VERSION", help="default: the newest published version before the current"
    )
    rollback.set_defaults(func=cmd_gold_rollback)

    sql = with_lake(sub.add_parser("sql", help="run a Spark SQL query on the local catalog"))
    sql.add_argument("query")
    sql.add_argument("--limit", type=int, default=50, help="rows to show (0 = all)")
    sql.add_argument("--format", choices=("table", "json", "csv"), default="table")
    sql.set_defaults(func=cmd_sql)

    dq = sub.add_parser("dq", help="data quality (DQDL)").add_subparsers(
        dest="action", required=True
    )
    lint = dq.add_parser("lint", help="check DQDL files; exit 2 on errors")
    lint.add_argument("paths", nargs="+", help=".dqdl files or folders")
    lint.set_defaults(func=cmd_dq_lint)
    ev = with_lake(dq.add_parser("evaluate", help="evaluate a ruleset on a file, folder or table"))
    ev.add_argument(
        "--data", required=True, help="Parquet/CSV/JSON/JSON-lines file or folder, or db.table"
    )
    ev.add_argument("--ruleset", required=True, help="a .dqdl file")
    ev.add_argument(
        "--ref", action="append", default=[], metavar="NAME=PATH", help="a reference dataset"
    )
    ev.add_argument("--format", choices=("table", "json"), default="table")
    ev.add_argument("--rows", metavar="OUT_DIR", help="write row-level outcomes (Parquet) here")
    ev.add_argument("--history", metavar="DIR", help="metrics history for dynamic rules (last(k))")
    ev.set_defaults(func=cmd_dq_evaluate)

    contracts = sub.add_parser("contracts", help="schema contracts").add_subparsers(
        dest="action", required=True
    )
    check = with_lake(
        contracts.add_parser(
            "check", help="check one landed file against its source's contract; exit 1 if not"
        )
    )
    check.add_argument("source", help="hubspot_contacts, snowflake_orders, vendor_products, ...")
    check.add_argument("file", help="the file, in the format it lands in")
    check.add_argument(
        "--batch-date",
        type=dt.date.fromisoformat,
        default=dt.datetime.now(dt.UTC).date(),
        help="the batch the file belongs to (judges 'not in the future'); default today (UTC)",
    )
    check.set_defaults(func=cmd_contracts_check)

    docker = sub.add_parser("glue-docker", help=f"run a job in {GLUE_IMAGE}")
    docker.add_argument("job", help="job name, e.g. silver_to_gold")
    docker.add_argument("--dry-run", action="store_true", help="only print the docker command")
    docker.add_argument("job_args", nargs=argparse.REMAINDER, help="-- then job arguments")
    docker.set_defaults(func=cmd_glue_docker)
    return parser


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=os.environ.get("LAKEHOUSE_LOG_LEVEL", "WARNING"))
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (ValueError, FileNotFoundError, RuntimeError) as exc:
        err_console.print(f"error: {exc}")
        return EXIT_USAGE if isinstance(exc, ValueError) else EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
