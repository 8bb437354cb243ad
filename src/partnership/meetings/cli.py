"""Commands for step 5: meetings (propose, invite, check, trim, cancel, record), the
crowd-sourced agenda, and written updates."""

from __future__ import annotations

from typing import Any

import click

from partnership.cli.context import pass_context
from partnership.cli.output import done, echo_command, echo_wrapped, emit_json, plural, table

json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")


@click.group()
def meeting() -> None:
    """Meetings: only when needed, with only those needed."""


@meeting.command("propose")
@click.argument("slug")
@click.option("--date", required=True, help="When, as YYYY-MM-DD.")
@click.option("--minutes", required=True, help="How long, in minutes, e.g. 90.")
@click.option("--invite", default=None, metavar="PEOPLE", help="People to invite: slugs, comma-separated.")
@click.option("--title", default="", help="A title, e.g. 'Partnership board, February'.")
@click.option("--chair", default=None, metavar="PERSON", help="Who chairs it (always needed, invited).")
@pass_context
def meeting_propose(ctx: Any, /, slug: str, **fields: Any) -> None:
    """Propose a meeting, identified by SLUG (e.g. board-2026-02)."""
    with ctx.open() as p:
        m = p.meetings.propose(slug, **fields)
        n = len(p.meetings._invited(slug))
        done(f"proposed meeting {m.slug} on {m.date.isoformat()} ({m.minutes} min, {n} invited); "
             f"pitch items with 'partnership agenda pitch {m.slug} ...'")


@meeting.command("invite")
@click.argument("slug")
@click.argument("people")
@pass_context
def meeting_invite(ctx: Any, slug: str, people: str) -> None:
    """Invite PEOPLE (slugs, comma-separated) to meeting SLUG."""
    with ctx.open() as p:
        added = p.meetings.invite(slug, people)
        done(f"invited {', '.join(added)} to {slug}" if added else f"already invited to {slug}")


@meeting.command("uninvite")
@click.argument("slug")
@click.argument("person")
@pass_context
def meeting_uninvite(ctx: Any, slug: str, person: str) -> None:
    """Take PERSON off the invitation list of meeting SLUG.

    Counted as hours saved.
    """
    with ctx.open() as p:
        p.meetings.uninvite(slug, person)
        done(f"{person} is no longer invited to {slug}")


def _print_check(c: Any) -> None:
    click.echo(f"{c.verdict.words}  {c.meeting}")
    echo_wrapped(c.summary, subsequent="  ")
    findings = c.findings
    if c.verdict.value == "dont-meet":
        # when nobody needs to meet, one line says so instead of one per invitee
        idle = [f.subject.partition(" ")[2] for f in findings if f.rule == "not-needed"]
        findings = [f for f in findings if f.rule != "not-needed"]
        if idle:
            click.echo()
            echo_wrapped(f"Nobody needs to be in the room: {', '.join(idle)}.", subsequent="  ")
    if findings:
        click.echo("\nWhy:")
        for f in findings:
            echo_wrapped(f"[{f.severity.value}] {f.rule}: {f.message}", indent="  ", subsequent="    ")
            if f.advice:
                echo_wrapped(f"what to do: {f.advice}", indent="      ", subsequent="        ")
    dont = c.verdict.value == "dont-meet"
    if c.drop_items and not dont:
        click.echo("\nItems to drop:")
        for i in c.drop_items:
            echo_wrapped(f"#{i['id']} {i['title']} ({i['kind']})", indent="  ", subsequent="    ")
    if c.drop_invitees and not dont:
        click.echo()
        echo_wrapped("Invitees to drop: " + ", ".join(i["person"] for i in c.drop_invitees), subsequent="  ")
    if c.keep_items:
        click.echo()
        echo_wrapped("Agenda to keep: " + "; ".join(f"#{i['id']} {i['title']}" for i in c.keep_items),
                     subsequent="  ")
        echo_wrapped("Invitees to keep: " + (", ".join(c.keep_invitees) or "(none)"), subsequent="  ")
    if c.post_instead:
        click.echo("\nPost instead:")
        for post in c.post_instead:
            echo_command(post["command"], indent="  ")
    click.echo(f"\nPerson-hours: {c.person_hours:g} as proposed, {c.person_hours_after:g} after, "
               f"{c.hours_saved:g} saved.")
    if c.cost is not None:
        from partnership.meetings.verdict import money

        echo_wrapped(f"Cost at {money(c.hourly_rate, c.currency)} an hour: {money(c.cost, c.currency)} "
                     f"as proposed, {money(c.cost_after, c.currency)} after, "
                     f"{money(c.saving, c.currency)} saved.", subsequent="  ")


