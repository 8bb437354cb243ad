"""Commands for steps 1 and 2: the partnership, partners, people, outcomes, stakes and
contributions; checks, the change log, import/export and the demo."""

from __future__ import annotations

from typing import Any

import click

from . import pass_context
from .context import Context
from .output import done, echo_field, echo_wrapped, emit_json, plural, table

json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
#: why a record is removed or corrected: kept in the change log (and published with it)
reason_option = click.option("--reason", default="", metavar="TEXT",
                             help="Why, in a few words (kept in the change log, which is public).")


def _given(**options: Any) -> dict[str, Any]:
    """Only the options the user actually gave (for updates)."""
    return {k: v for k, v in options.items() if v is not None}


def _show(obj: Any, as_json: bool) -> None:
    if as_json:
        emit_json(obj)
        return
    from .output import _plain, cell

    data = _plain(obj)
    width = max(len(k) for k in data)
    for k, v in data.items():
        echo_field(k, cell(v), width)


# -- the partnership --------------------------------------------------------------

@click.command()
@click.argument("name")
@click.option("--purpose", default="", help="Why the partnership exists, in a sentence.")
@click.option("--governance", default="other", show_default=True, metavar="MODEL",
              help="federation, franchise, alliance, professional-partnership, "
                   "self-organising-network, consumer-governed or other.")
@click.option("--licence", default=None, help="Licence of the published data (default OGL-UK-3.0).")
@click.option("--currency", default=None, metavar="CODE",
              help="The currency money is counted in, e.g. GBP (the default), EUR or USD.")
@pass_context
def init(ctx: Context, name: str, purpose: str, governance: str, licence: str | None,
         currency: str | None) -> None:
    """Create a new partnership database.

    It is written at --db (default partnership.db).
    """
    extra = _given(licence=licence, currency=currency)
    with ctx.create(name=name, purpose=purpose, governance=governance, **extra) as p:
        done(f"created '{p.info().name}' in {ctx.db}")


@click.command()
@click.option("--name", default=None)
@click.option("--purpose", default=None)
@click.option("--governance", default=None, metavar="MODEL")
@click.option("--licence", default=None)
@click.option("--licence-url", default=None)
@click.option("--website", default=None)
@click.option("--currency", default=None, metavar="CODE", help="e.g. GBP, EUR or USD (meeting costs).")
@json_option
@pass_context
def about(ctx: Context, /, as_json: bool, **changes: Any) -> None:
    """Show the partnership's details, or change them.

    Change them with any of the options.
    """
    with ctx.open() as p:
        changes = _given(**changes)
        info = p.update_info(**changes) if changes else p.info()
        if changes:
            done("updated the partnership")
        data = {**emit_ready(info), "schema_version": p.store.schema_version, "database": p.store.path}
        _show(data, as_json)


def emit_ready(model: Any) -> dict[str, Any]:
    from .output import _plain

    return dict(_plain(model))


# -- partners -----------------------------------------------------------------------

@click.group()
def partner() -> None:
    """Organisations in the partnership."""


@partner.command("add")
@click.argument("slug")
@click.option("--name", required=True, help="The organisation's full name.")
@click.option("--kind", default="other", show_default=True,
              help="council, school, police, health, fire, housing, charity, voluntary, "
                   "community, faith, business, university, government or other.")
@click.option("--description", default="")
@click.option("--website", default="")
@pass_context
def partner_add(ctx: Context, /, **fields: Any) -> None:
    """Add partner SLUG (an organisation), e.g. lancs-police."""
    with ctx.open() as p:
        added = p.partners.add(**fields)
        done(f"added partner {added.slug}")


@partner.command("update")
@click.argument("slug")
@click.option("--name", default=None)
@click.option("--kind", default=None)
@click.option("--description", default=None)
@click.option("--website", default=None)
@pass_context
def partner_update(ctx: Context, /, slug: str, **changes: Any) -> None:
    """Change a partner's details."""
    with ctx.open() as p:
        p.partners.update(slug, **_given(**changes))
        done(f"updated partner {slug}")


PARTNER_COLUMNS = [("slug", "slug"), ("name", "name"), ("kind", "kind")]

# -- people ----------------------------------------------------------------------------


@click.group()
def person() -> None:
    """Members of partner organisations. Email and phone are private: never published."""


@person.command("add")
@click.argument("slug")
@click.option("--name", required=True)
@click.option("--partner", required=True, help="Slug of the person's organisation.")
@click.option("--role", default="")
@click.option("--email", default=None, help="Private: never published.")
@click.option("--phone", default=None, help="Private: never published.")
@pass_context
def person_add(ctx: Context, /, **fields: Any) -> None:
    """Add a person, identified by SLUG (e.g. jo-bloggs)."""
    with ctx.open() as p:
        added = p.people.add(**fields)
        done(f"added person {added.slug} ({added.partner})")


