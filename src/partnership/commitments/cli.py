"""Commands for commitments and the trust ledger: commit, commitment deliver / withdraw /
correct / show, commitments (due soon, by owner, CSV) and ledger."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

import click

from partnership.cli.context import Context, pass_context
from partnership.cli.output import done, emit_json, plural, table

if TYPE_CHECKING:
    import datetime as dt

json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")

LIST_COLUMNS = [("ref", "id"), ("partner", "partner"), ("owner", "owner"), ("due", "due"),
                ("status", "status"), ("additional", "additional"), ("what", "what")]
CSV_COLUMNS = ["ref", "partner", "partner_name", "owner", "owner_name", "owner_email", "what", "outcome",
               "activity", "due", "status", "days_late", "additional", "created", "delivered_on",
               "evidence", "withdrawn_on", "reason"]
LEDGER_COLUMNS = [("partner", "partner"), ("made", "made"), ("kept", "kept"),
                  ("kept_late", "kept late"), ("open", "open"), ("overdue", "overdue"),
                  ("withdrawn", "withdrawn"), ("withdrawn_agreed", "agreed"), ("kept_rate", "kept rate"),
                  ("on_time_rate", "on time"), ("additional_share", "additional")]
QUARTER_COLUMNS = [("quarter", "quarter"), *LEDGER_COLUMNS[1:]]


def _percent(value: Any) -> str:
    return "-" if value is None else f"{round(value * 100)}%"


@click.command("commit")
@click.argument("partner")
@click.argument("what")
@click.option("--due", required=True, help="When it is due, as YYYY-MM-DD.")
@click.option("--owner", default=None, metavar="PERSON", help="Who owns it (a person of PARTNER).")
@click.option("--outcome", default=None, help="The outcome it serves.")
@click.option("--activity", default=None, help="The activity it serves.")
@click.option("--additional/--business-as-usual", default=False, show_default=True,
              help="New because of the partnership, or business as usual (what it would do anyway).")
@click.option("--created", default=None, help="The day it was made, YYYY-MM-DD (default today).")
@pass_context
def commit(ctx: Context, /, partner: str, what: str, **fields: Any) -> None:
    """Record that PARTNER commits to WHAT by --due."""
    from partnership.commitments.service import show_ref

    with ctx.open() as p:
        made = p.commitments.commit(partner, what, **fields)
        kind = "additional" if made.additional else "business as usual"
        done(f"made commitment {show_ref(made.id)}: {made.partner} by {made.due.isoformat()} ({kind})")


@click.group()
def commitment() -> None:
    """One commitment (like C-12): deliver, withdraw, correct."""


@commitment.command("deliver")
@click.argument("ident", metavar="ID")
@click.option("--evidence", required=True, help="A link or a sentence showing it was done.")
@click.option("--date", default=None, help="When it was delivered, YYYY-MM-DD (default today).")
@pass_context
def commitment_deliver(ctx: Context, ident: str, evidence: str, date: str | None) -> None:
    """Record that commitment ID was delivered."""
    from partnership.commitments.service import show_ref

    with ctx.open() as p:
        c = p.commitments.deliver(ident, evidence=evidence, date=date)
        delivered_on = cast("dt.date", c.delivered_on)  # set by deliver (the model requires it)
        late = delivered_on > c.due
        days = (delivered_on - c.due).days
        how = f"kept late ({days} day{'s' if days != 1 else ''} after {c.due})" if late else "kept"
        done(f"{show_ref(c.id)} delivered on {delivered_on}: {how}")


@commitment.command("withdraw")
@click.argument("ident", metavar="ID")
@click.option("--reason", required=True, help="Why it is withdrawn (published).")
@click.option("--date", default=None, help="When, YYYY-MM-DD (default today).")
@click.option("--agreed", default="", metavar="TEXT",
              help="Why the partnership agreed to the withdrawal (then it does not count against "
                   "the partner).")
@pass_context
def commitment_withdraw(ctx: Context, ident: str, reason: str, date: str | None, agreed: str) -> None:
    """Withdraw commitment ID, saying why."""
    from partnership.commitments.service import show_ref

    with ctx.open() as p:
        c = p.commitments.withdraw(ident, reason=reason, date=date, agreed=agreed)
        done(f"{show_ref(c.id)} withdrawn on {c.withdrawn_on}"
             + (" (agreed by the partnership: not counted against the partner)" if agreed else ""))


@commitment.command("agree")
@click.argument("ident", metavar="ID")
@click.option("--reason", required=True, metavar="TEXT",
              help="Why the partnership agreed, e.g. 'budget cut accepted by the board' (published).")
@pass_context
def commitment_agree(ctx: Context, ident: str, reason: str) -> None:
    """Mark the withdrawal of commitment ID as agreed.

    Agreed by the partnership: it leaves the partner's rates.

    An agreed withdrawal is not counted against the partner in the ledger."""
    from partnership.commitments.service import show_ref

    with ctx.open() as p:
        c = p.commitments.agree_withdrawal(ident, reason=reason)
        done(f"the withdrawal of {show_ref(c.id)} is agreed: it no longer counts against {c.partner}")


@commitment.command("correct")
@click.argument("ident", metavar="ID")
@click.option("--partner", default=None)
@click.option("--owner", default=None, metavar="PERSON")
@click.option("--what", default=None)
@click.option("--outcome", default=None)
@click.option("--activity", default=None)
@click.option("--due", default=None, help="YYYY-MM-DD")
@click.option("--additional/--business-as-usual", default=None)
@click.option("--created", default=None, help="YYYY-MM-DD")
@click.option("--delivered-on", default=None, help="YYYY-MM-DD (delivered commitments only)")
@click.option("--evidence", default=None)
@click.option("--withdrawn-on", default=None, help="YYYY-MM-DD (withdrawn commitments only)")
@click.option("--reason", default=None)
@click.option("--withdrawal-agreed", default=None, metavar="TEXT",
              help="Why the partnership agreed to the withdrawal ('' to say it did not).")
@pass_context
def commitment_correct(ctx: Context, /, ident: str, **changes: Any) -> None:
    """Correct a detail of commitment ID.

    The change log keeps what it was.
    """
    from partnership.commitments.service import show_ref

    changes = {k: v for k, v in changes.items() if v is not None}
    if not changes:
        raise click.UsageError("say what to correct, e.g. --due 2026-03-31")
    with ctx.open() as p:
        c = p.commitments.correct(ident, **changes)
        done(f"corrected {show_ref(c.id)}: {', '.join(sorted(changes))}")


@commitment.command("remove")
@click.argument("ident", metavar="ID")
@click.option("--reason", required=True, metavar="TEXT", help="Why, e.g. 'recorded twice' (published).")
@pass_context
def commitment_remove(ctx: Context, ident: str, reason: str) -> None:
    """Remove commitment ID recorded by mistake.

    Only an open one not yet due.
    """
    from partnership.commitments.service import show_ref

    with ctx.open() as p:
        c = p.commitments.remove(ident, reason=reason)
        done(f"removed {show_ref(c.id)} (undo with 'partnership undo')")


@commitment.command("show")
@click.argument("ident", metavar="ID")
@json_option
@pass_context
def commitment_show(ctx: Context, ident: str, as_json: bool) -> None:
    """Show commitment ID, its status and its history."""
    with ctx.open() as p:
        data = p.commitments.show(ident)
    if as_json:
        emit_json(data)
        return
    from partnership.cli.output import cell

    fields = [k for k in data if k not in ("history", "id")]
    width = max(len(k) for k in fields)
    for k in fields:
        click.echo(f"{k.ljust(width)}  {cell(data[k])}")
    click.echo("\nHistory:")
    table([{**h, "detail": _detail(h)} for h in data["history"]],
          [("at", "when"), ("actor", "who"), ("action", "action"), ("detail", "what changed")])


def _detail(entry: dict[str, Any]) -> str:
    if entry["action"] != "update":
        return "made"
    changed = entry["data"].get("changed", {})
    before = entry["data"].get("before", {})
    return "; ".join(f"{k}: {before.get(k) if before.get(k) not in (None, '') else '-'} -> {v}"
                     for k, v in sorted(changed.items()))


@click.command("commitments")
@click.option("--due-within", default=None, metavar="WINDOW",
              help="Only unkept ones due within WINDOW (e.g. 14d or 2w), overdue ones included, "
                   "by owner.")
@click.option("--owner", default=None, metavar="PERSON", help="Only those PERSON owns.")
@click.option("--partner", default=None, help="Only this partner's.")
@click.option("--state", "status", default=None, metavar="STATUS",
              help="Only kept, kept-late, open, overdue or withdrawn ones.")
@click.option("--csv", "csv_path", is_flag=False, flag_value="-", default=None, metavar="FILE",
              help="Write CSV for a reminders mail merge (with the owners' email) to a new private "
                   "FILE, readable only by you; '--csv' alone prints it, without the emails.")
@click.option("--force", is_flag=True, help="With --csv FILE: replace FILE if it exists.")
@json_option
@pass_context
def commitments(ctx: Context, due_within: str | None, owner: str | None, partner: str | None,
                status: str | None, csv_path: str | None, force: bool, as_json: bool) -> None:
    """List commitments with their status as of today."""
    if csv_path and as_json:
        raise click.UsageError("--csv cannot be used with --json; choose one")
    if force and (not csv_path or csv_path == "-"):
        raise click.UsageError("--force goes with --csv FILE")
    with ctx.open() as p:
        rows = p.commitments.list(status=status, owner=owner, partner=partner, due_within=due_within)
        if csv_path:
            from partnership import outfiles, tabular

            # a mail merge needs names and addresses beside the slugs
            people = {x.slug: x for x in p.people.list()}
            partners = {x.slug: x.name for x in p.partners.list()}
            rows = [{**r, "partner_name": partners.get(r["partner"]),
                     "owner_name": getattr(people.get(r["owner"] or ""), "name", None),
                     "owner_email": getattr(people.get(r["owner"] or ""), "email", None)}
                    for r in rows]
            if csv_path != "-":
                tabular.write_csv(csv_path, CSV_COLUMNS, rows, protect=outfiles.protected_paths(ctx.db),
                                  private=True, force=force,
                                  recognise=outfiles.csv_header_in([CSV_COLUMNS]),
                                  what="an earlier commitments CSV")
                done(f"wrote {plural(len(rows), 'commitment')} to {csv_path} (readable only by you: it holds "
                     f"email addresses)")
                return
    if as_json:
        emit_json(rows)
    elif csv_path:
        from partnership import tabular

        # on the screen (or piped to a file anyone may read) without the email addresses:
        # those go only to a private --csv FILE
        click.echo(tabular.csv_text([c for c in CSV_COLUMNS if c != "owner_email"], rows), nl=False)
    else:
        table(rows, LIST_COLUMNS, empty="(no commitments)")


@click.command("ledger")
@click.option("--by-quarter", is_flag=True,
              help="The whole partnership's figures per quarter of the due date instead.")
@json_option
@pass_context
def ledger(ctx: Context, by_quarter: bool, as_json: bool) -> None:
    """The trust ledger: who keeps their promises.

    Per partner: promises made, kept, kept late, open, overdue, withdrawn.
    """
    with ctx.open() as p:
        rows = p.commitments.by_quarter() if by_quarter else p.commitments.ledger()
        today = p.today().isoformat()
    if as_json:
        emit_json({"as_of": today, "quarters" if by_quarter else "partners": rows})
        return
    shown = [{**r, **{k: _percent(r[k]) for k in ("kept_rate", "on_time_rate", "additional_share")}}
             for r in rows]
    table(shown, QUARTER_COLUMNS if by_quarter else LEDGER_COLUMNS, empty="(no commitments)")
    click.echo(f"\nAs of {today}. Kept rate: kept (on time or late) out of the commitments kept,\n"
               f"overdue or withdrawn (a withdrawal the partnership agreed to is left out).\n"
               f"On time: kept by the due date. Additional: the share that is new because of the\n"
               f"partnership, not business as usual.")


def register(cli: click.Group) -> None:
    for command in (commit, commitment, commitments, ledger):
        cli.add_command(command)
