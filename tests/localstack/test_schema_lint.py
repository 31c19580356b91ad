"""A Supabase-linter-style check of the migrated schema, straight from the catalog."""

from __future__ import annotations

import re

import pytest

OWN_SCHEMAS = ("public",)


def rows(pg, query, params=None):
    with pg.transaction():
        return pg.execute(query, params).fetchall()


def test_every_public_table_has_row_level_security(pg):
    missing = rows(pg, """
        select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
         where n.nspname = any(%s) and c.relkind in ('r', 'p') and not c.relrowsecurity""",
        (list(OWN_SCHEMAS),))
    assert missing == []
    assert len(rows(pg, """select 1 from pg_class c join pg_namespace n on n.oid = c.relnamespace
                            where n.nspname = 'public' and c.relkind = 'r'""")) >= 8


def test_every_table_with_rls_has_a_policy_or_is_closed_on_purpose(pg):
    without = rows(pg, """
        select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
         where n.nspname = 'public' and c.relkind = 'r'
           and not exists (select 1 from pg_policy p where p.polrelid = c.oid)""")
    assert without == []


def test_no_view_bypasses_rls(pg):
    views = rows(pg, """
        select c.relname, c.relkind, coalesce(c.reloptions, '{}')
          from pg_class c join pg_namespace n on n.oid = c.relnamespace
         where n.nspname = any(%s) and c.relkind in ('v', 'm')""", (list(OWN_SCHEMAS),))
    offending = [name for name, kind, options in views
                 if kind == "m" or not ({"security_invoker=true", "security_invoker=on"}
                                        & set(options))]
    assert offending == []


def test_security_definer_functions_pin_an_empty_search_path(pg):
    functions = rows(pg, """
        select p.proname, p.prosecdef, coalesce(p.proconfig, '{}')
          from pg_proc p join pg_namespace n on n.oid = p.pronamespace
         where n.nspname = any(%s)""", (list(OWN_SCHEMAS),))
    assert any(definer for _, definer, _ in functions)
    unpinned = [name for name, _, config in functions
                if not any(c.startswith("search_path=") for c in config)]
    assert unpinned == []  # Supabase lint: function_search_path_mutable
    loose_definers = [name for name, definer, config in functions
                      if definer and 'search_path=""' not in config]
    assert loose_definers == []


def test_no_policy_trusts_user_metadata(pg):
    policies = rows(pg, """select schemaname, tablename, policyname,
                                  coalesce(qual, '') || ' ' || coalesce(with_check, '')
                             from pg_policies where schemaname in ('public', 'storage')""")
    assert len(policies) >= 10
    trusting = [(t, p) for _, t, p, text in policies
                if re.search(r"user_metadata|raw_user_meta_data", text, re.IGNORECASE)]
    assert trusting == []


def test_policies_call_auth_functions_once_per_statement(pg):
    """auth.uid()/auth.jwt() wrapped in a sub-select (Supabase lint auth_rls_initplan)."""
    policies = rows(pg, """select tablename, policyname,
                                  coalesce(qual, '') || ' ' || coalesce(with_check, '')
                             from pg_policies where schemaname in ('public', 'storage')""")
    bare = [(t, p) for t, p, text in policies
            if re.search(r"(?<!SELECT )auth\.(uid|jwt|role|email)\(\)", text)]
    assert bare == []


def test_one_permissive_policy_per_role_and_action(pg):
    dupes = rows(pg, """
        select schemaname, tablename, cmd, r.role, count(*)
          from pg_policies, unnest(roles) as r(role)
         where schemaname in ('public', 'storage') and permissive = 'PERMISSIVE'
         group by 1, 2, 3, 4 having count(*) > 1""")
    assert dupes == []


def test_every_foreign_key_has_a_covering_index(pg):
    uncovered = rows(pg, """
        select c.conrelid::regclass::text, c.conname
          from pg_constraint c join pg_namespace n on n.oid = c.connamespace
         where c.contype = 'f' and n.nspname = 'public'
           and not exists (
             select 1 from pg_index i
              where i.indrelid = c.conrelid
                and (i.indkey::int2[])[0:cardinality(c.conkey) - 1] @> c.conkey
                and (i.indkey::int2[])[0:cardinality(c.conkey) - 1] <@ c.conkey)""")
    assert uncovered == []


def test_api_roles_cannot_run_definer_functions_they_should_not(pg):
    callable_by_anon = rows(pg, """
        select p.proname from pg_proc p join pg_namespace n on n.oid = p.pronamespace
         where n.nspname = 'public' and p.prosecdef
           and has_function_privilege('anon', p.oid, 'execute')""")
    assert callable_by_anon == []
    assert rows(pg, """select has_function_privilege('authenticated',
                          'public.grant_tokens(uuid, integer, text)', 'execute')""") == [(False,)]


@pytest.mark.parametrize("table", ["profiles", "jobs", "job_files", "token_ledger",
                                   "job_assignments", "support_messages",
                                   "account_deletion_requests", "materials"])
def test_anon_has_no_table_privileges(pg, table):
    privileges = rows(pg, """
        select privilege_type from information_schema.role_table_grants
         where grantee = 'anon' and table_schema = 'public' and table_name = %s""", (table,))
    assert privileges == []


def test_api_roles_cannot_touch_sequences(pg):
    """Identity columns need no sequence grant; hosted projects grant them by default."""
    granted = rows(pg, """
        select c.relname, r.role from pg_class c
          join pg_namespace n on n.oid = c.relnamespace
         cross join (values ('anon'), ('authenticated')) as r(role)
         where n.nspname = 'public' and c.relkind = 'S'
           and (has_sequence_privilege(r.role, c.oid, 'usage')
                or has_sequence_privilege(r.role, c.oid, 'select')
                or has_sequence_privilege(r.role, c.oid, 'update'))""")
    assert granted == []


def test_anon_can_run_no_public_function(pg):
    callable_by_anon = rows(pg, """
        select p.oid::regprocedure::text from pg_proc p
          join pg_namespace n on n.oid = p.pronamespace
         where n.nspname = 'public' and has_function_privilege('anon', p.oid, 'execute')""")
    assert callable_by_anon == []
