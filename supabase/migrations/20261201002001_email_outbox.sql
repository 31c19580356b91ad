-- Transactional email (SPEC 5.5): triggers write each message into email_outbox in the
-- same transaction as the change it reports; the send-email Edge Function drains it
-- through Resend (hosted: every minute by pg_cron, see the README; local stack: by its
-- own scheduler).
--
-- Each row's idempotency_key names the fact it reports (e.g. purchase-paid:<id>), so a
-- fact is queued once, and Resend, which receives the same key, delivers it once even
-- when a send is retried after a crash. Failed sends are retried with a growing delay;
-- after 8 attempts the row stays 'failed' for a person to look at.
--
-- Who gets what: receipts (purchase paid or refunded) and security mail (account deletion
-- received and done) always go out; job status updates only while
-- profiles.email_job_updates is true (the user's opt-out, default true).

alter table public.profiles
  add column email_job_updates boolean not null default true;
comment on column public.profiles.email_job_updates is
  'False: no status-update emails; receipts and security mail are always sent.';
grant update (email_job_updates) on public.profiles to authenticated;

create table public.email_outbox (
  id bigint generated always as identity primary key,
  idempotency_key text not null constraint email_outbox_idempotency_key_key unique
    constraint email_outbox_idempotency_key_check check (char_length(idempotency_key) <= 256),
  -- No foreign key: the 'account deletion done' mail outlives the account.
  user_id uuid,
  to_email text not null,
  kind text not null constraint email_outbox_kind_check check (kind in (
    'purchase_paid', 'purchase_refunded', 'account_deletion_received',
    'account_deletion_done', 'job_submitted', 'job_verification', 'job_status')),
  subject text not null,
  text_body text not null,
  html_body text not null,
  status text not null default 'pending'
    constraint email_outbox_status_check check (status in ('pending', 'sending', 'sent', 'failed')),
  attempts integer not null default 0,
  next_attempt_at timestamptz not null default now(),
  locked_until timestamptz,
  last_error text,
  provider_message_id text,
  created_at timestamptz not null default now(),
  sent_at timestamptz
);
create index email_outbox_due_idx on public.email_outbox (next_attempt_at)
  where status in ('pending', 'sending');
create index email_outbox_user_idx on public.email_outbox (user_id);

revoke all on public.email_outbox from anon, authenticated;
grant select, insert, update, delete on public.email_outbox to service_role;
alter table public.email_outbox enable row level security;
-- Closed on purpose: addresses and bodies are for the service role (which bypasses RLS).
create policy "email_outbox: no API access" on public.email_outbox
  for select to anon, authenticated using (false);

-- ---------------------------------------------------------------------------------------
-- Building and queueing a message
-- ---------------------------------------------------------------------------------------
create function public.email_html_escape(value text)
  returns text
  language sql immutable set search_path = ''
  as $$
    select replace(replace(replace(replace(replace(coalesce(value, ''),
      '&', '&amp;'), '<', '&lt;'), '>', '&gt;'), '"', '&quot;'), '''', '&#39;')
  $$;

create function public.email_money(amount_cents integer, currency text)
  returns text
  language sql immutable set search_path = ''
  as $$
    select to_char(amount_cents / 100.0, 'FM999999990.00') || ' ' || upper(currency)
  $$;

-- Queue one message to a user (or to_email when the profile no longer has an address).
-- optional: a status update, skipped for users who opted out. Repeating a key is a no-op.
create function public.enqueue_email(
  user_id uuid, kind text, idempotency_key text, subject text, paragraphs text[],
  optional boolean default false, to_email text default null)
  returns void
  language plpgsql volatile security definer set search_path = ''
  as $$
  declare
    prof record;
    recipient text;
    greeting text;
    text_body text;
    html_body text;
  begin
    select p.email, p.display_name, p.email_job_updates into prof
      from public.profiles p where p.id = enqueue_email.user_id;
    if enqueue_email.optional and coalesce(prof.email_job_updates, true) is false then
      return;
    end if;
    recipient := coalesce(nullif(btrim(prof.email), ''), enqueue_email.to_email);
    if recipient is null then
      return;
    end if;
    greeting := 'Hello ' || coalesce(nullif(btrim(prof.display_name), ''), recipient) || ',';
    text_body := greeting || E'\n\n' || array_to_string(paragraphs, E'\n\n')
      || E'\n\n-- \nWYNTEK digital fabrication\n'
      || case when enqueue_email.optional
              then E'You get job updates by email; turn them off in WYNTEK Desktop under Privacy.\n'
              else '' end;
    select '<!doctype html><html><body style="font-family: sans-serif; line-height: 1.5">'
        || '<p>' || public.email_html_escape(greeting) || '</p>'
        || string_agg('<p>' || public.email_html_escape(par) || '</p>', '' order by n)
        || '<p style="color: #666">WYNTEK digital fabrication'
        || case when enqueue_email.optional
                then '<br>You get job updates by email; turn them off in WYNTEK Desktop under Privacy.'
                else '' end
        || '</p></body></html>'
      into html_body
      from unnest(paragraphs) with ordinality as t(par, n);
    insert into public.email_outbox
      (idempotency_key, user_id, to_email, kind, subject, text_body, html_body)
    values (enqueue_email.idempotency_key, enqueue_email.user_id, recipient, enqueue_email.kind,
            enqueue_email.subject, text_body, html_body)
    on conflict on constraint email_outbox_idempotency_key_key do nothing;
  end
  $$;

-- ---------------------------------------------------------------------------------------
-- Triggers: purchases and account deletion
-- ---------------------------------------------------------------------------------------
create function public.email_on_purchase() returns trigger
  language plpgsql security definer set search_path = ''
  as $$
  declare
    pack_name text;
  begin
    select tp.name into pack_name from public.token_packs tp where tp.id = new.pack_id;
    if new.status = 'paid' and old.status is distinct from 'paid' then
      perform public.enqueue_email(
        new.user_id, 'purchase_paid', 'purchase-paid:' || new.id,
        format('Receipt: %s tokens for %s', new.tokens, public.email_money(new.amount_cents, new.currency)),
        array[
          format('Thank you for your purchase. %s tokens were added to your balance.', new.tokens),
          format('Pack: %s. Amount paid: %s. Date: %s UTC.', pack_name,
                 public.email_money(new.amount_cents, new.currency),
                 to_char(coalesce(new.paid_at, now()) at time zone 'UTC', 'YYYY-MM-DD HH24:MI')),
          format('Receipt number: %s. Card payments are handled by Stripe; WYNTEK never sees your card.', new.id)]);
    end if;
    if new.refunded_cents > old.refunded_cents then
      perform public.enqueue_email(
        new.user_id, 'purchase_refunded',
        'purchase-refunded:' || new.id || ':' || new.refunded_cents,
        format('Refund: %s for your %s purchase',
               public.email_money(new.refunded_cents - old.refunded_cents, new.currency), pack_name),
        array[
          format('We refunded %s of your purchase %s (%s).',
                 public.email_money(new.refunded_cents - old.refunded_cents, new.currency),
                 new.id, pack_name),
          format('%s tokens were taken back from your balance.', new.tokens_debited - old.tokens_debited)
            || case when new.tokens_unrecovered > old.tokens_unrecovered
                    then format(' %s tokens had already been spent and stay recorded on the purchase.',
                                new.tokens_unrecovered - old.tokens_unrecovered)
                    else '' end,
          'The money returns to the card you paid with, usually within 5 to 10 days.']);
    end if;
    return null;
  end
  $$;

create trigger email_on_purchase
  after update on public.purchases
  for each row execute function public.email_on_purchase();

create function public.email_on_account_deletion() returns trigger
  language plpgsql security definer set search_path = ''
  as $$
  declare
    earlier text;
  begin
    if new.status = 'pending'
       and (tg_op = 'INSERT' or old.status is distinct from 'pending') then
      perform public.enqueue_email(
        new.user_id, 'account_deletion_received',
        'account-deletion-received:' || new.user_id || ':'
          || extract(epoch from new.requested_at)::bigint,
        'We received your request to delete your WYNTEK account',
        array[
          'We received your request to delete your WYNTEK account and everything stored with it.',
          'Your files, profile and messages will be removed within 30 days. Financial records '
            || '(jobs, token ledger, purchases) are kept for 7 years as the law requires, '
            || 'without your name or email address.',
          'If you did not ask for this, reply to this email or contact support at once.']);
    elsif tg_op = 'UPDATE' and new.status = 'completed' and old.status <> 'completed' then
      -- The profile may already be anonymised: write to the address the request mail used.
      select o.to_email into earlier from public.email_outbox o
       where o.user_id = new.user_id and o.kind = 'account_deletion_received'
       order by o.id desc limit 1;
      perform public.enqueue_email(
        new.user_id, 'account_deletion_done', 'account-deletion-done:' || new.user_id,
        'Your WYNTEK account has been deleted',
        array[
          'Your WYNTEK account has been deleted, together with your files, profile and messages.',
          'Financial records are kept for 7 years without your name or email address. '
            || 'This is the last email we send you.'],
        false, earlier);
    end if;
    return null;
  end
  $$;

create trigger email_on_account_deletion
  after insert or update of status on public.account_deletion_requests
  for each row execute function public.email_on_account_deletion();

-- ---------------------------------------------------------------------------------------
-- The drain (service role only): claim a batch, then report each send.
-- ---------------------------------------------------------------------------------------
-- claim_emails(max) -> rows to send now. A claimed row is locked for 2 minutes; a drain
-- that dies meanwhile leaves it to the next one, which sends it with the same key.
create function public.claim_emails(max_count integer default 20)
  returns setof public.email_outbox
  language plpgsql volatile security definer set search_path = ''
  as $$
  begin
    if auth.role() is distinct from 'service_role' then
      raise exception using errcode = '42501', message = 'Only the service sends email.';
    end if;
    return query
      update public.email_outbox o
         set status = 'sending', attempts = o.attempts + 1,
             locked_until = now() + interval '2 minutes'
       where o.id in (
         select c.id from public.email_outbox c
          where (c.status = 'pending' and c.next_attempt_at <= now())
             or (c.status = 'sending' and c.locked_until < now())
          order by c.id
          limit greatest(1, least(coalesce(max_count, 20), 100))
          for update skip locked)
      returning o.*;
  end
  $$;

-- finish_email(id, provider_message_id, error, retryable): sent, or retried later
-- (30 s, 1 min, 2 min ... up to 1 h), or failed for good after 8 attempts.
create function public.finish_email(
  email_id bigint, provider_message_id text, error text default null,
  retryable boolean default true)
  returns text
  language plpgsql volatile security definer set search_path = ''
  as $$
  declare
    new_status text;
  begin
    if auth.role() is distinct from 'service_role' then
      raise exception using errcode = '42501', message = 'Only the service sends email.';
    end if;
    update public.email_outbox o
       set status = case when finish_email.error is null then 'sent'
                         when finish_email.retryable and o.attempts < 8 then 'pending'
                         else 'failed' end,
           sent_at = case when finish_email.error is null then now() end,
           provider_message_id = finish_email.provider_message_id,
           last_error = left(finish_email.error, 1000),
           locked_until = null,
           next_attempt_at = case when finish_email.error is null then o.next_attempt_at
             else now() + least(interval '1 hour', interval '30 seconds' * power(2, o.attempts - 1))
           end
     where o.id = finish_email.email_id and o.status = 'sending'
    returning o.status into new_status;
    return new_status;
  end
  $$;

revoke execute on function public.email_html_escape(text), public.email_money(integer, text),
  public.enqueue_email(uuid, text, text, text, text[], boolean, text),
  public.email_on_purchase(), public.email_on_account_deletion(),
  public.claim_emails(integer), public.finish_email(bigint, text, text, boolean)
  from public, anon, authenticated;
revoke execute on function public.enqueue_email(uuid, text, text, text, text[], boolean, text)
  from service_role;
grant execute on function public.claim_emails(integer),
  public.finish_email(bigint, text, text, boolean) to service_role;
