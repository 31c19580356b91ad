-- Clear refusals (SQLSTATE 22023 with a sentence a person can act on) for the two things
-- users write directly through the API: their display name and support messages. The
-- check constraints stay as the last line of defence.

create or replace function public.profiles_guard() returns trigger
  language plpgsql set search_path = ''
  as $$
  declare
    via_ledger boolean := coalesce(current_setting('wyntek.ledger_write', true), '') = 'on';
  begin
    if tg_op = 'INSERT' then
      if new.token_balance <> 0 and not via_ledger then
        raise exception using errcode = '42501',
          message = 'A new profile starts with 0 tokens; add tokens with grant_tokens.';
      end if;
    else
      if new.id is distinct from old.id then
        raise exception using errcode = '42501', message = 'A profile id cannot change.';
      end if;
      if new.token_balance is distinct from old.token_balance and not via_ledger then
        raise exception using errcode = '42501',
          message = 'The token balance changes only through the token ledger.';
      end if;
      new.created_at := old.created_at;
    end if;
    new.display_name := nullif(btrim(new.display_name), '');
    if char_length(new.display_name) > 100 then
      raise exception using errcode = '22023',
        message = 'The display name is limited to 100 characters.';
    end if;
    if new.display_name ~ '[[:cntrl:]]' then
      raise exception using errcode = '22023',
        message = 'The display name cannot contain line breaks or control characters.';
    end if;
    new.updated_at := now();
    return new;
  end
  $$;

create function public.support_messages_validate() returns trigger
  language plpgsql set search_path = ''
  as $$
  begin
    new.subject := btrim(new.subject);
    if new.subject is null or new.subject = '' or char_length(new.subject) > 200 then
      raise exception using errcode = '22023',
        message = 'The subject must be between 1 and 200 characters.';
    end if;
    if new.body is null or btrim(new.body) = '' or char_length(new.body) > 5000 then
      raise exception using errcode = '22023',
        message = 'The message must be between 1 and 5000 characters.';
    end if;
    return new;
  end
  $$;

create trigger support_messages_validate
  before insert or update of subject, body on public.support_messages
  for each row execute function public.support_messages_validate();

revoke execute on function public.support_messages_validate() from public, anon, authenticated;
