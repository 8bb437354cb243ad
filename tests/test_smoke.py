def test_cli_error_leaves_db_unchanged(small, run, db_path, unchanged):
    small.close()
    with unchanged(db_path):
        result = run("stake", "add", "fewer-repeat-asb", "lancs-polic")
    assert result.exit_code == 1
    assert "did you mean 'lancs-police'" in result.stderr
    assert "Traceback" not in result.output


def test_demo_check(demo_path):
    import partnership

    with partnership.open(demo_path) as p:
        rules = {f.rule for f in p.check()}
    assert {"not-shared", "not-open", "not-an-outcome", "no-beneficiaries", "in-name-only"} <= rules
