import pytest
from django.core.management import CommandError, call_command


def test_prints_the_role_and_its_grants(capsys):
    call_command("snowflake_grants", "--print", "--database", "analytics", "--role", "loader", "--user", "svc_loader")

    script = capsys.readouterr().out
    assert 'CREATE ROLE IF NOT EXISTS "LOADER";' in script
    assert 'GRANT USAGE, CREATE SCHEMA ON DATABASE "ANALYTICS" TO ROLE "LOADER";' in script
    for schema in ("OPS", "BRONZE", "SILVER", "GOLD"):
        assert f'ON FUTURE TABLES IN SCHEMA "ANALYTICS"."{schema}" TO ROLE "LOADER";' in script
    assert 'GRANT READ, WRITE ON STAGE "ANALYTICS"."OPS"."SRC" TO ROLE "LOADER";' in script
    assert 'GRANT ROLE "LOADER" TO USER "SVC_LOADER";' in script


@pytest.mark.parametrize("args", [[], ["--print", "--role", 'x"; DROP DATABASE D; --']])
def test_refuses_without_print_or_with_a_bad_name(args):
    with pytest.raises(CommandError):
        call_command("snowflake_grants", *args)
