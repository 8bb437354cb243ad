"""The ``remind`` command: plan, send (SMTP or .eml files), show the history, opt out."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from partnership.cli.context import Context, pass_context
from partnership.cli.output import done, echo_wrapped, emit_json, plural, table

if TYPE_CHECKING:
    from .service import Message, Plan, SendResult


def _things(message: Message) -> str:
    late = sum(i.overdue for i in message.items)
    return plural(len(message.items), "thing") + (f" ({late} overdue)" if late else "")


def _plan_json(plan: Plan) -> dict[str, Any]:
    def one(m: Message) -> dict[str, Any]:
        return {"person": m.person, "name": m.name, "partner": m.partner, "email": m.email,
                "inbox_link": m.inbox_link,
                "items": [{"key": i.key, "kind": i.kind, "text": i.text,
                           "due": i.due.isoformat() if i.due else None, "overdue": i.overdue}
                          for i in m.items]}
    return {"as_of": plan.as_of.isoformat(), "within": plan.within, "every": plan.every,
            "messages": [one(m) for m in plan.messages], "no_email": [one(m) for m in plan.no_email],
            "opted_out": [one(m) for m in plan.opted_out], "held_back": plan.held_back}


def _show_plan(plan: Plan) -> None:
    echo_wrapped(f"Reminders as of {plan.as_of} (due within {plan.within} days or overdue; "
                 f"nothing repeated within {plan.every} days)")
    for m in plan.messages:
        click.echo()
        echo_wrapped(f"To {m.name} ({m.person}, {m.partner}) <{m.email}>: {_things(m)}")
        for item in m.items:
            echo_wrapped(item.text, indent="  - ", subsequent="    ")
        if m.inbox_link:
            click.echo(f"  inbox link: {m.inbox_link}")
    if not plan.messages:
        click.echo("\n(nobody to remind)")
    if plan.no_email:
        click.echo()
        echo_wrapped("No email address, so not reminded (add one with "
                     "'partnership person update PERSON --email ...'):")
        for m in plan.no_email:
            echo_wrapped(f"{m.name} ({m.person}, {m.partner}): {_things(m)}", indent="  ")
    if plan.opted_out:
        click.echo()
        echo_wrapped("Asked for no reminders (undo with 'partnership remind --opt-in PERSON'):")
        for m in plan.opted_out:
            echo_wrapped(f"{m.name} ({m.person}, {m.partner}): {_things(m)}", indent="  ")
    if plan.held_back:
        click.echo()
        echo_wrapped(f"{plural(plan.held_back, 'reminder line')} left out: "
                     f"already sent within the last {plan.every} days (see --history)")


def _show_result(result: SendResult, out: str | None) -> None:
    where = f"written to {out}" if out else "sent"
    for m in result.sent:
        click.echo(f"{where}: {m.name} ({m.person}) <{m.email}>: {_things(m)}")
    for m, why in result.failed:
        click.echo(f"NOT {where}: {m.name} ({m.person}) <{m.email}>: {why}", err=True)


@click.command("remind")
@click.option("--dry-run", is_flag=True, help="Show who would be reminded of what; send nothing.")
@click.option("--to", "to", default=None, metavar="PERSON", help="Only remind this person.")
@click.option("--partner", default=None, help="Only remind the people of this partner.")
@click.option("--within", default="14", show_default=True, metavar="DAYS",
              help="Remind of what is due within DAYS (overdue things always).")
@click.option("--every", default="7", show_default=True, metavar="DAYS",
              help="Do not remind anyone of the same thing twice within DAYS.")
@click.option("--out", default=None, metavar="DIR",
              help="Write each reminder as an .eml file in DIR instead of sending it.")
@click.option("--smtp", default=None, metavar="HOST[:PORT]",
              help="The mail server (or set PARTNERSHIP_SMTP); port 587 by default.")
@click.option("--smtp-user", default=None, metavar="USER",
              help="Log in to the mail server as USER (or set PARTNERSHIP_SMTP_USER).")
@click.option("--smtp-tls", default=None, type=click.Choice(["starttls", "none"]),
              help="STARTTLS (the default) or none, for a server on this machine "
                   "(or set PARTNERSHIP_SMTP_TLS).")
@click.option("--smtp-password-env", default=None, metavar="NAME",
              help="The environment variable holding the password (default "
                   "PARTNERSHIP_SMTP_PASSWORD); the password is never stored.")
@click.option("--from", "sender", default=None, metavar="ADDRESS",
              help="The address reminders come from (or set PARTNERSHIP_MAIL_FROM).")
@click.option("--inbox-url", default=None, metavar="URL",
              help="Where the partner inbox is served, for each person's link (default: "
                   "the inbox's own, once it is set up).")
@click.option("--history", is_flag=True, help="Show the reminders that went out, newest first.")
@click.option("--opt-out", default=None, metavar="PERSON", help="Mark PERSON as wanting no reminders.")
@click.option("--opt-in", default=None, metavar="PERSON", help="Let PERSON get reminders again.")
@click.option("--reason", default="", help="With --opt-out: why (private).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@pass_context
def remind(ctx: Context, /, dry_run: bool, to: str | None, partner: str | None, within: str,
           every: str, out: str | None, smtp: str | None, smtp_user: str | None,
           smtp_tls: str | None, smtp_password_env: str | None, sender: str | None,
           inbox_url: str | None, history: bool,
           opt_out: str | None, opt_in: str | None, reason: str, as_json: bool) -> None:
    """Remind each person of what they owe.

    By email or as .eml files.

    One message per person: their commitments due or overdue, their partner's figures
    due or stale, and the meetings they are needed at. Sent by email (--smtp) or written
    as .eml files (--out DIR); each one recorded privately and not repeated within
    --every days. --dry-run shows what would go out."""
    modes = [name for name, on in (("--history", history), ("--opt-out", opt_out is not None),
                                   ("--opt-in", opt_in is not None)) if on]
    if len(modes) > 1:
        raise click.ClickException(f"{modes[0]} cannot be used with {modes[1]}; choose one")
    if to is not None and partner is not None:
        raise click.ClickException("--to cannot be used with --partner; choose one")
    if out is not None and smtp is not None:
        raise click.ClickException("--out cannot be used with --smtp; write .eml files or send, not both")
    if opt_out is not None or opt_in is not None:
        with ctx.open() as p:
            if opt_out is not None:
                p.reminders.opt_out(opt_out, reason=reason)
                done(f"{opt_out} will get no reminders (undo with 'partnership remind --opt-in {opt_out}')")
            else:
                p.reminders.opt_in(str(opt_in))
                done(f"{opt_in} will get reminders again")
        return
    if history:
        with ctx.open() as p:
            rows = p.reminders.history(person=to)
        if as_json:
            emit_json(rows)
            return
        table([{**r, "about": ", ".join(r["about"])} for r in rows],
              [("sent_at", "when"), ("person", "to"), ("via", "via"), ("about", "about")],
              empty="(no reminders sent yet)")
        return
    with ctx.open() as p:
        plan = p.reminders.plan(to=to, partner=partner, within=within, every=every,
                                inbox_url=inbox_url)
        if dry_run:
            if as_json:
                emit_json(_plan_json(plan))
            else:
                _show_plan(plan)
                click.echo()
                echo_wrapped(f"{plural(len(plan.messages), 'reminder')} would go out; "
                             f"nothing was sent (--dry-run).")
            return
        from .mail import EmlFolder, SmtpSettings, SmtpTransport, sender_address

        address = sender_address(sender)
        transport: EmlFolder | SmtpTransport
        if out is not None:
            from partnership.outfiles import protected_paths

            transport = EmlFolder(out, protect=tuple(protected_paths(p.store.path)))
        else:
            transport = SmtpTransport(SmtpSettings.from_options(
                smtp, user=smtp_user, tls=smtp_tls, password_env=smtp_password_env))
        result = p.reminders.send(plan, transport, sender=address)
    if as_json:
        emit_json({**_plan_json(plan), "sent": [m.person for m in result.sent],
                   "failed": [{"person": m.person, "why": why} for m, why in result.failed]})
    else:
        _show_result(result, out)
        for m in plan.no_email:
            click.echo(f"no email address: {m.name} ({m.person}): {_things(m)}")
        for m in plan.opted_out:
            click.echo(f"asked for no reminders: {m.name} ({m.person})")
        done(f"{len(result.sent)} reminder{'s' if len(result.sent) != 1 else ''} "
             f"{'written' if out else 'sent'} and recorded"
             + (f"; {len(result.failed)} not {'written' if out else 'sent'}" if result.failed else ""))
    if result.failed:
        raise click.exceptions.Exit(1)


def register(cli: click.Group) -> None:
    cli.add_command(remind)