@meeting.command("check")
@click.argument("slug")
@click.option("--hourly-rate", default=None, metavar="AMOUNT",
              help="Also cost the person-hours at this rate, e.g. 35.")
@click.option("--currency", default=None, metavar="CODE",
              help="The rate's currency, e.g. EUR (default: the partnership's, see 'about').")
@json_option
@pass_context
def meeting_check(ctx: Any, slug: str, hourly_rate: str | None, currency: str | None,
                  as_json: bool) -> None:
    """Should meeting SLUG happen? MEET, TRIM or DON'T MEET.

    With every reason.

    Exit status 0 for MEET, 1 for TRIM or DON'T MEET (so scripts can stop a booking).
    """
    with ctx.open() as p:
        c = p.meetings.check(slug, hourly_rate=hourly_rate, currency=currency)
    if as_json:
        emit_json(c.to_dict())
    else:
        _print_check(c)
    if c.verdict.value != "meet":
        raise SystemExit(1)


@meeting.command("trim")
@click.argument("slug")
@pass_context
def meeting_trim(ctx: Any, slug: str) -> None:
    """Drop what the check says meeting SLUG does not need.

    The items and the invitees.
    """
    with ctx.open() as p:
        c = p.meetings.trim(slug)
    done(f"trimmed {slug}: dropped {plural(len(c.drop_items), 'item')} and "
         f"{plural(len(c.drop_invitees), 'invitee')}, saving {plural(c.hours_saved, 'person-hour')}")


@meeting.command("cancel")
@click.argument("slug")
@click.option("--reason", default="", help="Why, e.g. 'updates posted instead'.")
@pass_context
def meeting_cancel(ctx: Any, slug: str, reason: str) -> None:
    """Call meeting SLUG off (counted as a meeting avoided)."""
    with ctx.open() as p:
        p.meetings.cancel(slug, reason)
    done(f"cancelled {slug}")


@meeting.command("remove")
@click.argument("slug")
@click.option("--reason", default="", metavar="TEXT", help="Why, in a few words (kept in the change log).")
@pass_context
def meeting_remove(ctx: Any, slug: str, reason: str) -> None:
    """Remove meeting SLUG proposed by mistake.

    With its invitations and agenda (not a held one).
    """
    with ctx.open() as p:
        p.meetings.remove(slug, reason=reason)
    done(f"removed meeting {slug} (undo with 'partnership undo')")


@meeting.command("record")
@click.argument("slug")
@click.option("--attended", required=True, metavar="PEOPLE", help="Who came: slugs, comma-separated.")
@click.option("--decision", "decisions", multiple=True, metavar="TEXT",
              help="A decision taken (repeat for each).")
@click.option("--action", "actions", multiple=True, metavar="'OWNER: what by YYYY-MM-DD'",
              help="An action agreed (repeat for each), e.g. 'sam-lee: draft MoU by 2026-03-01'.")
