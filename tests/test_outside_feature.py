"""Proof that the shape works: a feature built *outside* the package, through hooks alone.

A "risks" register, as a partnership might add for itself: a stored model with a
migration and a rule, a command, a public table and view with column descriptions, an
export section and a check. Nothing of it is known to partnership's own code; each
part must show up in the CLI, ``export``, ``check``, ``publish`` and the served site.
"""

from __future__ import annotations

import sqlite3

import attrs
import click
import pytest
from attrs import define, field
from click.testing import CliRunner

import partnership
from partnership import Check, Finding, PublicData, PublicQuery, hookimpl
from partnership import validators as v
from partnership.cli import make_cli
from partnership.cli.context import pass_context
from partnership.errors import ValidationError
from partnership.models import entity, private, ref


@entity("risks", ("slug",), "risk")
@define(kw_only=True)
class Risk:
    """A risk to a shared outcome, with who owns it."""

    slug: str = field(validator=v.slug)
    title: str = field(converter=v.strip, validator=v.text)
    outcome: str = ref("outcomes")
    likelihood: int = field(default=1)
    owner: str = field(default="", converter=v.strip, validator=v.optional_text)
    #: how the owner plans to handle it: kept out of the public file
    handling: str | None = private(default=None)


def m001_risks(db) -> None:  # type: ignore[no-untyped-def]
    db.executescript("""
        CREATE TABLE risks (
            slug TEXT PRIMARY KEY,
            title TEXT NOT NULL,
            outcome TEXT NOT NULL REFERENCES outcomes(slug),
            likelihood INTEGER NOT NULL DEFAULT 1,
            owner TEXT NOT NULL DEFAULT '',
            handling TEXT
        );""")


def _likely_enough(p, risk: Risk) -> None:  # type: ignore[no-untyped-def]
    if not 1 <= risk.likelihood <= 5:
        raise ValidationError(f"likelihood must be from 1 to 5 (got {risk.likelihood})")


def unowned(view):  # type: ignore[no-untyped-def]
    for r in view.query("SELECT slug, outcome FROM risks WHERE owner = '' ORDER BY slug"):
        yield Finding(rule="unowned-risk", subject=f"risk {r['slug']}", step=3,
                      message=f"nobody owns risk {r['slug']} to outcome {r['outcome']}",
                      advice="give it an owner with 'partnership risk add ... --owner'")


@click.group()
def risk() -> None:
    """Risks to the shared outcomes."""


@risk.command("add")
@click.argument("slug")
@click.option("--title", required=True)
@click.option("--outcome", required=True)
@click.option("--likelihood", type=int, default=1)
@click.option("--owner", default="")
@click.option("--handling", default=None)
@pass_context
def risk_add(ctx, **fields):  # type: ignore[no-untyped-def]
    """Record a risk."""
    with ctx.open() as p:
        p.collection(Risk).add(**fields)
    click.echo(f"added risk {fields['slug']}")


class RisksFeature:
    @hookimpl
    def register_models(self, register):  # type: ignore[no-untyped-def]
        register(Risk)

    @hookimpl
    def register_migrations(self, register):  # type: ignore[no-untyped-def]
        register(m001_risks)

    @hookimpl
    def register_rules(self, register):  # type: ignore[no-untyped-def]
        register(Risk, _likely_enough)

    @hookimpl
    def register_commands(self, cli):  # type: ignore[no-untyped-def]
        cli.add_command(risk)

    @hookimpl
    def register_checks(self, register):  # type: ignore[no-untyped-def]
        register(Check(name="unowned-risk", step=3, run=unowned,
                       description="Every risk to an outcome has an owner."))

    @hookimpl
    def register_demo(self, register):  # type: ignore[no-untyped-def]
        register(lambda p: p.collection(Risk).add(slug="demo-risk", title="Funding ends",
                                                  outcome="fewer-repeat-asb"), order=100)

    @hookimpl
    def register_public_data(self, register):  # type: ignore[no-untyped-def]
        register(PublicData.of_model(Risk, description="Risks to the shared outcomes.", columns={
            "slug": "Short identifier of the risk.", "title": "What could go wrong.",
            "outcome": "The outcome at risk.", "likelihood": "From 1 (unlikely) to 5.",
            "owner": "Who watches it."}))
        register(PublicData(name="risks_per_outcome", description="How many risks each outcome runs.",
                            columns={"outcome": "The outcome.", "risks": "How many risks."},
                            sql="SELECT outcome, count(*) AS risks FROM risks GROUP BY outcome"))
        register(PublicQuery(name="biggest-risks", title="The biggest risks",
                             description="Risks, most likely first.",
                             sql="select title, outcome, likelihood from risks order by likelihood desc"))