@person.command("update")
@click.argument("slug")
@click.option("--name", default=None)
@click.option("--partner", default=None)
@click.option("--role", default=None)
@click.option("--email", default=None)
@click.option("--phone", default=None)
@pass_context
def person_update(ctx: Context, /, slug: str, **changes: Any) -> None:
    """Change a person's details."""
    with ctx.open() as p:
        p.people.update(slug, **_given(**changes))
        done(f"updated person {slug}")


@person.command("forget")
@click.argument("slug")
@click.option("--yes", is_flag=True, help="Do it without asking first (it cannot be undone).")
@click.option("--json", "as_json", is_flag=True, help="Say what was done as JSON.")
@pass_context
def person_forget(ctx: Context, /, slug: str, yes: bool, as_json: bool) -> None:
    """Erase a person's details for good (right to erasure).

    They keep their place in the record under a new identifier (former-member-1...), so
    what their organisation promised and did stays; the change log and undo's private
    copies lose their details too. This cannot be undone. Free text that still names
    them is listed, to edit by hand; republish afterwards."""
    ctx.require_database()  # before asking: a wrong --db is said first, in one line
    if not yes:
        try:
            sure = click.confirm(f"Erase every personal detail of {slug}, for good? This cannot be undone",
                                 default=False, err=True)
        except click.Abort:  # no answer (end of input, Ctrl+C)
            sure = False
        if not sure:
            raise click.ClickException(f"nothing was changed; to forget {slug}, answer y or add --yes")
    with ctx.open() as p:
        forgotten = p.forget_person(slug)
    if as_json:
        emit_json(forgotten.to_dict())
        return
    if forgotten.already:
        done(f"{slug} was forgotten before; the files' free space is cleared again")
        return
    done(f"forgot {slug}: they are {forgotten.new_slug} in the record from now on")
    echo_wrapped(
        f"{plural(forgotten.references, 'record')} now name {forgotten.new_slug}; "
        f"{plural(forgotten.log_entries, 'change-log entry', 'change-log entries')} rewritten; "
        f"{plural(forgotten.private_copies, 'private copy', 'private copies')} erased"
        + ("; the inbox file scrubbed and their links stopped" if forgotten.inbox else ""),
        indent="  ", subsequent="    ")
    if forgotten.still_named:
        echo_wrapped("Free text still holds their name or details (edit it by hand): "
                     + ", ".join(forgotten.still_named), indent="  ", subsequent="    ")
    echo_wrapped("Next: run 'partnership publish' so the public site drops them, and delete "
                 "copies made before (exports, backups, reminders sent as .eml files).",
                 indent="  ", subsequent="    ")


PERSON_COLUMNS = [("slug", "slug"), ("name", "name"), ("partner", "partner"), ("role", "role")]

# -- outcomes -----------------------------------------------------------------------


@click.group()
def outcome() -> None:
    """Shared outcomes: changes for the people you help."""


@outcome.command("add")
@click.argument("slug")
@click.option("--title", required=True, help="The change, e.g. 'Fewer residents suffer repeated ASB'.")
@click.option("--beneficiaries", default="", help="The people the partners are trying to help.")
@click.option("--description", default="")
@click.option("--status", default="proposed", show_default=True,
              help="proposed, agreed, achieved, dropped or rebooting.")
@pass_context
def outcome_add(ctx: Context, /, **fields: Any) -> None:
    """Add an outcome, identified by SLUG (e.g. fewer-repeat-asb)."""
    with ctx.open() as p:
        added = p.outcomes.add(**fields)
        done(f"added outcome {added.slug}")


@outcome.command("update")
@click.argument("slug")
@click.option("--title", default=None)
@click.option("--beneficiaries", default=None)
@click.option("--description", default=None)
@click.option("--status", default=None)
@pass_context
def outcome_update(ctx: Context, /, slug: str, **changes: Any) -> None:
    """Change an outcome, e.g. its status once agreed."""
    with ctx.open() as p:
        p.outcomes.update(slug, **_given(**changes))
        done(f"updated outcome {slug}")


OUTCOME_COLUMNS = [("slug", "slug"), ("status", "status"), ("title", "title"),
                   ("beneficiaries", "beneficiaries")]

# -- stakes ---------------------------------------------------------------------------


@click.group()
def stake() -> None:
    """Which partners have a stake in an outcome, and why.

    Each partner states its motivation openly.
    """


@stake.command("add")
@click.argument("outcome")
@click.argument("partner")
@click.option("--motivation", default="", help="Why this partner collaborates on this outcome.")
@pass_context
def stake_add(ctx: Context, /, **fields: Any) -> None:
    """Record that PARTNER has a stake in OUTCOME."""
    with ctx.open() as p:
        added = p.stakes.add(**fields)
        done(f"added stake of {added.partner} in {added.outcome}")


