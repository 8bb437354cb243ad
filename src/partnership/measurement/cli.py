"""Commands for step 4: indicators, activities, observations (one or a CSV file), the
story behind the curve, status and refresh."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from partnership.cli.context import pass_context
from partnership.cli.output import done, emit_json, table

json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")

F = TypeVar("F", bound=Callable[..., Any])


def _given(**options: Any) -> dict[str, Any]:
    return {k: v for k, v in options.items() if v is not None}


def _show(data: dict[str, Any]) -> None:
    from partnership.cli.output import cell

    width = max(len(k) for k in data)
    for k, v in data.items():
        if isinstance(v, (list, dict)):
            continue
        click.echo(f"{k.ljust(width)}  {cell(v)}")


# -- indicators ---------------------------------------------------------------------------

@click.group()
def indicator() -> None:
    """Indicators: how progress toward an outcome is measured."""


def _indicator_options(required: bool) -> Callable[[F], F]:
    def wrap(fn: F) -> F:
        options = [
            click.option("--outcome", required=required, help="The outcome it measures (slug)."),
            click.option("--unit", required=required, help="What it counts, e.g. people, %, incidents."),
            click.option("--direction", required=required, metavar="up|down",
                         help="Which way is better: up or down."),
            click.option("--baseline", required=required, help="The value when you started."),
            click.option("--baseline-date", required=required, metavar="DATE",
                         help="When the baseline was measured (YYYY-MM-DD)."),
            click.option("--target", required=required, help="The value you aim for."),
            click.option("--target-date", required=required, metavar="DATE",
                         help="When you aim to reach it (YYYY-MM-DD)."),
            click.option("--title", default=None, help="What it measures, in words."),
            click.option("--frequency", default=None, metavar="FREQ",
                         help="How often it is reported: weekly, monthly, quarterly (default) or annual."),
            click.option("--source", default=None, help="Where the figures come from."),
            click.option("--metric", default=None,
                         help="The metric for its headline figure (default progress)."),
            click.option("--activity", default=None,
                         help="The activity it measures, for an activity measure (slug)."),
            click.option("--rba", default=None, metavar="QUESTION",
                         help="For activity measures: how-much, how-well or better-off."),
            click.option("--pivot-after", default=None,
                         help="Signal a pivot after this many off-track observations (default 3)."),
            click.option("--description", default=None),
        ]
        for option in reversed(options):
            fn = option(fn)
        return fn

    return wrap


def _indicator_fields(fields: dict[str, Any]) -> dict[str, Any]:
    data = _given(**fields)
    if "pivot_after" in data:
        text = data["pivot_after"]
        # plain ASCII digits only ("²".isdigit() is true); anything else is refused by the model
        data["pivot_after"] = int(text) if text.strip().isascii() and text.strip().isdigit() else text
    return data


@indicator.command("add")
@click.argument("slug")
@_indicator_options(required=True)
@pass_context
def indicator_add(ctx: Any, /, slug: str, **fields: Any) -> None:
    """Add indicator SLUG to an outcome, with its baseline and target."""
    with ctx.open() as p:
        ind = p.measure.add_indicator(slug, **_indicator_fields(fields))
        done(f"added indicator {ind.slug} to {ind.outcome}: from {ind.baseline:g} to "
             f"{ind.target:g} {ind.unit} by {ind.target_date.isoformat()}")


@indicator.command("update")
@click.argument("slug")
@_indicator_options(required=False)
@pass_context
def indicator_update(ctx: Any, /, slug: str, **fields: Any) -> None:
    """Change some fields of indicator SLUG."""
    with ctx.open() as p:
        p.measure.update_indicator(slug, **_indicator_fields(fields))
        done(f"updated indicator {slug}")


INDICATOR_COLUMNS = [("slug", "slug"), ("outcome", "outcome"), ("unit", "unit"),
                     ("direction", "better"), ("baseline", "baseline"), ("target", "target"),
                     ("target_date", "by"), ("frequency", "reported")]


@indicator.command("list")
@click.option("--outcome", default=None, help="Only the indicators of this outcome.")
@json_option
@pass_context
def indicator_list(ctx: Any, outcome: str | None, as_json: bool) -> None:
    """Every indicator (or those of one outcome)."""
    with ctx.open() as p:
        if outcome:
            p.outcomes.get(outcome)
        rows = p.measure.indicators.list(**_given(outcome=outcome))
    if as_json:
        emit_json(rows)
    else:
        table(rows, INDICATOR_COLUMNS, empty="No indicators yet; add one with 'partnership indicator add'.")


@indicator.command("show")
@click.argument("slug")
@json_option
@pass_context
def indicator_show(ctx: Any, slug: str, as_json: bool) -> None:
    """One indicator: its figures, observations and the story behind the curve."""
    with ctx.open() as p:
        data = p.measure.show(slug)
    if as_json:
        emit_json(data)
        return
    _show({k: v for k, v in data.items() if k != "figures"})
    fig = data["figures"]
    if fig:
        click.echo(f"\nstatus {fig['status'] or 'no data'}, progress "
                   f"{'' if fig['progress'] is None else format(fig['progress'], 'g') + '%'}"
                   f"{', PIVOT' if fig['pivot'] else ''}{', STALE' if fig['stale'] else ''}")
    click.echo("\nObservations:")
    table(data["observations"], [("date", "date"), ("value", "value"), ("source", "source"),
                                 ("note", "note")], empty="(none yet)")
    if data["story"]:
        click.echo("\nThe story behind the curve:")
        for s in data["story"]:
            click.echo(f"  {s['date']} [{s['kind']}] {s['text']}")


@indicator.command("remove")
@click.argument("slug")
@pass_context
def indicator_remove(ctx: Any, slug: str) -> None:
    """Remove indicator SLUG (refused while it has observations or notes)."""
    with ctx.open() as p:
        p.measure.indicators.remove(slug)
        done(f"removed indicator {slug}")


# -- activities -----------------------------------------------------------------------------

@click.group()
def activity() -> None:
    """Activities: who is doing what, for which outcomes."""


@activity.command("add")
@click.argument("slug")
@click.option("--outcome", "outcomes", multiple=True, required=True,
              help="An outcome it serves (repeat, or comma-separate, for several).")
@click.option("--partner", required=True, help="The partner doing it (slug).")
@click.option("--title", default=None, help="What is done, in words.")
@click.option("--status", default=None, metavar="STATUS",
              help="planned (default), running, paused, stopped or finished.")
@click.option("--start", "start_date", default=None, metavar="DATE", help="When it starts (YYYY-MM-DD).")
@click.option("--end", "end_date", default=None, metavar="DATE", help="When it ends (YYYY-MM-DD).")
@click.option("--description", default=None)
@pass_context
def activity_add(ctx: Any, /, slug: str, outcomes: tuple[str, ...], **fields: Any) -> None:
    """Add activity SLUG: a partner's work for one or more outcomes."""
    names = [o.strip() for text in outcomes for o in text.split(",") if o.strip()]
    with ctx.open() as p:
        a = p.measure.add_activity(slug, outcomes=names, **_given(**fields))
        done(f"added activity {a.slug} by {a.partner} for {', '.join(names)}")


