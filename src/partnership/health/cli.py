"""Commands for the partnership's own health: unmentoring pairs (``pairs``),
self-assessment (``assess``) and the governance model's key questions (``governance``)."""

from __future__ import annotations

from typing import Any

import click

from partnership.cli.context import Context, pass_context
from partnership.cli.output import done, echo_wrapped, emit_json, plural, table

json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")


# -- pairs ---------------------------------------------------------------------------------------


@click.group()
def pairs() -> None:
    """Unmentoring: coffee pairs across organisations.

    Thirty minutes with someone from another organisation, then share one output.
    """


@pairs.command("join")
@click.argument("people", nargs=-1, required=True)
@pass_context
def pairs_join(ctx: Any, people: tuple[str, ...]) -> None:
    """Opt PEOPLE (person slugs) in to unmentoring.

    It ends a pause.
    """
    with ctx.open() as p, p.store.transaction():
        for person in people:
            p.pairs.join(person)
    done(f"opted in: {', '.join(people)}")


@pairs.command("leave")
@click.argument("person")
@pass_context
def pairs_leave(ctx: Any, person: str) -> None:
    """Opt PERSON out of unmentoring (they can join again later)."""
    with ctx.open() as p:
        p.pairs.leave(person)
    done(f"{person} has opted out of unmentoring")


@pairs.command("pause")
@click.argument("person")
@click.option("--until", required=True, metavar="DATE", help="Skip draws until this date, YYYY-MM-DD.")
@pass_context
def pairs_pause(ctx: Any, person: str, until: str) -> None:
    """Pause PERSON: they are skipped in draws until the date."""
    with ctx.open() as p:
        m = p.pairs.pause(person, until)
    done(f"{person} is paused until {m.paused_until.isoformat()}")


@pairs.command("members")
@json_option
@pass_context
def pairs_members(ctx: Any, as_json: bool) -> None:
    """Who opted in, who is paused (and until when), who opted out."""
    with ctx.open() as p:
        rows = p.pairs.status()
    if as_json:
        emit_json(rows)
        return
    table(rows, [("person", "person"), ("state", "state"), ("paused_until", "paused until"),
                 ("since", "since")], empty="(nobody has opted in yet)")


def _print_groups(groups: list[dict[str, Any]]) -> None:
    for g in groups:
        who = ", ".join(f"{m['name']} ({m['partner']})" for m in g["people"])
        met = f"met {g['met_on']}" if g["met"] else "not met yet"
        click.echo(f"  {g['number']:>3}. {who}: {met}")
        if g["output"]:
            click.echo(f"       output: {g['output']}")


@pairs.command("draw")
@click.option("--round", "round_label", required=True, metavar="ROUND",
              help="The round's name, e.g. 2026-03.")
@click.option("--seed", default=None, metavar="N",
              help="Seed for a reproducible draw (default: random, saved).")
@click.option("--avoid-rounds", default="3", show_default=True, metavar="N",
              help="Do not repeat a pairing from the last N rounds where avoidable.")
@click.option("--force", is_flag=True, help="Redraw a round that is already saved (forgets who met).")
@json_option
@pass_context
def pairs_draw(ctx: Any, round_label: str, seed: str | None, avoid_rounds: str, force: bool,
               as_json: bool) -> None:
    """Draw a round of pairs (a trio if the number is odd).

    Everyone opted in and not paused takes part.
    """
    with ctx.open() as p:
        d = p.pairs.draw(round_label, seed=seed, avoid_rounds=avoid_rounds, force=force)
        detail = p.pairs.round_detail(d.round)
    if as_json:
        emit_json({"round": d.round, "seed": d.seed, "avoid_rounds": d.avoid_rounds,
                   "people": d.people, "groups": d.groups, "same_partner": d.same_partner,
                   "repeats": d.repeats, "skipped_paused": d.skipped_paused})
        return
    done(f"saved round {d.round}; send contact details with 'partnership pairs contacts {d.round}'")
    click.echo(f"Round {d.round} (seed {d.seed}): {plural(d.people, 'person', 'people')} in "
               f"{plural(len(d.groups), 'group')}")
    _print_groups(detail["pairs"])
    if d.same_partner or d.repeats:
        click.echo(f"unavoidable: {plural(d.same_partner, 'same-organisation pairing')}, "
                   f"{plural(d.repeats, 'repeat')} from the last {plural(d.avoid_rounds, 'round')}")
    if d.skipped_paused:
        click.echo(f"paused, not drawn: {', '.join(d.skipped_paused)}")