@stake.command("update")
@click.argument("outcome")
@click.argument("partner")
@click.option("--motivation", required=True)
@pass_context
def stake_update(ctx: Context, outcome: str, partner: str, motivation: str) -> None:
    """Change a partner's stated motivation."""
    with ctx.open() as p:
        p.stakes.update(outcome, partner, motivation=motivation)
        done(f"updated stake of {partner} in {outcome}")


@stake.command("list")
@click.option("--outcome", default=None, help="Only this outcome.")
@click.option("--partner", default=None, help="Only this partner.")
@json_option
@pass_context
def stake_list(ctx: Context, /, as_json: bool, **where: Any) -> None:
    """List stakes with motivations."""
    with ctx.open() as p:
        rows = p.stakes.list(**_given(**where))
        if as_json:
            emit_json(rows)
        else:
            table(rows, [("outcome", "outcome"), ("partner", "partner"), ("motivation", "motivation")])


@stake.command("remove")
@click.argument("outcome")
@click.argument("partner")
@reason_option
@pass_context
def stake_remove(ctx: Context, outcome: str, partner: str, reason: str) -> None:
    """Remove a stake (the change log keeps a copy)."""
    with ctx.open() as p:
        p.stakes.remove(outcome, partner, reason=reason)
        done(f"removed stake of {partner} in {outcome}")


# -- contributions ----------------------------------------------------------------------


@click.group()
def contribution() -> None:
    """What each partner brings to each outcome."""


@contribution.command("add")
@click.argument("outcome")
@click.argument("partner")
@click.option("--kind", default="other", show_default=True,
              help="people, money, skills, data, systems, premises or other.")
@click.option("--description", required=True, help="What is brought, e.g. 'Two PCSOs'.")
@click.option("--amount", default=None, help="How much, e.g. 2 (needs --unit).")
@click.option("--unit", default=None, help="Unit of the amount, e.g. FTE, GBP, hours.")
@click.option("--additional/--business-as-usual", default=False, show_default=True,
              help="New because of the partnership, or would happen anyway.")
@click.option("--meets", default=None, metavar="NEED",
              help="The need of this outcome it meets (see 'need list').")
@click.option("--confidence", default=None, metavar="LEVEL",
              help="firm (default), likely or hoped; only firm ones meet needs.")
@pass_context
def contribution_add(ctx: Context, /, **fields: Any) -> None:
    """Record what PARTNER brings to OUTCOME."""
    with ctx.open() as p:
        added = p.contributions.add(**_given(**fields))
        done(f"added contribution #{added.id}: {added.partner} to {added.outcome}")


@contribution.command("update")
@click.argument("id", type=int)
@click.option("--kind", default=None)
@click.option("--description", default=None)
@click.option("--amount", default=None)
@click.option("--unit", default=None)
@click.option("--additional/--business-as-usual", default=None)
@click.option("--meets", default=None, metavar="NEED",
              help="The need of this outcome it meets ('' for none).")
@click.option("--confidence", default=None, metavar="LEVEL", help="firm, likely or hoped.")
@pass_context
def contribution_update(ctx: Context, /, id: int, **changes: Any) -> None:
    """Change contribution number ID."""
    with ctx.open() as p:
        p.contributions.update(id, **_given(**changes))
        done(f"updated contribution #{id}")


@contribution.command("list")
@click.option("--outcome", default=None, help="Only this outcome.")
@click.option("--partner", default=None, help="Only this partner.")
@json_option
@pass_context
def contribution_list(ctx: Context, /, as_json: bool, **where: Any) -> None:
    """List contributions."""
    with ctx.open() as p:
        rows = p.contributions.list(**_given(**where))
        if as_json:
            emit_json(rows)
        else:
            from .output import _plain, cell

            table([{**_plain(r), "amount": " ".join(cell(x) for x in (r.amount, r.unit) if x is not None)}
                   for r in rows], CONTRIBUTION_COLUMNS)


#: the most useful first: what does not fit the window is printed under each row
CONTRIBUTION_COLUMNS = [("id", "#"), ("outcome", "outcome"), ("partner", "partner"),
                        ("kind", "kind"), ("amount", "amount"), ("description", "description"),
                        ("meets", "meets"), ("confidence", "confidence"),
                        ("additional", "additional")]


@contribution.command("remove")
@click.argument("id", type=int)
@reason_option
@pass_context
def contribution_remove(ctx: Context, id: int, reason: str) -> None:
    """Remove contribution number ID (the change log keeps a copy)."""
    with ctx.open() as p:
        p.contributions.remove(id, reason=reason)
        done(f"removed contribution #{id}")