@activity.command("list")
@click.option("--outcome", default=None, help="Only activities serving this outcome.")
@click.option("--partner", default=None, help="Only this partner's activities.")
@json_option
@pass_context
def activity_list(ctx: Any, outcome: str | None, partner: str | None, as_json: bool) -> None:
    """Every activity, with the partner doing it and the outcomes it serves."""
    with ctx.open() as p:
        rows = p.measure.activity_list(outcome=outcome, partner=partner)
    if as_json:
        emit_json(rows)
    else:
        table([{**r, "outcomes": ", ".join(r["outcomes"])} for r in rows],
              [("slug", "slug"), ("partner", "partner"), ("status", "status"),
               ("outcomes", "outcomes"), ("title", "title")],
              empty="No activities yet; add one with 'partnership activity add'.")


# -- observations -----------------------------------------------------------------------------

@click.command()
@click.argument("indicator", required=False)
@click.argument("value", required=False)
@click.option("--date", default=None, metavar="DATE", help="When it was measured (default today).")
@click.option("--source", default="", help="Where the figure comes from.")
@click.option("--note", default="", help="Anything a reader should know about it.")
@click.option("--csv", "csv_path", default=None, metavar="FILE",
              help="Import many from a CSV file with columns indicator,date,value[,source,note].")
@click.option("--skip-bad", is_flag=True,
              help="With --csv: import the good rows and write the bad ones to a reject file.")
