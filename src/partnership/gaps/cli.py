"""Commands for step 3: needs, capacity, gap states and the gap analysis."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from partnership.cli.context import Context, pass_context
from partnership.cli.output import cell, done, echo_wrapped, emit_json, table

if TYPE_CHECKING:
    from .service import Rows

json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")


def _given(**options: Any) -> dict[str, Any]:
    return {k: v for k, v in options.items() if v is not None}


def _amount(value: Any, unit: Any) -> str:
    return "" if value is None else f"{cell(value)} {unit}"


# -- needs ------------------------------------------------------------------------------


@click.group()
def need() -> None:
    """What each outcome needs (step 3).

    Amounts in a unit, or yes/no needs.
    """


@need.command("add")
@click.argument("outcome")
@click.argument("slug")
@click.option("--kind", default="other", show_default=True,
              help="people, money, skills, data, systems, premises or other.")
@click.option("--amount", default=None, help="How much is needed, e.g. 3 (needs --unit). "
                                              "Leave out for a yes/no need.")
@click.option("--unit", default=None, help="Unit of the amount, e.g. FTE, GBP, hours.")
@click.option("--essential/--helpful", default=False, show_default=True,
              help="The outcome cannot be achieved without it, or it would help.")
@click.option("--description", default="", help="What exactly is needed.")
@pass_context
def need_add(ctx: Context, /, outcome: str, slug: str, **fields: Any) -> None:
    """Record that OUTCOME needs something, named SLUG.

    SLUG is a short name of your choosing, such as youth-outreach.
    """
    with ctx.open() as p:
        added = p.gaps.add_need(outcome, slug, **_given(**fields))
        done(f"added need {added.slug} of {added.outcome}")


@need.command("update")
@click.argument("outcome")
@click.argument("slug")
@click.option("--kind", default=None)
@click.option("--amount", default=None, help="How much ('' with --unit '' for a yes/no need).")
@click.option("--unit", default=None)
@click.option("--essential/--helpful", default=None)
@click.option("--description", default=None)
@pass_context
def need_update(ctx: Context, /, outcome: str, slug: str, **changes: Any) -> None:
    """Change a need of OUTCOME."""
    changes = _given(**changes)
    if changes.get("amount") == "":
        changes["amount"] = None
    with ctx.open() as p:
        p.gaps.update_need(outcome, slug, **changes)
        done(f"updated need {slug} of {outcome}")


NEED_COLUMNS = [("outcome", "outcome"), ("slug", "need"), ("kind", "kind"),
                ("essential", "essential"), ("amount", "amount"), ("unit", "unit"),
                ("description", "description")]


@need.command("list")
@click.option("--outcome", default=None, help="Only this outcome.")
@json_option
@pass_context
def need_list(ctx: Context, outcome: str | None, as_json: bool) -> None:
    """List needs (yes/no needs have no amount)."""
    with ctx.open() as p:
        rows = p.gaps.list_needs(outcome)
    if as_json:
        emit_json(rows)
    else:
        table(rows, NEED_COLUMNS)


@need.command("remove")
@click.argument("outcome")
@click.argument("slug")
@click.option("--reason", default="", metavar="TEXT", help="Why, in a few words (kept in the change log).")
@pass_context
def need_remove(ctx: Context, outcome: str, slug: str, reason: str) -> None:
    """Remove a need no contribution meets (the change log keeps a copy)."""
    with ctx.open() as p:
        p.gaps.remove_need(outcome, slug, reason=reason)
        done(f"removed need {slug} of {outcome}")


# -- capacity ---------------------------------------------------------------------------


@click.group()
def capacity() -> None:
    """What each partner can really give, across outcomes.

    Over-commitment is flagged.
    """


@capacity.command("set")
@click.argument("partner")
@click.option("--kind", required=True, help="people, money, skills, data, systems, premises or other.")
@click.option("--amount", required=True, help="How much the partner can give in all, e.g. 4.")
@click.option("--unit", required=True,
              help="A unit the partner's contributions are counted in, e.g. FTE.")
@click.option("--note", default=None, help="Where the figure comes from.")
@pass_context
def capacity_set(ctx: Context, partner: str, kind: str, amount: str, unit: str, note: str | None) -> None:
    """Declare what PARTNER can give of one kind.

    Across all outcomes; run it again to change it.
    """
    with ctx.open() as p:
        saved = p.gaps.set_capacity(partner, kind=kind, amount=amount, unit=unit, note=note)
        done(f"capacity of {saved.partner}: {saved.amount:g} {saved.unit} of {saved.kind}")


#: the most telling first: what does not fit the window is printed under each row
CAPACITY_COLUMNS = [("partner", "partner"), ("kind", "kind"), ("capacity_text", "capacity"),
                    ("used_text", "used"), ("flag", "check"), ("used_firm_text", "of which firm"),
                    ("outcomes", "outcomes")]


def _capacity_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**r, "capacity_text": _amount(r["capacity"], r["unit"]),
             "used_text": _amount(r["used"], r["unit"]),
             "used_firm_text": _amount(r["used_firm"], r["unit"]),
             "flag": f"OVER-COMMITTED by {_amount(r['over_by'], r['unit'])}"
             if r["over_committed"] else "ok"} for r in rows]


@capacity.command("list")
@click.option("--partner", default=None, help="Only this partner.")
@json_option
@pass_context
def capacity_list(ctx: Context, partner: str | None, as_json: bool) -> None:
    """Declared capacity and how much of it is used.

    Across all outcomes.
    """
    with ctx.open() as p:
        rows = p.gaps.capacity_use(partner=partner)
    if as_json:
        emit_json(rows)
    else:
        table(_capacity_rows(rows), CAPACITY_COLUMNS)


@capacity.command("remove")
@click.argument("partner")
@click.option("--kind", required=True)
@click.option("--unit", required=True)
@click.option("--reason", default="", metavar="TEXT", help="Why, in a few words (kept in the change log).")
@pass_context
def capacity_remove(ctx: Context, partner: str, kind: str, unit: str, reason: str) -> None:
    """Remove a declared capacity."""
    with ctx.open() as p:
        p.gaps.remove_capacity(partner, kind=kind, unit=unit, reason=reason)
        done(f"removed capacity of {partner} in {unit} of {kind}")


# -- gap states ---------------------------------------------------------------------------


@click.group()
def gap() -> None:
    """What is done about a gap: seek, accept, fill, reopen."""


@gap.command("seek")
@click.argument("outcome")
@click.argument("need")
@click.option("--candidate", required=True, help="A group outside the partnership that could meet it.")
@click.option("--note", default="", help="Where the approach has got to.")
@pass_context
def gap_seek(ctx: Context, outcome: str, need: str, candidate: str, note: str) -> None:
    """Record that another group could meet the gap of NEED of OUTCOME."""
    with ctx.open() as p:
        p.gaps.seek(outcome, need, candidate=candidate, note=note)
        done(f"gap {outcome}/{need}: seeking {candidate}")


@gap.command("accept")
@click.argument("outcome")
@click.argument("need")
@click.option("--reason", default="", help="Why the outcome can still be achieved without it (required).")
@click.option("--note", default="")
@pass_context
def gap_accept(ctx: Context, outcome: str, need: str, reason: str, note: str) -> None:
    """Accept the gap of NEED: OUTCOME can still be achieved without it."""
    with ctx.open() as p:
        p.gaps.accept(outcome, need, reason=reason, note=note)
        done(f"gap {outcome}/{need}: accepted")


@gap.command("fill")
@click.argument("outcome")
@click.argument("need")
@click.option("--by", default=None, help="The group outside the partnership that meets it "
                                          "(default: the candidate being sought).")
@click.option("--note", default="")
@pass_context
def gap_fill(ctx: Context, outcome: str, need: str, by: str | None, note: str) -> None:
    """Record that a group outside the partnership meets the gap of NEED."""
    with ctx.open() as p:
        state = p.gaps.fill_externally(outcome, need, by=by, note=note)
        done(f"gap {outcome}/{need}: filled externally by {state.candidate}")


@gap.command("reopen")
@click.argument("outcome")
@click.argument("need")
@click.option("--note", default="")
@pass_context
def gap_reopen(ctx: Context, outcome: str, need: str, note: str) -> None:
    """Put the gap of NEED back to open.

    An open essential gap is a collaboration killer.
    """
    with ctx.open() as p:
        p.gaps.reopen(outcome, need, note=note)
        done(f"gap {outcome}/{need}: open")


# -- the analysis -------------------------------------------------------------------------

VERDICT_WORDS = {"on-course": "on course", "at-risk": "AT RISK", "reboot": "REBOOT",
                 "no-needs": "no needs recorded"}
VERDICT_COLUMNS = [("outcome", "outcome"), ("verdict_text", "verdict"), ("killers", "killers"),
                   ("needs", "needs"), ("met", "met"), ("open", "open"), ("seeking", "seeking"),
                   ("filled_externally", "filled"), ("accepted", "accepted")]
#: one table per outcome; what was decided about a gap (candidate, reason) follows it in full
GAP_COLUMNS = [("need", "need"), ("essential_text", "essential"), ("needed_text", "needed"),
               ("met_text", "met"), ("gap_text", "gap"), ("state_text", "state")]
UNMATCHED_COLUMNS = [("contribution", "#"), ("outcome", "outcome"), ("partner", "partner"),
                     ("description", "description"), ("why", "why")]


def _plural(n: int, noun: str, nouns: str = "") -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {nouns or noun + 's'}"


def _count(n: int, noun: str) -> str:
    return _plural(n, noun) if n else "none"


def _state_text(r: dict[str, Any]) -> str:
    """'met', or how far it is met and what is being done: 'unmet, seeking', 'unmet, KILLER'."""
    if r["state"] == "met":
        return "met"
    return f"{r['cover'].replace('-', ' ')}, {'KILLER' if r['killer'] else r['state'].replace('-', ' ')}"


def _decision(r: dict[str, Any]) -> str:
    state = r["state"]
    if state == "accepted":
        return f"accepted: {r['reason']}"
    if state in ("seeking", "filled-externally"):
        verb = "seeking" if state == "seeking" else "filled by"
        return f"{verb} {r['candidate']}" + (f": {r['note']}" if r.get("note") else "")
    if r["killer"]:
        return ("collaboration killer: find a candidate ('partnership gap seek') or agree the "
                "outcome can do without it ('partnership gap accept')")
    return ""


def _gap_rows(rows: Rows) -> list[dict[str, Any]]:
    out = []
    for r in rows.dicts():
        yes_no = r["needed"] is None
        out.append({
            **r,
            "essential_text": "essential" if r["essential"] else "helpful",
            "needed_text": "yes/no" if yes_no else _amount(r["needed"], r["unit"]),
            "met_text": (_count(r["contributions"], "contribution") if yes_no
                         else _amount(r["met"], r["unit"])),
            "gap_text": "" if yes_no or not r["gap"] else _amount(r["gap"], r["unit"]),
            "state_text": _state_text(r),
            "detail": _decision(r),
        })
    return out


@click.command("gaps")
@click.option("--outcome", default=None, help="Only this outcome.")
@click.option("--count-likely", is_flag=True,
              help="Count likely contributions toward needs as well as firm ones.")
@json_option
@pass_context
def gaps(ctx: Context, outcome: str | None, count_likely: bool, as_json: bool) -> None:
    """Every gap, its state, and the verdict per outcome.

    Step 3.
    """
    with ctx.open() as p:
        analysis = p.gaps.analysis(outcome=outcome, count_likely=count_likely)
    if as_json:
        emit_json(analysis.to_dict())
        return
    counted = "firm and likely" if count_likely else "only firm"
    click.echo(f"Verdicts ({counted} contributions count toward needs)")
    verdicts = analysis.verdicts.dicts()
    table([{**v, "verdict_text": VERDICT_WORDS.get(v["verdict"], v["verdict"])}
           for v in verdicts], VERDICT_COLUMNS, empty="(no outcomes)")
    click.echo("\nNeeds and gaps")
    if not analysis.gaps:
        click.echo("(no needs recorded: add them with 'partnership need add')")
    by_outcome: dict[str, list[dict[str, Any]]] = {}
    for row in _gap_rows(analysis.gaps):
        by_outcome.setdefault(row["outcome"], []).append(row)
    for v in verdicts:
        if v["outcome"] in by_outcome:
            click.echo()
            echo_wrapped(f"{v['outcome']}: {VERDICT_WORDS.get(v['verdict'], v['verdict'])}  ({v['title']})",
                         subsequent="  ")
            table(by_outcome[v["outcome"]], GAP_COLUMNS)
            for row in by_outcome[v["outcome"]]:
                if row["detail"]:
                    echo_wrapped(f"{row['need']}: {cell(row['detail'])}", indent="  ", subsequent="    ")
    over = analysis.over_committed
    if analysis.capacity:
        click.echo("\nCapacity")
        table(_capacity_rows(analysis.capacity.dicts()), CAPACITY_COLUMNS)
    if analysis.unmatched:
        click.echo("\nContributions that count toward no need")
        table(analysis.unmatched.dicts(), UNMATCHED_COLUMNS)
    killers = analysis.killers
    reboot = sum(1 for v in verdicts if v["verdict"] == "reboot")
    summary = [_plural(len(killers), "collaboration killer"), _plural(reboot, "outcome") + " to reboot",
               _plural(len(over), "over-committed capacity", "over-committed capacities"),
               _plural(len(analysis.unmatched), "unmatched contribution")]
    click.echo()
    echo_wrapped(", ".join(summary) + ".")


def register(cli: click.Group) -> None:
    for command in (need, capacity, gap, gaps):
        cli.add_command(command)
