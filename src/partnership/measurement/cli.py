"""Commands for step 4: indicators, activities, observations (one or a CSV file), the
story behind the curve, status and refresh."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from partnership.cli.context import pass_context
from partnership.cli.output import done, echo_wrapped, emit_json, plural, table
from partnership.cli.problems import errors_option, reporting

json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
reason_option = click.option("--reason", default="", metavar="TEXT",
                             help="Why, in a few words (kept in the change log, which is public).")
confirm_option = click.option(
    "--confirm", is_flag=True,
    help="Take a figure far outside what the indicator has seen (refused otherwise as a likely typo).")

F = TypeVar("F", bound=Callable[..., Any])


def _given(**options: Any) -> dict[str, Any]:
    return {k: v for k, v in options.items() if v is not None}


def _show(data: dict[str, Any]) -> None:
    from partnership.cli.output import cell, echo_field

    width = max(len(k) for k in data)
    for k, v in data.items():
        if isinstance(v, (list, dict)):
            continue
        echo_field(k, cell(v), width)


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
    """One indicator: figures, observations, its story."""
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
            echo_wrapped(f"{s['date']} [{s['kind']}] {s['text']}", indent="  ", subsequent="    ")


@indicator.command("remove")
@click.argument("slug")
@reason_option
@pass_context
def indicator_remove(ctx: Any, slug: str, reason: str) -> None:
    """Remove indicator SLUG (not while it has figures).

    Refused while it has observations or notes.
    """
    with ctx.open() as p:
        p.measure.indicators.remove(slug, reason=reason)
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


@activity.command("update")
@click.argument("slug")
@click.option("--partner", default=None, help="The partner doing it (slug).")
@click.option("--title", default=None, help="What is done, in words.")
@click.option("--status", default=None, metavar="STATUS",
              help="planned, running, paused, stopped or finished.")
@click.option("--start", "start_date", default=None, metavar="DATE", help="When it starts (YYYY-MM-DD).")
@click.option("--end", "end_date", default=None, metavar="DATE", help="When it ends (YYYY-MM-DD).")
@click.option("--description", default=None)
@reason_option
@pass_context
def activity_update(ctx: Any, /, slug: str, reason: str, **fields: Any) -> None:
    """Change activity SLUG; what is not given stays as it was."""
    with ctx.open() as p:
        p.measure.update_activity(slug, reason=reason, **_given(**fields))
        done(f"updated activity {slug}")


@activity.command("remove")
@click.argument("slug")
@reason_option
@pass_context
def activity_remove(ctx: Any, slug: str, reason: str) -> None:
    """Remove activity SLUG nothing refers to.

    Refused while an indicator or commitment refers to it.
    """
    with ctx.open() as p:
        p.measure.remove_activity(slug, reason=reason)
        done(f"removed activity {slug} (undo with 'partnership undo')")


@activity.command("list")
@click.option("--outcome", default=None, help="Only activities serving this outcome.")
@click.option("--partner", default=None, help="Only this partner's activities.")
@json_option
@pass_context
def activity_list(ctx: Any, outcome: str | None, partner: str | None, as_json: bool) -> None:
    """Every activity, who does it and the outcomes it serves."""
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
@click.option("--source", default=None, help="Where the figure comes from.")
@click.option("--note", default=None, help="Anything a reader should know about it.")
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
@confirm_option
@errors_option
@pass_context
def observe(ctx: Any, indicator: str | None, value: str | None, date: str | None, source: str | None,
            note: str | None, csv_path: str | None, skip_bad: bool, reject_file: str | None,
            replace: bool, force: bool, confirm: bool, errors_path: str | None) -> None:
    """Record an observation (or many with --csv FILE)."""
    if csv_path:
        if indicator or value or date or source or note:
            raise click.UsageError("give either INDICATOR VALUE or --csv FILE, not both")
        # problems one per line (the first 20, then a count; all of them with --errors FILE)
        with reporting(csv_path, errors_path, ctx.db):
            _observe_csv(ctx, csv_path, skip_bad, reject_file, replace, force, confirm)
        return
    if skip_bad or reject_file or force or errors_path:
        raise click.UsageError("--skip-bad, --reject-file, --force and --errors only go with --csv FILE")
    if not indicator or value is None:
        raise click.UsageError("give INDICATOR VALUE (e.g. 'observe repeat-victims 398'), or --csv FILE")
    with ctx.open() as p:
        obs = p.measure.observe(indicator, value, date=date, source=source, note=note, replace=replace,
                                confirm=confirm)
        done(f"recorded {obs.indicator} = {obs.value:g} on {obs.date.isoformat()}")


@click.group()
def observation() -> None:
    """One observation: correct or remove it.

    The change log keeps what it was, and why.
    """


@observation.command("correct")
@click.argument("indicator")
@click.argument("date")
@click.option("--value", default=None, help="The right figure.")
@click.option("--date", "new_date", default=None, metavar="DATE", help="The right date (YYYY-MM-DD).")
@click.option("--source", default=None, help="Where the figure comes from.")
@click.option("--note", default=None, help="Anything a reader should know about it.")
@click.option("--reason", required=True, metavar="TEXT",
              help="Why it is corrected, in a few words (kept in the public change log).")
@confirm_option
@pass_context
def observation_correct(ctx: Any, indicator: str, date: str, value: str | None, new_date: str | None,
                        source: str | None, note: str | None, reason: str, confirm: bool) -> None:
    """Correct the observation of INDICATOR on DATE.

    What is not given stays as it was.
    """
    with ctx.open() as p:
        obs = p.measure.correct_observation(indicator, date, value=value, new_date=new_date,
                                            source=source, note=note, reason=reason, confirm=confirm)
        done(f"corrected {obs.indicator} on {obs.date.isoformat()}: now {obs.value:g} "
             f"(undo with 'partnership undo')")


@observation.command("remove")
@click.argument("indicator")
@click.argument("date")
@click.option("--reason", required=True, metavar="TEXT",
              help="Why it is removed, in a few words (kept in the public change log).")
@pass_context
def observation_remove(ctx: Any, indicator: str, date: str, reason: str) -> None:
    """Remove the observation of INDICATOR on DATE.

    The change log keeps it.
    """
    with ctx.open() as p:
        obs = p.measure.remove_observation(indicator, date, reason=reason)
        done(f"removed {obs.indicator} = {obs.value:g} on {obs.date.isoformat()} "
             f"(undo with 'partnership undo')")


def _observe_csv(ctx: Any, path: str, skip_bad: bool, reject_file: str | None, replace: bool,
                 force: bool, confirm: bool = False) -> None:
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
        result = _import_observations(ctx, path, skip_bad, raw, replace, confirm)
        if reject is not None and raw is not None:
            # the library writes the rows as they were; people open the file in a spreadsheet
            # utf-8-sig: the mark Excel needs to show accents and £ (see partnership.tabular)
            with reject as tmp, open(tmp, "w", newline="", encoding="utf-8-sig") as f:
                outfiles.copy_csv_for_people(raw, f)
            result.reject_path = str(reject.target)
    message = (f"imported {plural(result.imported, 'observation')} of "
               f"{plural(result.indicators, 'indicator')} from {path}")
    if result.rejected:
        message += f"; {plural(result.rejected, 'bad row')} written to {result.reject_path}"
    done(message)


def _import_observations(ctx: Any, path: str, skip_bad: bool, reject_file: Any,
                         replace: bool, confirm: bool = False) -> Any:
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
                                              replace=replace, progress=progress, confirm=confirm)
        else:
            result = p.measure.import_csv(path, skip_bad=skip_bad, reject_path=reject_file,
                                          replace=replace, confirm=confirm)
    return result


# -- the story behind the curve ------------------------------------------------------------------

@click.group()
def story() -> None:
    """The story behind the curve: why a figure moves.

    Why an indicator moves, what works, what to try next.
    """


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


@story.command("correct")
@click.argument("ident", metavar="ID", type=int)
@click.option("--text", default=None)
@click.option("--kind", default=None, metavar="KIND", help="why, works or next.")
@click.option("--date", default=None, metavar="DATE")
@click.option("--author", default=None, metavar="PERSON")
@reason_option
@pass_context
def story_correct(ctx: Any, /, ident: int, reason: str, **fields: Any) -> None:
    """Correct note number ID of a story.

    The numbers are in 'story list INDICATOR'.
    """
    with ctx.open() as p:
        p.measure.correct_story(ident, reason=reason, **_given(**fields))
        done(f"corrected note #{ident} (undo with 'partnership undo')")


@story.command("remove")
@click.argument("ident", metavar="ID", type=int)
@reason_option
@pass_context
def story_remove(ctx: Any, ident: int, reason: str) -> None:
    """Remove note number ID of a story (the change log keeps it)."""
    with ctx.open() as p:
        p.measure.remove_story(ident, reason=reason)
        done(f"removed note #{ident} (undo with 'partnership undo')")


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
        table(notes, [("id", "#"), ("date", "date"), ("kind", "kind"), ("author", "by"), ("text", "note")],
              empty=f"No notes on {indicator} yet.")


# -- status and refresh -------------------------------------------------------------------------

_WORDS = {"on-track": "on track", "at-risk": "AT RISK", "off-track": "OFF TRACK", None: "no data"}


@click.command()
@click.option("--outcome", default=None, help="Only this outcome.")
@json_option
@pass_context
def status(ctx: Any, outcome: str | None, as_json: bool) -> None:
    """Every outcome: its indicators, progress and status.

    With the pivot signal and how fresh each figure is.
    """
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
        _metric_problems(data)
        return
    click.echo(f"Status as of {data['as_of']}")
    unmeasured = []
    for o in data["outcomes"]:
        if not o["indicators"]:
            unmeasured.append(o["outcome"])
            continue
        flags = "  PIVOT" if o["pivot"] else ""
        click.echo()
        echo_wrapped(f"{o['outcome']}: {_WORDS[o['status']]}{flags}  ({o['title']})")
        rows = []
        for i in o["indicators"]:
            rows.append({
                "indicator": i["indicator"],
                "latest": "" if i["latest"] is None else f"{i['latest']:g} {i['unit']} on {i['latest_date']}",
                "progress": "" if i["progress"] is None else f"{i['progress']:g}%",
                "status": _WORDS[i["status"]] + (" PIVOT" if i["pivot"] else ""),
                "target": f"{i['target']:g} by {i['target_date']}",
                "fresh": f"STALE (due {i['next_due']})" if i["stale"] else "ok",
            })
        table(rows, [("indicator", "indicator"), ("latest", "latest"), ("progress", "progress"),
                     ("status", "status"), ("target", "target"), ("fresh", "fresh")])
        for i in o["indicators"]:
            if i.get("metrics"):  # plugin metrics, one line per indicator
                echo_wrapped(f"{i['indicator']}: " + "; ".join(_metric_text(m) for m in i["metrics"]),
                             indent="  ", subsequent="    ")
        for i in o["indicators"]:
            for s in i["story"][:1]:
                echo_wrapped(f"story of {i['indicator']}, {s['date']} [{s['kind']}]: {s['text']}",
                             indent="  ", subsequent="    ")
    if unmeasured:
        click.echo()
        echo_wrapped(f"No indicators yet: {', '.join(unmeasured)}", subsequent="  ")
    for m in data["partnership_metrics"]:
        click.echo(f"\n{m['metric']} ({m['period']}): {m['value']}{'  STALE' if m['stale'] else ''}")
    _metric_problems(data)


def _metric_text(m: dict[str, Any]) -> str:
    """A plugin metric's latest figure for a line of 'status'."""
    if m["value"] is None:
        return f"{m['metric']} (no figure)"
    value = f"{m['value']:g}" if isinstance(m["value"], (int, float)) else str(m["value"])
    return f"{m['metric']} {value} ({m['period']}){'  STALE' if m['stale'] else ''}"