@pytest.fixture
def feature_cli():
    return make_cli(plugins=(RisksFeature(),))


def run(cli, *args):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli, [str(a) for a in args])


@pytest.mark.slow
def test_an_outside_feature_plugs_into_every_part(feature_cli, demo_path, tmp_path):
    db = tmp_path / "lancs.db"
    db.write_bytes(demo_path.read_bytes())
    r = run(feature_cli, "--help")
    assert "risk " in r.stdout and "Risks to the shared outcomes." in r.stdout
    # the command, through the library, the model's validation and the feature's rule
    r = run(feature_cli, "--db", db, "risk", "add", "no-venue", "--title", "No venue for the hub",
            "--outcome", "fewer-repeat-asb", "--likelihood", "4", "--handling", "ring Jo")
    assert r.exit_code == 0, r.output
    r = run(feature_cli, "--db", db, "risk", "add", "odd", "--title", "Odd", "--outcome",
            "fewer-repeat-asb", "--likelihood", "9")
    assert r.exit_code == 1 and "likelihood must be from 1 to 5" in r.output
    r = run(feature_cli, "--db", db, "risk", "add", "lost", "--title", "Lost", "--outcome", "nowhere")
    assert r.exit_code == 1 and "outcome 'nowhere'" in r.output
    # its migration is recorded under the plugin's own name
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT name FROM _sqlite_migrations WHERE migration_set = 'RisksFeature'"
                        ).fetchall() == [("m001_risks",)]
    conn.close()
    # the check
    r = run(feature_cli, "--db", db, "check", "--json")
    assert "nobody owns risk no-venue" in r.stdout
    # the export section, and an import of it into a fresh file
    r = run(feature_cli, "--db", db, "export", "--format", "json")
    assert '"risks": [' in r.stdout and "No venue for the hub" in r.stdout
    (tmp_path / "lancs.json").write_text(r.stdout)
    r = run(feature_cli, "--db", tmp_path / "copy.db", "import", tmp_path / "lancs.json")
    assert r.exit_code == 0, r.output
    with partnership.open(tmp_path / "copy.db", plugins=(RisksFeature(),)) as p:
        assert p.collection(Risk).get("no-venue").handling == "ring Jo"
    # publish: the public table (without the private field), the view, the descriptions
    r = run(feature_cli, "--db", db, "publish", tmp_path / "pub.db")
    assert r.exit_code == 0, r.output
    pub = sqlite3.connect(tmp_path / "pub.db")
    cols = [c[1] for c in pub.execute("PRAGMA table_info(risks)")]
    assert cols == ["slug", "title", "outcome", "likelihood", "owner"]
    assert pub.execute("SELECT * FROM risks_per_outcome").fetchall() == [("fewer-repeat-asb", 1)]
    pub.close()
    meta = (tmp_path / "pub.metadata.yml").read_text()
    assert "Risks to the shared outcomes." in meta and "From 1 (unlikely) to 5." in meta
    assert "biggest-risks" in meta
    # the served site shows them, with the view linked from the home page
    from partnership.reporting.serve import make_datasette

    ds = make_datasette(tmp_path / "pub.db", tmp_path / "pub.metadata.yml")
    import asyncio

    async def pages() -> tuple[str, str, str]:
        home = (await ds.client.get("/")).text
        table = (await ds.client.get("/public/risks")).text
        query = (await ds.client.get("/public/biggest-risks")).text
        return home, table, query

    home, table, query = asyncio.run(pages())
    assert "risks_per_outcome" in home.replace(" ", "_") or "risks per outcome" in home
    assert "Risks to the shared outcomes." in table and "No venue for the hub" in table
    assert "ring Jo" not in table and "The biggest risks" in query


def test_an_outside_feature_adds_to_the_demo(feature_cli, tmp_path):
    r = run(feature_cli, "demo", tmp_path / "demo.db")
    assert r.exit_code == 0, r.output
    with partnership.open(tmp_path / "demo.db", plugins=(RisksFeature(),)) as p:
        assert [r.slug for r in p.collection(Risk).list()] == ["demo-risk"]


def test_the_outside_feature_is_unknown_without_its_plugin(demo_path, tmp_path, feature_cli):
    db = tmp_path / "lancs.db"
    db.write_bytes(demo_path.read_bytes())
    assert "risk" not in run(make_cli(), "--help").stdout
    run(feature_cli, "--db", db, "risk", "add", "r1", "--title", "R", "--outcome", "fewer-repeat-asb")
    # the file keeps working without the plugin: its table is simply not exported or published
    r = run(make_cli(), "--db", db, "export", "--format", "json")
    assert r.exit_code == 0 and '"risks"' not in r.stdout
    assert attrs.has(Risk)