@click.option("--reject-file", default=None, metavar="FILE",
              help="With --skip-bad: where bad rows go (default FILE.rejected.csv, readable "
                   "only by you).")
@click.option("--replace", is_flag=True, help="Overwrite an existing value for the same date.")
@click.option("--force", is_flag=True,
              help="With --skip-bad: replace the reject file even if it is not an earlier one.")
@pass_context
def observe(ctx: Any, indicator: str | None, value: str | None, date: str | None, source: str,
            note: str, csv_path: str | None, skip_bad: bool, reject_file: str | None,
            replace: bool, force: bool) -> None:
    """Record an observation: INDICATOR VALUE, or many with --csv FILE."""
    if csv_path:
        if indicator or value or date or source or note:
            raise click.UsageError("give either INDICATOR VALUE or --csv FILE, not both")
        _observe_csv(ctx, csv_path, skip_bad, reject_file, replace, force)
        return
    if skip_bad or reject_file or force:
        raise click.UsageError("--skip-bad, --reject-file and --force only go with --csv FILE")
    if not indicator or value is None:
        raise click.UsageError("give INDICATOR VALUE (e.g. 'observe repeat-victims 398'), or --csv FILE")
    with ctx.open() as p:
        obs = p.measure.observe(indicator, value, date=date, source=source, note=note, replace=replace)
        done(f"recorded {obs.indicator} = {obs.value:g} on {obs.date.isoformat()}")


def _observe_csv(ctx: Any, path: str, skip_bad: bool, reject_file: str | None, replace: bool,
                 force: bool) -> None:
    import contextlib
    from pathlib import Path

    from partnership import outfiles

    reject = None
    if skip_bad:
        # the reject file may hold partners' data: private, written whole, never the
        # database or the file being imported; checked before anything is imported
        target = reject_file or str(Path(path).with_name(Path(path).stem + ".rejected.csv"))
        reject = outfiles.OutputFile(
            target, protect=[*outfiles.protected_paths(ctx.db), (path, "the file being imported")],
            private=True, force=force, recognise=outfiles.csv_header_starts("line", "problem"),
            what="an earlier reject file (columns line,problem,...)")
    with contextlib.ExitStack() as stack:
        raw = stack.enter_context(outfiles.scratch_file(reject.target)) if reject else None
        result = _import_observations(ctx, path, skip_bad, raw, replace)
        if reject is not None and raw is not None:
            # the library writes the rows as they were; people open the file in a spreadsheet
            with reject as tmp, open(tmp, "w", newline="", encoding="utf-8") as f:
                outfiles.copy_csv_for_people(raw, f)
            result.reject_path = str(reject.target)
    message = f"imported {result.imported} observation(s) of {result.indicators} indicator(s) from {path}"
    if result.rejected:
        message += f"; {result.rejected} bad row(s) written to {result.reject_path}"
    done(message)


def _import_observations(ctx: Any, path: str, skip_bad: bool, reject_file: Any,
                         replace: bool) -> Any:
    from partnership.measurement.csv_import import count_lines

    with ctx.open() as p:
        if sys.stderr.isatty():
            from pathlib import Path

            total = count_lines(path) if Path(path).is_file() else 0
            with click.progressbar(length=max(total, 1), label="importing", file=sys.stderr) as bar:
                seen = [0]

                def progress(line: int) -> None:
                    bar.update(line - seen[0])
                    seen[0] = line

                result = p.measure.import_csv(path, skip_bad=skip_bad, reject_path=reject_file,
                                              replace=replace, progress=progress)
        else:
            result = p.measure.import_csv(path, skip_bad=skip_bad, reject_path=reject_file,
                                          replace=replace)
    return result


# -- the story behind the curve ------------------------------------------------------------------

@click.group()
def story() -> None:
    """The story behind the curve: why an indicator moves, what works, what to try next."""


@story.command("add")
@click.argument("indicator")
@click.argument("text")
@click.option("--kind", default="why", show_default=True, metavar="KIND",
              help="why (it moves), works (what works) or next (what the partners will try).")
@click.option("--date", default=None, metavar="DATE", help="Default today.")
@click.option("--author", default=None, metavar="PERSON", help="Who wrote it (slug).")
@pass_context
def story_add(ctx: Any, indicator: str, text: str, kind: str, date: str | None,
              author: str | None) -> None:
    """Add a note to INDICATOR's story."""
    with ctx.open() as p:
        note = p.measure.add_story(indicator, text, kind=kind, date=date, author=author)
        done(f"added a '{note.kind}' note to {indicator} ({note.date.isoformat()})")


