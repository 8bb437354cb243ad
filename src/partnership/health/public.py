"""What the partnership's health publishes: unmentoring uptake and outputs (never who
met whom), self-assessment divergence, and the governance questions and answers."""

from __future__ import annotations

from typing import Any

from partnership.publicdata import PublicData, PublicQuery, described
from partnership.records import entity_of


def public_data() -> list[PublicData | PublicQuery]:
    from . import assess, governance, pairs

    views = {**PUBLIC_VIEWS, "governance_questions": _governance_questions(governance.QUESTIONS)}
    items = [
        *(PublicData.of_model(cls) for cls in pairs.MODELS + assess.MODELS + governance.MODELS
          if entity_of(cls).public),
        *(PublicData(name=name, sql=sql) for name, sql in views.items()),
    ]
    return [*described(items, DESCRIPTIONS), *QUERIES]


# -- the views ----------------------------------------------------------------------------------

PUBLIC_VIEWS = {
    # one row per round: how many took part, how many groups met (uptake), outputs shared
    "pair_uptake": """
        SELECT r.round AS round, r.drawn_on AS drawn_on, r.people AS people, r.groups AS groups,
               coalesce(sum(g.met), 0) AS met,
               CASE WHEN r.groups > 0 THEN round(coalesce(sum(g.met), 0) * 1.0 / r.groups, 3)
                    ELSE 0 END AS uptake,
               coalesce(sum(g.output != ''), 0) AS outputs
        FROM pair_rounds r LEFT JOIN pair_groups g ON g.round = r.round
        GROUP BY r.round ORDER BY r.round""",
    # what unmentoring produced: one row per output, without names
    "pair_outputs": """
        SELECT round, number AS "group", met_on, output FROM pair_groups
        WHERE output != '' ORDER BY round DESC, number""",
    # the spread of scores per area and round: the disagreement is the point
    "assessment_divergence": """
        SELECT a.area AS area, ar.name AS area_name, a.round AS round, count(*) AS answers,
               count(a.score) AS scored, min(a.score) AS lowest, max(a.score) AS highest,
               max(a.score) - min(a.score) AS range, round(avg(a.score), 2) AS mean
        FROM assessments a JOIN assessment_areas ar ON ar.slug = a.area
        GROUP BY a.area, a.round ORDER BY a.area, a.round""",
}


def _governance_questions(by_model: dict[str, list[str]]) -> str:
    """The partnership's governance model, its key questions (``governance.QUESTIONS``,
    written into the view) and the answers given."""
    def q(text: str) -> str:
        return "'" + text.replace("'", "''") + "'"

    values = ",\n            ".join(
        f"({q(model)}, {n}, {q(question)})"
        for model, questions in by_model.items() for n, question in enumerate(questions, 1))
    return f"""
        WITH q(model, number, question) AS (VALUES
            {values})
        SELECT s.governance AS model, q.number AS number, q.question AS question,
               a.answer AS answer, a.date AS answered_on
        FROM site s JOIN q ON q.model = s.governance
        LEFT JOIN governance_answers a ON a.model = q.model AND a.number = q.number
        ORDER BY q.number"""


