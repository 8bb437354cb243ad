"""The schema of commitments and the trust ledger.

Frozen SQL: these migrations are recorded by name in users' files; never edit or
rename one (a change is a new migration). Their order is :data:`partnership.schema.BUILTIN_ORDER`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlite_utils import Database


def m030_commitments(db: Database) -> None:
    """Commitments and the trust ledger: promises, their state, and the derived views.

    The views read the computer's date (``date('now')``); the library passes the
    partnership's today instead (see partnership.commitments, which keeps the same SQL).
    """
    db.executescript(
        """
        CREATE TABLE commitments (
            id INTEGER PRIMARY KEY,
            partner TEXT NOT NULL REFERENCES partners(slug),
            owner TEXT REFERENCES people(slug),
            what TEXT NOT NULL CHECK (trim(what) != ''),
            outcome TEXT REFERENCES outcomes(slug),
            activity TEXT,
            due TEXT NOT NULL,
            additional INTEGER NOT NULL DEFAULT 0 CHECK (additional IN (0, 1)),
            created TEXT NOT NULL,
            state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'delivered', 'withdrawn')),
            delivered_on TEXT,
            evidence TEXT NOT NULL DEFAULT '',
            withdrawn_on TEXT,
            reason TEXT NOT NULL DEFAULT '',
            CHECK (state != 'delivered' OR (delivered_on IS NOT NULL AND evidence != '')),
            CHECK (state != 'withdrawn' OR (withdrawn_on IS NOT NULL AND reason != ''))
        );
        CREATE INDEX idx_commitments_partner ON commitments(partner);
        CREATE INDEX idx_commitments_owner ON commitments(owner);
        CREATE INDEX idx_commitments_outcome ON commitments(outcome);
        CREATE INDEX idx_commitments_due ON commitments(due);
        CREATE VIEW commitment_status AS
        SELECT c.id AS id, 'C-' || c.id AS ref, c.partner AS partner, c.owner AS owner,
               c.what AS what, c.outcome AS outcome, c.activity AS activity, c.due AS due,
               c.additional AS additional, c.created AS created, c.state AS state,
               c.delivered_on AS delivered_on, c.evidence AS evidence,
               c.withdrawn_on AS withdrawn_on, c.reason AS reason,
               CASE WHEN c.state = 'withdrawn' THEN 'withdrawn'
                    WHEN c.state = 'delivered' AND c.delivered_on > c.due THEN 'kept-late'
                    WHEN c.state = 'delivered' THEN 'kept'
                    WHEN c.due < date('now') THEN 'overdue'
                    ELSE 'open' END AS status,
               CASE WHEN c.state = 'delivered' AND c.delivered_on > c.due
                    THEN CAST(julianday(c.delivered_on) - julianday(c.due) AS INTEGER)
                    WHEN c.state = 'open' AND c.due < date('now')
                    THEN CAST(julianday(date('now')) - julianday(c.due) AS INTEGER)
                    ELSE 0 END AS days_late
        FROM commitments c;
        CREATE VIEW ledger AS
        SELECT *,
               round(1.0 * (kept + kept_late) / nullif(made - open, 0), 3) AS kept_rate,
               round(1.0 * kept / nullif(made - open, 0), 3) AS on_time_rate,
               round(1.0 * additional / nullif(made, 0), 3) AS additional_share
        FROM (SELECT pa.slug AS partner, pa.name AS partner_name,
                     count(s.id) AS made,
                     coalesce(sum(s.status = 'kept'), 0) AS kept,
                     coalesce(sum(s.status = 'kept-late'), 0) AS kept_late,
                     coalesce(sum(s.status = 'open'), 0) AS open,
                     coalesce(sum(s.status = 'overdue'), 0) AS overdue,
                     coalesce(sum(s.status = 'withdrawn'), 0) AS withdrawn,
                     coalesce(sum(s.additional), 0) AS additional
              FROM partners pa LEFT JOIN commitment_status s ON s.partner = pa.slug
              GROUP BY pa.slug);
        CREATE VIEW kept_rate_by_quarter AS
        SELECT *,
               round(1.0 * (kept + kept_late) / nullif(made - open, 0), 3) AS kept_rate,
               round(1.0 * kept / nullif(made - open, 0), 3) AS on_time_rate,
               round(1.0 * additional / nullif(made, 0), 3) AS additional_share
        FROM (SELECT strftime('%Y', s.due) || '-Q'
                         || ((CAST(strftime('%m', s.due) AS INTEGER) + 2) / 3) AS quarter,
                     count(*) AS made,
                     sum(s.status = 'kept') AS kept,
                     sum(s.status = 'kept-late') AS kept_late,
                     sum(s.status = 'open') AS open,
                     sum(s.status = 'overdue') AS overdue,
                     sum(s.status = 'withdrawn') AS withdrawn,
                     sum(s.additional) AS additional
              FROM commitment_status s GROUP BY quarter);
        """
    )


def m031_withdrawal_agreed(db: Database) -> None:
    """A withdrawal agreed by the partnership is not counted against the partner.

    ``withdrawal_agreed`` says why ('' when not agreed); the working views gain the column
    and a ``withdrawn_agreed`` count, left out of the rates' denominators.
    """
    db.executescript(
        """
        ALTER TABLE commitments ADD COLUMN withdrawal_agreed TEXT NOT NULL DEFAULT '';
        DROP VIEW kept_rate_by_quarter;
        DROP VIEW ledger;
        DROP VIEW commitment_status;
        CREATE VIEW commitment_status AS
        SELECT c.id AS id, 'C-' || c.id AS ref, c.partner AS partner, c.owner AS owner,
               c.what AS what, c.outcome AS outcome, c.activity AS activity, c.due AS due,
               c.additional AS additional, c.created AS created, c.state AS state,
               c.delivered_on AS delivered_on, c.evidence AS evidence,
               c.withdrawn_on AS withdrawn_on, c.reason AS reason,
               c.withdrawal_agreed AS withdrawal_agreed,
               CASE WHEN c.state = 'withdrawn' THEN 'withdrawn'
                    WHEN c.state = 'delivered' AND c.delivered_on > c.due THEN 'kept-late'
                    WHEN c.state = 'delivered' THEN 'kept'
                    WHEN c.due < date('now') THEN 'overdue'
                    ELSE 'open' END AS status,
               CASE WHEN c.state = 'delivered' AND c.delivered_on > c.due
                    THEN CAST(julianday(c.delivered_on) - julianday(c.due) AS INTEGER)
                    WHEN c.state = 'open' AND c.due < date('now')
                    THEN CAST(julianday(date('now')) - julianday(c.due) AS INTEGER)
                    ELSE 0 END AS days_late
        FROM commitments c;
        CREATE VIEW ledger AS
        SELECT *,
               round(1.0 * (kept + kept_late) / nullif(made - open - withdrawn_agreed, 0), 3)
                 AS kept_rate,
               round(1.0 * kept / nullif(made - open - withdrawn_agreed, 0), 3) AS on_time_rate,
               round(1.0 * additional / nullif(made, 0), 3) AS additional_share
        FROM (SELECT pa.slug AS partner, pa.name AS partner_name,
                     count(s.id) AS made,
                     coalesce(sum(s.status = 'kept'), 0) AS kept,
                     coalesce(sum(s.status = 'kept-late'), 0) AS kept_late,
                     coalesce(sum(s.status = 'open'), 0) AS open,
                     coalesce(sum(s.status = 'overdue'), 0) AS overdue,
                     coalesce(sum(s.status = 'withdrawn'), 0) AS withdrawn,
                     coalesce(sum(s.status = 'withdrawn' AND s.withdrawal_agreed != ''), 0)
                       AS withdrawn_agreed,
                     coalesce(sum(s.additional), 0) AS additional
              FROM partners pa LEFT JOIN commitment_status s ON s.partner = pa.slug
              GROUP BY pa.slug);
        CREATE VIEW kept_rate_by_quarter AS
        SELECT *,
               round(1.0 * (kept + kept_late) / nullif(made - open - withdrawn_agreed, 0), 3)
                 AS kept_rate,
               round(1.0 * kept / nullif(made - open - withdrawn_agreed, 0), 3) AS on_time_rate,
               round(1.0 * additional / nullif(made, 0), 3) AS additional_share
        FROM (SELECT strftime('%Y', s.due) || '-Q'
                         || ((CAST(strftime('%m', s.due) AS INTEGER) + 2) / 3) AS quarter,
                     count(*) AS made,
                     sum(s.status = 'kept') AS kept,
                     sum(s.status = 'kept-late') AS kept_late,
                     sum(s.status = 'open') AS open,
                     sum(s.status = 'overdue') AS overdue,
                     sum(s.status = 'withdrawn') AS withdrawn,
                     sum(s.status = 'withdrawn' AND s.withdrawal_agreed != '') AS withdrawn_agreed,
                     sum(s.additional) AS additional
              FROM commitment_status s GROUP BY quarter);
        """
    )