def _metric_problems(data: dict[str, Any]) -> None:
    """Failed metrics and changed plugins, one line each, on stderr."""
    for prob in data["metric_problems"]:
        click.echo(prob["message"] or f"metric '{prob['metric']}' from plugin '{prob['plugin']}' "
                   f"failed: {prob['error']}", err=True)
    for line in data.get("changed_plugins", ()):
        click.echo(f"note: {line}", err=True)


@click.command()
@click.option("--time-limit", type=click.FloatRange(min=0.01), default=None, metavar="SECONDS",
              help="Stop waiting for a plugin metric after this long (default 10).")
@json_option
@pass_context
def refresh(ctx: Any, time_limit: float | None, as_json: bool) -> None:
    """Compute every metric, built-in and from plugins.

    Into the metric-values table.
    """
    with ctx.open() as p:
        result = p.measure.refresh(force=True, time_limit=time_limit)
    runs = [{"metric": r.metric, "plugin": r.plugin, "ok": r.ok, "error": r.error,
             "indicator": r.indicator, "failed_indicators": r.failed, "kept_stale": r.kept,
             "message": r.message, "values": r.values_written, "seconds": r.seconds}
            for r in result.runs]
    if as_json:
        emit_json({"as_of": result.as_of, "values": result.values, "metrics": runs})
        for line in result.messages:
            click.echo(line, err=True)
        return
    done(f"computed {plural(result.values, 'value')} of {plural(len(runs), 'metric')} as of {result.as_of}")
    for line in result.messages:
        click.echo(line, err=True)


def register(cli: click.Group) -> None:
    for command in (indicator, activity, observe, observation, story, status, refresh):
        cli.add_command(command)