#: what the public site says about each table and view (shown on its page and
#: in datasette-metadata.yml, which 'partnership metadata' writes from this)
DESCRIPTIONS: dict[str, dict[str, Any]] = {
    'pair_rounds': {
        'description': ('Unmentoring: each monthly draw of people into random pairs across '
                         'partners (counts only, never who).'),
        'columns': {
            'round': 'The round, named by its month (for example 2026-01).',
            'drawn_on': 'When it was drawn.',
            'seed': 'The random seed, so the draw can be checked.',
            'avoid_rounds': "How many earlier rounds' pairs were avoided.",
            'people': 'How many people took part.',
            'groups': 'How many pairs (and trios) were drawn.',
        },
    },
    'pair_groups': {
        'description': ('Each pair or trio of an unmentoring round, without names: its size, '
                         'whether it met and what it shared.'),
        'columns': {
            'round': 'The round, named by its month (for example 2026-01).',
            'number': "The group's number in the round.",
            'size': '2 for a pair, 3 for a trio.',
            'met': '1 if the group met.',
            'met_on': 'When it met.',
            'output': 'What it produced or shared, if anything.',
        },
    },
    'pair_uptake': {
        'description': ('Unmentoring uptake per round: people, groups, how many met and how '
                         'many shared an output.'),
        'columns': {
            'round': 'The round, named by its month (for example 2026-01).',
            'drawn_on': 'When it was drawn.',
            'people': 'How many people took part.',
            'groups': 'How many groups were drawn.',
            'met': 'How many groups met.',
            'uptake': 'Share of groups that met (0 to 1).',
            'outputs': 'How many groups shared an output.',
        },
    },
    'pair_outputs': {
        'description': 'What unmentoring produced: one row per output, without names.',
        'columns': {
            'round': 'The round, named by its month (for example 2026-01).',
            'group': "The group's number in the round.",
            'met_on': 'When it met.',
            'output': 'What it produced or shared.',
        },
    },
    'assessment_areas': {
        'description': ("The areas of the partnership's health that members assess themselves"
                         ' on.'),
        'label_column': 'name',
        'columns': {
            'slug': 'Short identifier of the area.',
            'name': 'The area in words.',
            'questions': 'Its key questions, one per line.',
            'builtin': "1 for the method's own areas, 0 for ones the partnership added.",
        },
    },
    'assessments': {
        'description': ("Members' self-assessments of the partnership's health, per area and "
                         'round. Who gave each answer is not published.'),
        'columns': {
            'id': 'Number of the answer.',
            'area': 'The area assessed.',
            'round': 'The round of assessment.',
            'date': 'When it was given.',
            'now': "How things are now, in the member's words.",
            'want': 'How they want them to be.',
            'evidence': 'The evidence, one item per line.',
            'score': 'The score given (1 to 5), if any.',
            'outcome': 'The outcome it is about, if any.',
        },
    },
    'assessment_divergence': {
        'description': ('How much members disagree, per area and round: the spread of scores '
                         '(the disagreement is the point).'),
        'columns': {
            'area': 'The area.',
            'area_name': 'The area in words.',
            'round': 'The round.',
            'answers': 'Answers given.',
            'scored': 'Answers with a score.',
            'lowest': 'The lowest score.',
            'highest': 'The highest score.',
            'range': 'Highest minus lowest.',
            'mean': 'The average score.',
        },
    },
    'governance_answers': {
        'description': ("The partnership's answers to the key questions of its governance "
                         'model.'),
        'columns': {
            'model': 'The governance model (alliance, federation, network...).',
            'number': "The question's number.",
            'question': 'The key question.',
            'answer': "The partnership's answer.",
            'by': 'Who answered (see the people table).',
            'date': 'When it was answered.',
        },
    },
    'governance_questions': {
        'description': ("The partnership's governance model, every key question of it, and "
                         'the answer given (empty when not yet answered).'),
        'columns': {
            'model': 'The governance model.',
            'number': "The question's number.",
            'question': 'The key question.',
            'answer': "The partnership's answer (empty when not yet answered).",
            'answered_on': 'When it was answered.',
        },
    },
}


#: the canned queries this step adds to the public site (each a page of its own)
QUERIES: list[PublicQuery] = [
    PublicQuery(name='governance', title='How the partnership is governed',
                description=("The governance model's key questions and the partnership's "
                             'answers.'),
                sql="""
                select model, number, question, coalesce(answer, 'not answered yet') as answer,
                       answered_on
                from governance_questions
                order by number
                """),
    PublicQuery(name='unmentoring-uptake', title='Unmentoring uptake',
                description=('How many people took part in each round of random pairs, and how'
                             ' many pairs met (counts only, never who).'),
                sql="""
                select round, drawn_on, people, groups, met, uptake, outputs
                from pair_uptake
                order by round desc
                """),
]