@pairs.command("met")
@click.argument("round_label", metavar="ROUND")
@click.argument("people", nargs=-1, required=True)
@click.option("--output", default="", help="What they shared: a post, a note, a link.")
@click.option("--on", default=None, metavar="DATE", help="When they met, YYYY-MM-DD (default today).")
@pass_context
def pairs_met(ctx: Any, round_label: str, people: tuple[str, ...], output: str, on: str | None) -> None:
    """Record that PEOPLE of ROUND met, with their output.

    Two or three people of one group.
    """
    with ctx.open() as p:
        g = p.pairs.met(round_label, list(people), output=output, on=on)
    done(f"group {g.number} of round {round_label} met on {g.met_on.isoformat()}"
         + (" and shared an output" if g.output else ""))


@pairs.command("history")
@click.option("--round", "round_label", default=None, metavar="ROUND", help="Show one round's groups.")
@json_option
@pass_context
def pairs_history(ctx: Any, round_label: str | None, as_json: bool) -> None:
    """Rounds drawn: pairs, how many met, uptake, outputs.

    Or one round's groups.
    """
    with ctx.open() as p:
        data: Any = p.pairs.round_detail(round_label) if round_label else p.pairs.history()
    if as_json:
        emit_json(data)
        return
    if round_label:
        click.echo(f"Round {data['round']}, drawn {data['drawn_on']} (seed {data['seed']}): "
                   f"{data['people']} people, {data['groups']} groups, {data['met']} met "
                   f"({data['uptake']:.0%})")
        _print_groups(data["pairs"])
        return
    rows = [{**r, "uptake": f"{r['uptake']:.0%}"} for r in data]
    table(rows, [("round", "round"), ("drawn_on", "drawn"), ("people", "people"), ("groups", "groups"),
                 ("met", "met"), ("uptake", "uptake"), ("outputs", "outputs")],
          empty="(no rounds drawn yet; try 'partnership pairs draw --round 2026-03')")


@pairs.command("contacts")
@click.argument("round_label", metavar="ROUND")
@click.option("--csv", "csv_path", default=None, metavar="PATH",
              help="Write to a new private CSV file (readable only by you) instead of the terminal.")
@click.option("--force", is_flag=True, help="With --csv: replace PATH if it exists.")
@json_option
@pass_context
def pairs_contacts(ctx: Any, round_label: str, csv_path: str | None, force: bool,
                   as_json: bool) -> None:
    """Contact details of each group of ROUND (private).

    For the lead to send.
    """
    with ctx.open() as p:
        if csv_path:
            n = p.pairs.write_contacts_csv(round_label, csv_path, force=force)
            done(f"wrote {n} contacts of round {round_label} to {csv_path} (readable only by you); "
                 f"do not publish it")
            return
        rows = p.pairs.contacts(round_label)
    if as_json:
        emit_json(rows)
        return
    table(rows, [("group", "group"), ("name", "name"), ("partner", "partner"), ("email", "email"),
                 ("phone", "phone")])


# -- assess --------------------------------------------------------------------------------------


@click.group()
def assess() -> None:
    """Self-assessment: where we are, where we want to be.

    Each answer says where the partnership is now, where it wants to be, and the
    evidence; 'assess show' puts the members' disagreement first.
    """


@assess.command("add")
@click.argument("area")
@click.option("--now", required=True, help="Where we are now.")
@click.option("--want", default="", help="Where we want to be.")
@click.option("--evidence", multiple=True, help="An evidence item (repeat for several).")
@click.option("--score", default=None, metavar="1-5", help="An optional score from 1 (weak) to 5 (strong).")
@click.option("--by", required=True, metavar="PERSON", help="Who is answering (kept private).")
@click.option("--date", default=None, help="When, YYYY-MM-DD (default today).")
@click.option("--round", "round_label", default=None, metavar="ROUND",
              help="The round it belongs to (default: the month of the date, e.g. 2026-01).")