def _slug_commands(group: click.Group, attr: str, label: str, columns: list[tuple[str, str]],
                   filters: tuple[str, ...] = ()) -> None:
    """Add list, show and remove to a group of slug-identified records."""

    @group.command("list")
    @json_option
    @pass_context
    def list_(ctx: Context, /, as_json: bool, **where: Any) -> None:
        with ctx.open() as p:
            rows = getattr(p, attr).list(**_given(**where))
            if as_json:
                emit_json(rows)
            else:
                table(rows, columns)

    for name in filters:
        list_ = click.option(f"--{name}", default=None, help=f"Only this {name}.")(list_)
    list_.help = f"List {attr}."

    @group.command("show")
    @click.argument("slug")
    @json_option
    @pass_context
    def show(ctx: Context, slug: str, as_json: bool) -> None:
        with ctx.open() as p:
            _show(getattr(p, attr).get(slug), as_json)

    show.help = f"Show one {label}."

    @group.command("remove")
    @click.argument("slug")
    @reason_option
    @pass_context
    def remove(ctx: Context, slug: str, reason: str) -> None:
        with ctx.open() as p:
            getattr(p, attr).remove(slug, reason=reason)
            done(f"removed {label} {slug} (undo with 'partnership undo')")

    remove.help = f"Remove a {label} nothing refers to (the change log keeps a copy)."


_slug_commands(partner, "partners", "partner", PARTNER_COLUMNS, ("kind",))
_slug_commands(person, "people", "person", PERSON_COLUMNS, ("partner",))
_slug_commands(outcome, "outcomes", "outcome", OUTCOME_COLUMNS, ("status",))


# -- checks, log ------------------------------------------------------------------------


@click.command()
@click.option("--step", type=click.IntRange(1, 6), default=None, help="Only findings on this step.")
@json_option
@pass_context
def check(ctx: Context, step: int | None, as_json: bool) -> None:
    """Check the partnership against the method.

    Exit status 1 if a problem is found.
    """
    with ctx.open() as p:
        findings = [f for f in p.check() if step is None or f.step == step]
    if as_json:
        emit_json([f.to_dict() for f in findings])
    elif not findings:
        click.echo("No findings: every check passed.")
    else:
        for f in findings:
            echo_wrapped(f"[{f.severity.value}] step {f.step} {f.rule}: {f.message}", subsequent="  ")
            if f.advice:
                echo_wrapped(f"what to do: {f.advice}", indent="    ", subsequent="      ")
        problems = sum(1 for f in findings if f.severity.value == "problem")
        click.echo(f"\n{plural(len(findings), 'finding')}, {plural(problems, 'problem')}.")
    if any(f.severity.value == "problem" for f in findings):
        raise SystemExit(1)


@click.command()
@click.option("--since", default=None, metavar="DATE", help="Only changes on or after DATE.")
@click.option("--entity", default=None, help="Only changes to one kind of record, e.g. outcome.")
@click.option("--limit", type=click.IntRange(1), default=50, show_default=True)
@json_option
@pass_context
def log(ctx: Context, since: str | None, entity: str | None, limit: int, as_json: bool) -> None:
    """The change log: what changed, who, when.

    Newest first.
    """
    if since is not None:
        from partnership.errors import ValidationError
        from partnership.validators import FieldProblem, parse_date

        try:  # a date written YYYY-MM-DD, or a timestamp starting with one
            parse_date(since[:10], "--since")
        except FieldProblem as exc:
            raise ValidationError(str(exc)) from None
    with ctx.open() as p:
        changes = p.changes(since=since, entity=entity, limit=limit)
    if as_json:
        emit_json(changes)
    else:
        table(changes, [("id", "change"), ("at", "when"), ("actor", "who"), ("action", "action"),
                        ("summary", "what")])


@click.command()
@click.option("--change", "change_id", type=click.IntRange(1), default=None, metavar="ID",
              help="Undo the command that made change ID (see 'partnership log'), not the last one.")
@click.option("--reason", default="", metavar="TEXT", help="Why, in a few words (kept in the log).")
@json_option
@pass_context
def undo(ctx: Context, change_id: int | None, reason: str, as_json: bool) -> None:
    """Undo the last command (or --change ID).

    The change log keeps both.

    Refused, with nothing changed, when a later change depends on it: undo that first."""
    with ctx.open() as p:
        result = p.history.undo(change_id, reason=reason)
    if as_json:
        emit_json(result)
        return
    for ident, summary in zip(result.undone, result.summaries, strict=True):
        done(f"undone change {ident}: {summary}")
    logged = sorted(result.entries)
    done(f"logged as change{'s' if len(logged) > 1 else ''} {', '.join(str(i) for i in logged)}; "
         f"to do it again, undo the undo: 'partnership undo --change {logged[0]}'")


def register(cli: click.Group) -> None:
    """The root's own commands; partner, person, outcome, stake and contribution are
    registered by :mod:`partnership.outcomes`."""
    for command in (init, about, check, log, undo):
        cli.add_command(command)