@story.command("list")
@click.argument("indicator")
@json_option
@pass_context
def story_list(ctx: Any, indicator: str, as_json: bool) -> None:
    """The notes on INDICATOR, oldest first."""
    with ctx.open() as p:
        notes = p.measure.story(indicator)
    if as_json:
        emit_json(notes)
    else:
        table(notes, [("date", "date"), ("kind", "kind"), ("author", "by"), ("text", "note")],
              empty=f"No notes on {indicator} yet.")


# -- status and refresh -------------------------------------------------------------------------

_WORDS = {"on-track": "on track", "at-risk": "AT RISK", "off-track": "OFF TRACK", None: "no data"}


@click.command()
@click.option("--outcome", default=None, help="Only this outcome.")
@json_option
@pass_context
def status(ctx: Any, outcome: str | None, as_json: bool) -> None:
    """Every outcome: its indicators, progress, status, pivot signal and freshness."""
    with ctx.open() as p:
        if outcome:
            p.outcomes.get(outcome)
        data = p.measure.status()
    if outcome:
        data["outcomes"] = [o for o in data["outcomes"] if o["outcome"] == outcome]
    if data.get("refresh_problem"):
        click.echo(f"note: {data['refresh_problem']}", err=True)
    if as_json:
        emit_json(data)
        return
    click.echo(f"Status as of {data['as_of']}")
    unmeasured = []
    for o in data["outcomes"]:
        if not o["indicators"]:
            unmeasured.append(o["outcome"])
            continue
        flags = "  PIVOT" if o["pivot"] else ""
        click.echo(f"\n{o['outcome']}: {_WORDS[o['status']]}{flags}  ({o['title']})")
        rows = []
        for i in o["indicators"]:
            rows.append({
                "indicator": i["indicator"],
                "latest": "" if i["latest"] is None else f"{i['latest']:g} {i['unit']}",
                "when": i["latest_date"],
                "progress": "" if i["progress"] is None else f"{i['progress']:g}%",
                "status": _WORDS[i["status"]] + ("  PIVOT" if i["pivot"] else ""),
                "target": f"{i['target']:g} by {i['target_date']}",
                "fresh": f"STALE (due {i['next_due']})" if i["stale"] else "ok",
            })
        table(rows, [("indicator", "indicator"), ("latest", "latest"), ("when", "when"),
                     ("progress", "progress"), ("status", "status"), ("target", "target"),
                     ("fresh", "fresh")])
        for i in o["indicators"]:
            for s in i["story"][:1]:
                click.echo(f"  story of {i['indicator']}, {s['date']} [{s['kind']}]: {s['text']}")
    if unmeasured:
        click.echo(f"\nNo indicators yet: {', '.join(unmeasured)}")
    for m in data["partnership_metrics"]:
        click.echo(f"\n{m['metric']} ({m['period']}): {m['value']}")
    for prob in data["metric_problems"]:
        click.echo(f"\nmetric '{prob['metric']}' from plugin '{prob['plugin']}' failed: "
                   f"{prob['error']}", err=True)


@click.command()
@click.option("--time-limit", type=click.FloatRange(min=0.01), default=None, metavar="SECONDS",
              help="Stop waiting for a plugin metric after this long (default 10).")
@json_option
@pass_context
def refresh(ctx: Any, time_limit: float | None, as_json: bool) -> None:
    """Compute every metric (built-in and plugin) into the metric-values table."""
    with ctx.open() as p:
        result = p.measure.refresh(force=True, time_limit=time_limit)
    runs = [{"metric": r.metric, "plugin": r.plugin, "ok": r.ok, "error": r.error,
             "values": len(r.values), "seconds": r.seconds} for r in result.runs]
    if as_json:
        emit_json({"as_of": result.as_of, "values": result.values, "metrics": runs})
        return
    done(f"computed {result.values} value(s) of {len(runs)} metric(s) as of {result.as_of}")
    for r in result.problems:
        click.echo(f"metric '{r.metric}' from plugin '{r.plugin}' failed: {r.error}", err=True)


def register(cli: click.Group) -> None:
    for command in (indicator, activity, observe, story, status, refresh):
        cli.add_command(command)