@click.option("--outcome", default=None, help="The outcome it concerns, if any.")
@pass_context
def assess_add(ctx: Any, area: str, now: str, want: str, evidence: tuple[str, ...], score: str | None,
               by: str, date: str | None, round_label: str | None, outcome: str | None) -> None:
    """Record one member's self-assessment for AREA.

    AREA: capacity, coherence, activity or one of your own.
    """
    with ctx.open() as p:
        e = p.assess.add(area, now=now, want=want, evidence=list(evidence), score=score, by=by,
                         date=date, round=round_label, outcome=outcome)
    done(f"recorded self-assessment #{e.id} for {e.area}, round {e.round}; compare answers with "
         f"'partnership assess show {e.area}'")


@assess.command("correct")
@click.argument("ident", metavar="ID", type=int)
@click.option("--now", default=None, help="Where we are now.")
@click.option("--want", default=None, help="Where we want to be.")
@click.option("--evidence", multiple=True, help="An evidence item (repeat for several; replaces them all).")
@click.option("--score", default=None, metavar="1-5", help="A score from 1 to 5 ('' for none).")
@click.option("--date", default=None, help="YYYY-MM-DD.")
@click.option("--round", "round_label", default=None, metavar="ROUND")
@click.option("--outcome", default=None)
@click.option("--reason", default="", metavar="TEXT", help="Why, in a few words (kept in the change log).")
@pass_context
def assess_correct(ctx: Any, ident: int, now: str | None, want: str | None, evidence: tuple[str, ...],
                   score: str | None, date: str | None, round_label: str | None, outcome: str | None,
                   reason: str) -> None:
    """Correct self-assessment number ID.

    What is not given stays as it was.
    """
    given: dict[str, Any] = {k: v for k, v in (("now", now), ("want", want), ("score", score),
                                               ("date", date), ("round", round_label),
                                               ("outcome", outcome)) if v is not None}
    if evidence:
        given["evidence"] = list(evidence)
    with ctx.open() as p:
        p.assess.correct(ident, reason=reason, **given)
    done(f"corrected self-assessment #{ident} (undo with 'partnership undo')")


@assess.command("remove")
@click.argument("ident", metavar="ID", type=int)
@click.option("--reason", default="", metavar="TEXT", help="Why, in a few words (kept in the change log).")
@pass_context
def assess_remove(ctx: Any, ident: int, reason: str) -> None:
    """Remove self-assessment number ID recorded by mistake.

    The change log keeps it.
    """
    with ctx.open() as p:
        p.assess.remove(ident, reason=reason)
    done(f"removed self-assessment #{ident} (undo with 'partnership undo')")


@assess.command("show")
@click.argument("area", required=False)
@click.option("--entries", is_flag=True, help="Also print every answer (now, want, evidence).")
@json_option
@pass_context
def assess_show(ctx: Any, area: str | None, entries: bool, as_json: bool) -> None:
    """Scores per area and round, and whether views diverge."""
    with ctx.open() as p:
        data = p.assess.show(area)
    if as_json:
        emit_json(data)
        return
    for i, a in enumerate(data):
        if i:
            click.echo("")
        click.echo(f"{a['name']} ({a['area']})")
        rows, scored = [], False
        for r in a["rounds"]:
            # the first scored round has nothing to compare with; a round without scores, no range
            divergence = r["divergence"] or ("no scores" if r["range"] is None
                                             else "first round" if not scored else "")
            scored = scored or r["range"] is not None
            rows.append({**r, "scores": " ".join(str(s) for s in r["scores"]), "divergence": divergence})
        table(rows, [("round", "round"), ("answers", "answers"), ("scores", "scores"),
                     ("lowest", "lowest"), ("highest", "highest"), ("range", "range"),
                     ("mean", "mean"), ("divergence", "divergence")], empty="(no answers yet)")
        if entries:
            for r in a["rounds"]:
                for e in r["entries"]:
                    score = e["score"] if e["score"] is not None else "-"
                    click.echo(f"  [{r['round']}] #{e['id']} {e['by']} score {score}")
                    click.echo(f"      now:  {e['now']}")
                    if e["want"]:
                        click.echo(f"      want: {e['want']}")
                    for item in e["evidence"]:
                        click.echo(f"      evidence: {item}")
    if any(a["rounds"] for a in data):
        click.echo("")
        echo_wrapped("Divergence: whether members' views (the range of their scores) grew apart "
                     "(widening), came together (narrowing) or held steady since the area's "
                     "previous scored round; a first round has nothing to compare with.")