@click.option("--note", default="", help="A note on how it went.")
@json_option
@pass_context
def meeting_record(ctx: Any, slug: str, attended: str, decisions: tuple[str, ...],
                   actions: tuple[str, ...], note: str, as_json: bool) -> None:
    """Record that meeting SLUG was held.

    Attendance, decisions and actions.
    """
    with ctx.open() as p:
        shown = p.meetings.record(slug, attended=attended, decisions=decisions, actions=actions,
                                  note=note)
    committed = sum(1 for a in shown["actions"] if a.get("commitment") is not None)
    done(f"recorded {slug}: {len(shown['attendance'])} attended, "
         f"{plural(len(shown['decisions']), 'decision')}, {plural(len(shown['actions']), 'action')}"
         + (f", {committed} now {'a commitment' if committed == 1 else 'commitments'}"
            if committed else ""))
    if as_json:
        emit_json(shown)


MEETING_COLUMNS = [("slug", "slug"), ("date", "date"), ("minutes", "min"), ("status", "status"),
                   ("invitees", "invited"), ("attended", "attended"), ("items", "items"),
                   ("person_hours", "person-hours"), ("title", "title")]


@meeting.command("list")
@click.option("--status", default=None, help="Only proposed, held or cancelled meetings.")
@json_option
@pass_context
def meeting_list(ctx: Any, status: str | None, as_json: bool) -> None:
    """List meetings with their person-hours."""
    with ctx.open() as p:
        rows = p.meetings.summaries(status)
    if as_json:
        emit_json(rows)
    else:
        table(rows, MEETING_COLUMNS)


@meeting.command("show")
@click.argument("slug")
@json_option
@pass_context
def meeting_show(ctx: Any, slug: str, as_json: bool) -> None:
    """Show one meeting: invitees, agenda, decisions, actions."""
    with ctx.open() as p:
        data = p.meetings.show(slug)
    if as_json:
        emit_json(data)
        return
    title = f" - {data['title']}" if data["title"] else ""
    echo_wrapped(f"{data['slug']}{title}: {data['date']}, {data['minutes']} min, {data['status']}")
    if data["note"]:
        echo_wrapped(f"note: {data['note']}")
    echo_wrapped("invited: " + (", ".join(data["invited"]) or "(none)"))
    if data["dropped_invitees"]:
        echo_wrapped("no longer invited: " + ", ".join(data["dropped_invitees"]))
    click.echo("agenda:")
    for item in data["agenda"]:
        flag = " [dropped]" if item["dropped"] else ""
        needs = f" needs {', '.join(item['needs'])}" if item["needs"] else ""
        echo_wrapped(f"#{item['id']} {item['kind']}: {item['title']} "
                     f"(outcome: {item['outcome'] or 'none'}){needs}{flag}", indent="  ", subsequent="    ")
    if data["attendance"]:
        echo_wrapped("attended: " + ", ".join(data["attendance"]))
    for d in data["decisions"]:
        echo_wrapped(f"decision: {d}")
    for a in data["actions"]:
        due = f" by {a['due']}" if a["due"] else ""
        made = f" (commitment C-{a['commitment']})" if a.get("commitment") else ""
        echo_wrapped(f"action: {a['owner']}: {a['what']}{due}{made}")


@click.group()
def agenda() -> None:
    """Crowd-sourced agendas: anyone can pitch an item."""


@agenda.command("pitch")
@click.argument("meeting")
@click.argument("title")
@click.option("--kind", default="discussion", show_default=True,
              help="decision, discussion or information.")
@click.option("--outcome", default=None, help="The outcome it serves (without one it is agenda stuffing).")
@click.option("--needs", default=None, metavar="PEOPLE",
              help="People it cannot be dealt with without (must be invited), comma-separated.")
@click.option("--by", default=None, metavar="PERSON", help="Who pitches it.")
@pass_context
def agenda_pitch(ctx: Any, /, meeting: str, title: str, **fields: Any) -> None:
    """Pitch an item with TITLE for MEETING."""
    with ctx.open() as p:
        item = p.meetings.pitch(meeting, title, **fields)
    done(f"pitched item #{item.id} for {meeting}; check the meeting with "
         f"'partnership meeting check {meeting}'")


