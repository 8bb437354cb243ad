"""Commands of the partner inbox: invite (and revoke), inbox (list, accept, reject, submit,
reporters, serve)."""

from __future__ import annotations

import os
import sys
from typing import Any

import click

from partnership.cli.context import Context, pass_context
from partnership.cli.output import done, emit_json, table

LIST_COLUMNS = [("id", "id"), ("person", "from"), ("partner", "partner"), ("kind", "what"),
                ("updated_at", "sent"), ("changes", "what it changes"), ("conflict", "conflict")]


class _InviteGroup(click.Group):
    """``invite PERSON`` and ``invite --all --csv FILE`` run the hidden ``link`` command;
    ``invite revoke PERSON`` is a subcommand."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("-h", "--help"):
            args = ["link", *args]
        return super().parse_args(ctx, args)


@click.group(cls=_InviteGroup)
def invite() -> None:
    """Give a person a personal link to report for their partner.

    \b
      partnership invite PERSON [--days 90] [--url https://inbox.example.org]
      partnership invite --all --csv links.csv  (all links, for a mail merge)
      partnership invite revoke PERSON          (their old links stop working)
    """


@invite.command("link", hidden=True)
@click.argument("person", required=False)
@click.option("--days", default=90, show_default=True, type=int, help="How many days the link works.")
@click.option("--url", "base_url", default=None, metavar="ADDRESS",
              help="The inbox site's address as partners reach it (default http://127.0.0.1:8002).")
@click.option("--all", "everyone", is_flag=True, help="Everyone's links (with --csv).")
@click.option("--csv", "csv_path", default=None, metavar="FILE",
              help="Write the links to FILE (private: readable by you only).")
@click.option("--force", is_flag=True, help="Replace FILE if it exists.")
@pass_context
def invite_link(ctx: Context, person: str | None, days: int, base_url: str | None, everyone: bool,
                csv_path: str | None, force: bool) -> None:
    """Print PERSON's personal link."""
    if everyone and person:
        raise click.UsageError("give a PERSON or --all, not both")
    if everyone and not csv_path:
        raise click.UsageError("--all needs --csv FILE: the links are private, so they go to a file")
    if not everyone and not person:
        raise click.UsageError("say who to invite: partnership invite PERSON (or --all --csv FILE)")
    with ctx.open() as p:
        if person and not csv_path:
            click.echo(p.inbox.link(person, days=days, base_url=base_url))
            return
        written = p.inbox.write_links(csv_path or "", person=None if everyone else person, days=days,
                                      base_url=base_url, force=force)
    done(f"wrote {written} link{'s' if written != 1 else ''} to {csv_path} (private: keep it safe; "
         f"each link lets its holder report for their partner)")


@invite.command("revoke")
@click.argument("person")
@pass_context
def invite_revoke(ctx: Context, person: str) -> None:
    """Make every link PERSON has been given so far stop working."""
    with ctx.open() as p:
        p.inbox.revoke(person)
    done(f"revoked every earlier link of {person}; give them a new one with 'partnership invite {person}'")


@click.group(invoke_without_command=True)
@click.option("--partner", default=None, help="Only this partner's submissions.")
@click.option("--state", "states", default="pending", show_default=True, metavar="STATE",
              help="Which: draft, pending, returned or accepted (several with commas).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@click.pass_context
def inbox(click_ctx: click.Context, partner: str | None, states: str, as_json: bool) -> None:
    """What partners have sent, what it would change.

    Pending submissions, what each would change, conflicts.

    Accept with 'partnership inbox accept ID' (or --all), send back with
    'partnership inbox reject ID --reason ...'; start the site with 'partnership inbox serve'.
    """
    if click_ctx.invoked_subcommand is not None:
        return
    ctx = click_ctx.find_object(Context)
    assert ctx is not None
    with ctx.open() as p:
        rows = p.inbox.pending(partner=partner, states=[s.strip() for s in states.split(",") if s.strip()])
    if as_json:
        emit_json(rows)
        return
    table([{**r, "updated_at": r["updated_at"][:16].replace("T", " "), "conflict": r["conflict"] or ""}
           for r in rows], LIST_COLUMNS, empty="(nothing waiting)")


@inbox.command("accept")
@click.argument("idents", nargs=-1, metavar="[ID]...")
@click.option("--all", "every", is_flag=True, help="Every pending submission.")
@click.option("--from", "partner", default=None, metavar="PARTNER", help="Every pending one of PARTNER.")
@click.option("--replace", is_flag=True, help="Accept over a figure or delivery already recorded.")
@click.option("--confirm", is_flag=True, help="Accept figures far outside what the indicator has seen.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@pass_context
def inbox_accept(ctx: Context, idents: tuple[str, ...], every: bool, partner: str | None, replace: bool,
                 confirm: bool, as_json: bool) -> None:
    """Add submissions to the record, each in its own transaction."""
    if not idents and not every and not partner:
        raise click.UsageError("say which: partnership inbox accept ID ..., --all or --from PARTNER")
    with ctx.open() as p:
        results = p.inbox.accept(idents, every=every, partner=partner, replace=replace, confirm=confirm)
    if as_json:
        emit_json(results)
    else:
        for r in results:
            click.echo(f"{r['id']}: {r['outcome']}: {r['summary']} ({r['person']}, {r['partner']})"
                       + (f": {r['message']}" if r["outcome"] != "accepted" else ""))
        accepted = sum(r["outcome"] == "accepted" for r in results)
        done(f"accepted {accepted} of {len(results)} submission{'s' if len(results) != 1 else ''}")
    if any(r["outcome"] in ("conflict", "refused") for r in results):
        raise click.exceptions.Exit(1)


@inbox.command("reject")
@click.argument("ident", metavar="ID")
@click.option("--reason", required=True, help="Why: the sender sees it and can correct and resend.")
@pass_context
def inbox_reject(ctx: Context, ident: str, reason: str) -> None:
    """Send submission ID back to its sender with a reason."""
    with ctx.open() as p:
        sub = p.inbox.reject(ident, reason=reason)
    done(f"returned submission {sub['id']} to {sub['person']}: {sub['reason']}")


@inbox.command("submit")
@click.argument("person")
@click.option("--figure", nargs=2, default=None, metavar="INDICATOR VALUE", help="A figure they sent.")
@click.option("--delivered", default=None, metavar="ID", help="A commitment they say is delivered.")
@click.option("--withdraw", default=None, metavar="ID", help="A commitment they ask to withdraw.")
@click.option("--date", default=None, help="The date it is for, YYYY-MM-DD (default today).")
@click.option("--source", default="", help="Where the figure comes from.")
@click.option("--note", default="", help="A note on the figure (published).")
@click.option("--evidence", default=None, help="Evidence of delivery (a link or a sentence).")
@click.option("--reason", default=None, help="Why the commitment should be withdrawn.")
@pass_context
def inbox_submit(ctx: Context, person: str, figure: tuple[str, str] | None, delivered: str | None,
                 withdraw: str | None, date: str | None, source: str, note: str, evidence: str | None,
                 reason: str | None) -> None:
    """Put what PERSON sent another way into the inbox.

    An email, a phone call: it goes in as theirs.
    """
    chosen = [x for x in (figure, delivered, withdraw) if x]
    if len(chosen) != 1:
        raise click.UsageError("give one of --figure INDICATOR VALUE, --delivered ID or --withdraw ID")
    with ctx.open() as p:
        day = date or p.today().isoformat()
        kind: str
        payload: dict[str, Any]
        if figure:
            kind, payload = "observation", {"indicator": figure[0], "value": figure[1], "date": day,
                                            "source": source, "note": note}
        elif delivered:
            kind, payload = "commitment-delivered", {"commitment": delivered, "delivered_on": day,
                                                     "evidence": evidence or ""}
        else:
            kind, payload = "commitment-withdrawn", {"commitment": withdraw, "withdrawn_on": day,
                                                     "reason": reason or ""}
        number = p.inbox.submit(person, kind, payload, via="lead")
    done(f"submission {number} from {person} is waiting for you: accept it with "
         f"'partnership inbox accept {number}'")


@inbox.command("reporters")
@click.argument("indicator")
@click.argument("partners", nargs=-1)
@click.option("--default", "use_default", is_flag=True,
              help="Back to the default: every partner with a stake in its outcome.")
@pass_context
def inbox_reporters(ctx: Context, indicator: str, partners: tuple[str, ...], use_default: bool) -> None:
    """Show, or set, which partners report INDICATOR."""
    with ctx.open() as p:
        if partners or use_default:
            if partners and use_default:
                raise click.UsageError("give PARTNERs or --default, not both")
            found = p.inbox.set_reporters(indicator, partners)
        else:
            found = p.inbox.reporters(indicator)
    click.echo(", ".join(found) if found else "(nobody reports it)")


@inbox.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Where to listen; 0.0.0.0 to be reached from other machines.")
@click.option("--port", default=8002, show_default=True, type=int, help="The port to listen on.")
@pass_context
def inbox_serve(ctx: Context, host: str, port: int) -> None:
    """Serve the inbox site for partners' links.

    The working file stays closed: this command copies what each partner may report into
    the inbox file, closes the working file, then becomes the server (a new program
    given the inbox file alone).
    """
    from partnership.reporting.serve import check_port_free

    check_port_free(host, port)
    with ctx.open() as p:
        rebuilt = p.inbox.prepare()
        path = p.inbox.path
        p.inbox.close()
    if rebuilt is not None:
        where = f" (moved to {rebuilt.moved_to})" if rebuilt.moved_to else ""
        click.echo(f"the inbox database was {rebuilt.problem}{where}; made a new one at {path}", err=True)
        if rebuilt.lost:
            click.echo(f"lost {len(rebuilt.lost)} submission(s) not yet accepted; ask their senders "
                       f"to send them again:", err=True)
            for r in rebuilt.lost:
                click.echo(f"  {r['id']}: {r['person']} ({r['partner']}): {r['summary']}", err=True)
        else:
            click.echo("no submission waiting for you was lost", err=True)
    click.echo(f"Serving the inbox at http://{host}:{port}/ (the links of 'partnership invite' "
               f"point here); Ctrl+C stops it", err=True)
    if os.name == "posix":
        # become the server: a new program image with the inbox file alone (the working
        # file was closed above, and no descriptor survives exec)
        sys.stderr.flush()
        sys.stdout.flush()
        try:
            os.execv(sys.executable, [sys.executable, "-m", "partnership.inbox.site", str(path),
                                      "--host", host, "--port", str(port)])
        except OSError:  # pragma: no cover - no interpreter to exec: serve from this process
            pass
    from .site import serve

    serve(path, host=host, port=port)  # pragma: no cover - elsewhere, in this process


def register(cli: click.Group) -> None:
    for command in (invite, inbox):
        cli.add_command(command)