@assess.command("questions")
@click.argument("area")
@json_option
@pass_context
def assess_questions(ctx: Any, area: str, as_json: bool) -> None:
    """The key questions to ask about AREA."""
    with ctx.open() as p:
        questions = p.assess.questions(area)
    if as_json:
        emit_json({"area": area, "questions": questions})
        return
    if not questions:
        click.echo(f"(no questions recorded for {area})")
    for n, q in enumerate(questions, 1):
        click.echo(f"{n}. {q}")


@assess.group("areas", invoke_without_command=True)
@json_option
@click.pass_context
def assess_areas(click_ctx: click.Context, as_json: bool) -> None:
    """The areas members assess; 'assess areas add' adds one."""
    if click_ctx.invoked_subcommand is not None:
        return
    with _context(click_ctx).open() as p:
        rows = [{"slug": a.slug, "name": a.name, "builtin": a.builtin,
                 "questions": len(p.assess.questions(a.slug))} for a in p.assess.areas.list()]
    if as_json:
        emit_json(rows)
        return
    table(rows, [("slug", "area"), ("name", "name"), ("builtin", "built in"), ("questions", "questions")])


def _context(click_ctx: click.Context) -> Context:
    """The partnership's context, as ``pass_context`` finds it (the root command sets it)."""
    ctx = click_ctx.find_object(Context)
    if ctx is None:
        raise RuntimeError("Managed to invoke callback without a context object of type 'Context' existing.")
    return ctx


@assess_areas.command("add")
@click.argument("slug")
@click.option("--name", default=None, help="Its name (default: from the slug).")
@click.option("--question", "questions", multiple=True, help="A key question (repeat for several).")
@pass_context
def assess_areas_add(ctx: Any, slug: str, name: str | None, questions: tuple[str, ...]) -> None:
    """Add an area of your own, identified by SLUG (e.g. culture)."""
    with ctx.open() as p:
        a = p.assess.add_area(slug, name, list(questions))
    done(f"added assessment area {a.slug} ({a.name})")


# -- governance ----------------------------------------------------------------------------------


@click.group(invoke_without_command=True)
@json_option
@click.pass_context
def governance(click_ctx: click.Context, as_json: bool) -> None:
    """The governance model, its questions and your answers.

    The answers are public.
    """
    if click_ctx.invoked_subcommand is not None:
        return
    with _context(click_ctx).open() as p:
        data = p.governance.show()
    if as_json:
        emit_json(data)
        return
    click.echo(f"Governance model: {data['model']}")
    for q in data["questions"]:
        echo_wrapped(f"{q['number']}. {q['question']}", subsequent="   ")
        if q["answer"]:
            by = f" ({q['by']}, {q['date']})" if q["by"] else f" ({q['date']})"
            echo_wrapped(f"{q['answer']}{by}", indent="   ", subsequent="   ")
        else:
            echo_wrapped(f"(not answered: 'partnership governance answer {q['number']} \"...\"')",
                         indent="   ", subsequent="   ")


@governance.command("answer")
@click.argument("number")
@click.argument("text")
@click.option("--by", default=None, metavar="PERSON", help="Who gives the answer.")
@click.option("--on", default=None, metavar="DATE", help="When, YYYY-MM-DD (default today).")
@pass_context
def governance_answer(ctx: Any, number: str, text: str, by: str | None, on: str | None) -> None:
    """Answer key question NUMBER of the model with TEXT.

    The answer is public.
    """
    with ctx.open() as p:
        a = p.governance.answer(number, text, by=by, on=on)
    done(f"answered question {a.number} of the {a.model.value} model")


def register(cli: click.Group) -> None:
    for command in (pairs, assess, governance):
        cli.add_command(command)
