"""Command line: `nastavnik run | webhook | jobs | migrate | import-roster FILE | demo-data |
check-scenarios [PATH...] | plan check FILE | kpi --municipality NAME --year YYYY`.

Settings problems end the program with one line saying what to fix, never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import yaml

from bot.logging_setup import setup_logging
from bot.services import (
    event_reports,
    event_types,
    kpi_targets,
    plan_template_format,
    plan_templates,
    route_materials,
    scenarios,
)
from bot.services.scenarios import SCENARIOS_DIR
from bot.texts import LOCALES_DIR, Texts, plain, t
from config.settings import Settings, SettingsError, load_settings

Command = Callable[[Settings, argparse.Namespace], Coroutine[Any, Any, int]]

# Problems with a message of their own in locales/*/cli.po; others use `cli.settings.invalid`.
EXPLAINED_PROBLEMS = ("missing", "malformed", "weak", "public_url", "unreachable")
EXIT_SETTINGS = 2
EXIT_SCENARIOS = 3
EXIT_PLAN = 1
EXIT_INTERRUPTED = 130


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="nastavnik", description="«Наставник» bot")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="long polling")
    run.add_argument("--migrate", action="store_true", help="apply migrations first")
    webhook = commands.add_parser("webhook", help="aiohttp server for Telegram's webhook")
    webhook.add_argument("--migrate", action="store_true", help="apply migrations first")
    commands.add_parser("migrate", help="apply database migrations")
    jobs = commands.add_parser("jobs", help="run background jobs only (roster, history, exports)")
    jobs.add_argument("--parent-pid", type=int, help="stop when this process is gone")
    roster = commands.add_parser("import-roster", help="import a roster file (.xlsx or .csv)")
    roster.add_argument("file")
    roster.add_argument("--municipality", required=True, help="municipality name")
    roster.add_argument("--apply", action="store_true", help="write changes (default: dry run)")
    commands.add_parser("demo-data", help="a demo municipality built from the Grachevka seed")
    check = commands.add_parser(
        "check-scenarios", help="check scenario files (default: the shipped bot/scenarios/)"
    )
    check.add_argument("paths", nargs="*", type=Path, help="YAML files or folders")
    plan = commands.add_parser("plan", help="plan-graph templates")
    plan_commands = plan.add_subparsers(dest="plan_command", required=True)
    plan_check = plan_commands.add_parser("check", help="check a plan-graph template file")
    plan_check.add_argument("file", type=Path)
    kpi = commands.add_parser("kpi", help="the KPI report of a municipality or the region")
    kpi.add_argument("--municipality", help="municipality name (default: the whole region)")
    kpi.add_argument("--region", help="region name (default: REGION_NAME)")
    kpi.add_argument("--year", type=int, required=True, help="program year, e.g. 2027")
    kpi.add_argument("--format", choices=("json", "xlsx"), default="json")
    kpi.add_argument("--output", help="file to write (json: default stdout)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    texts = Texts(path=LOCALES_DIR, default_locale="ru")
    with texts.context():
        if args.command == "check-scenarios":
            # A methodologist checks a file without a token or a database.
            return check_scenarios(args.paths or [SCENARIOS_DIR])
        if args.command == "plan":
            return check_plan_file(args.file)
        try:
            settings = load_settings()
            _check_before_start(settings, args.command)
        except SettingsError as error:
            print(settings_problem(error), file=sys.stderr)
            return EXIT_SETTINGS
        with texts.use_locale(settings.default_locale):
            setup_logging(settings.log_level)
            if args.command in ("run", "webhook") and (
                check_scenarios([SCENARIOS_DIR]) or check_event_files() or check_plan_templates()
            ):
                print(plain(t("scenarios.refused")), file=sys.stderr)
                return EXIT_SCENARIOS
            try:
                return asyncio.run(_command(args.command)(settings, args))
            except SettingsError as error:
                print(settings_problem(error), file=sys.stderr)
                return EXIT_SETTINGS
            except KeyboardInterrupt:
                return EXIT_INTERRUPTED


def settings_problem(error: SettingsError) -> str:
    """The one line telling the operator which variable to fix and how."""
    if error.problem in EXPLAINED_PROBLEMS:
        return t(f"cli.settings.{error.problem}", field=error.field)
    return t("cli.settings.invalid", field=error.field, problem=error.problem)


def check_scenarios(paths: list[Path]) -> int:
    """Every problem of the scenario files as `file:line: reason`; non-zero if there is one."""
    loaded, problems = scenarios.check_paths(paths)
    problems += route_materials.check_beside(paths, loaded)
    for problem in problems:
        reason = plain(t(problem.key, **problem.params))
        print(
            plain(t("scenarios.problem.line", file=problem.file, line=problem.line, reason=reason)),
            file=sys.stderr,
        )
    files = sum(len(list(p.glob("*.yaml"))) if p.is_dir() else 1 for p in paths)
    print(plain(t("scenarios.checked", files=files, good=len(loaded), problems=len(problems))))
    return EXIT_SCENARIOS if problems else 0


def check_event_files() -> int:
    """The event kinds and the program's targets are read when first needed; read them now,
    so a broken file stops the start with its reason instead of failing a coordinator's tap."""
    checks = (
        (event_types.EVENT_TYPES_FILE, event_types.catalogue),
        (event_reports.TARGETS_FILE, event_reports.targets),
        (kpi_targets.KPI_TARGETS_FILE, kpi_targets.kpi_targets),
    )
    failed = 0
    for path, load in checks:
        try:
            load()
        except (OSError, ValueError, yaml.YAMLError) as error:
            failed += 1
            # The KPI targets name the line of the problem; the others say it in the reason.
            line = getattr(error, "line", 0)
            reason = " ".join(str(getattr(error, "reason", error)).split())
            print(
                plain(t("scenarios.problem.line", file=path, line=line, reason=reason)),
                file=sys.stderr,
            )
    return EXIT_SCENARIOS if failed else 0


def _print_problems(problems: list[scenarios.Problem]) -> None:
    for problem in problems:
        reason = plain(t(problem.key, **problem.params))
        print(
            plain(t("scenarios.problem.line", file=problem.file, line=problem.line, reason=reason)),
            file=sys.stderr,
        )


def check_plan_file(path: Path) -> int:
    """`nastavnik plan check FILE`: each problem of a plan-graph template as `file:line: reason`."""
    template, problems = plan_template_format.parse_file(path)
    _print_problems(problems)
    if template is None:
        return EXIT_PLAN
    print(plain(t("plan.cli_checked", file=path, items=len(template.items))))
    return 0


def check_plan_templates() -> int:
    """The shipped plan-graph templates, read at start like the event files."""
    problems = plan_templates.check_shipped()
    _print_problems(problems)
    return EXIT_SCENARIOS if problems else 0


def _check_before_start(settings: Settings, command: str) -> None:
    # Before logging, the database or Telegram are touched, so a bad token is the only output.
    if command in ("run", "webhook", "jobs"):
        settings.require_token()
    if command == "webhook":
        settings.require_webhook()


def _command(name: str) -> Command:
    from bot import runner

    commands: dict[str, Command] = {
        "run": runner.run_polling,
        "webhook": runner.run_webhook,
        "migrate": runner.migrate,
        "jobs": runner.run_jobs,
        "import-roster": runner.import_roster,
        "demo-data": runner.demo_data,
        "kpi": runner.kpi_report,
    }
    return commands[name]