@agenda.command("drop")
@click.argument("item", type=int)
@pass_context
def agenda_drop(ctx: Any, item: int) -> None:
    """Take agenda item number ITEM off its meeting's agenda."""
    with ctx.open() as p:
        dropped = p.meetings.drop_item(item)
    done(f"dropped item #{item} from {dropped.meeting}")


@click.group()
def update() -> None:
    """Written progress updates: the alternative to a meeting. Updates are public."""


@update.command("post")
@click.argument("partner")
@click.argument("text")
@click.option("--outcome", required=True, help="The outcome it is about.")
@click.option("--by", "author", default=None, metavar="PERSON", help="Who wrote it.")
@click.option("--date", default=None, help="Its date, YYYY-MM-DD (default today).")
@pass_context
def update_post(ctx: Any, partner: str, text: str, outcome: str, author: str | None,
                date: str | None) -> None:
    """Post a short update from PARTNER (public)."""
    with ctx.open() as p:
        posted = p.updates.post(partner, text, outcome=outcome, author=author, date=date)
    done(f"posted update #{posted.id} from {partner} on {posted.date.isoformat()}")


@update.command("correct")
@click.argument("ident", metavar="ID", type=int)
@click.option("--text", default=None, help="The right text.")
@click.option("--outcome", default=None, help="The right outcome.")
@click.option("--by", "author", default=None, metavar="PERSON", help="The right author.")
@click.option("--date", default=None, help="The right date, YYYY-MM-DD.")
@click.option("--reason", default="", metavar="TEXT", help="Why, in a few words (kept in the change log).")
@pass_context
def update_correct(ctx: Any, /, ident: int, reason: str, **changes: Any) -> None:
    """Correct update number ID; what is not given stays as it was."""
    changes = {k: v for k, v in changes.items() if v is not None}
    with ctx.open() as p:
        p.updates.correct(ident, reason=reason, **changes)
    done(f"corrected update #{ident} (undo with 'partnership undo')")


@update.command("remove")
@click.argument("ident", metavar="ID", type=int)
@click.option("--reason", default="", metavar="TEXT", help="Why, in a few words (kept in the change log).")
@pass_context
def update_remove(ctx: Any, ident: int, reason: str) -> None:
    """Remove update number ID posted by mistake.

    The change log keeps it.
    """
    with ctx.open() as p:
        p.updates.remove(ident, reason=reason)
    done(f"removed update #{ident} (undo with 'partnership undo')")


@click.command()
@click.option("--since", default=None, metavar="MEETING|DATE",
              help="A meeting's slug or a date (default: the last meeting held).")
@json_option
@pass_context
def updates(ctx: Any, since: str | None, as_json: bool) -> None:
    """What changed since the last meeting.

    Written updates and the change log.
    """
    with ctx.open() as p:
        data = p.updates.since(since)
    if as_json:
        emit_json(data)
        return
    start = f"since {data['meeting']} ({data['since']})" if data["meeting"] else \
        f"since {data['since']}" if data["since"] else "from the start"
    click.echo(f"Updates {start}:")
    table(data["updates"], [("date", "date"), ("partner", "partner"), ("outcome", "outcome"),
                            ("text", "update")])
    click.echo(f"\nWhat changed {start}:")
    if not data["summary"]:
        click.echo("(nothing)")
    for line in data["summary"]:
        echo_wrapped(line["text"], indent="- ", subsequent="  ")
    if data["changes"]:
        since_date = f" --since {data['since']}" if data["since"] else ""
        click.echo(f"\n{plural(len(data['changes']), 'change')} in all; to see every entry:")
        echo_command(f"partnership log{since_date} --limit {len(data['changes'])}", indent="  ")


def register(cli: click.Group) -> None:
    for command in (meeting, agenda, update, updates):
        cli.add_command(command)
