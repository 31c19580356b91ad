-- Buying tokens through Stripe Checkout (SPEC 5.3).
--
--   token_packs      what is on sale (seeded here, so a hosted project has it too)
--   purchases        one row per checkout; the owner reads their own
--   stripe_events    every verified webhook event once (its id is the key), with what it did
--
-- Money moves only inside handle_stripe_event(), which the stripe-webhook Edge Function
-- calls with the verified event, as the service role:
--   * checkout.session.completed credits the pack's tokens once per purchase: the ledger
--     row carries purchase_id under a unique index, so concurrent or repeated deliveries
--     (even as different events) insert one credit at most;
--   * the amount and currency Stripe reports must equal the purchase's, which are the
--     pack's price copied when the checkout started (a later price change cannot move
--     them); anything else is recorded and credits nothing;
--   * checkout.session.expired marks a pending purchase expired (never credited later);
--   * charge.refunded debits the refunded share of the tokens, reason 'refund'; what the
--     balance can no longer cover is recorded on the purchase (tokens_unrecovered)
--     instead of going below 0.

create table public.token_packs (
  id text primary key constraint token_packs_id_check check (id ~ '^[a-z0-9][a-z0-9-]{1,39}$'),
  name text not null constraint token_packs_name_check check (char_length(name) between 1 and 80),
  tokens integer not null constraint token_packs_tokens_check check (tokens between 1 and 10000000),
  price_cents integer not null
    constraint token_packs_price_check check (price_cents between 50 and 99999999),
  currency text not null default 'eur'
    constraint token_packs_currency_check check (currency ~ '^[a-z]{3}$'),
  active boolean not null default true,
  sort_order integer not null default 0
);
comment on table public.token_packs is 'Token packs on sale; prices in the currency''s minor unit.';

insert into public.token_packs (id, name, tokens, price_cents, currency, sort_order) values
  ('starter', 'Starter: 100 tokens', 100, 1000, 'eur', 10),
  ('workshop', 'Workshop: 500 tokens', 500, 4500, 'eur', 20),
  ('studio', 'Studio: 2000 tokens', 2000, 16000, 'eur', 30)
on conflict (id) do nothing;

create table public.purchases (
  id uuid primary key default gen_random_uuid(),
  -- Kept 7 years as a financial record; set null when the account is deleted.
  user_id uuid references public.profiles (id) on delete set null,
  pack_id text not null references public.token_packs (id),
  tokens integer not null constraint purchases_tokens_check check (tokens > 0),
  amount_cents integer not null constraint purchases_amount_check check (amount_cents > 0),
  currency text not null constraint purchases_currency_check check (currency ~ '^[a-z]{3}$'),
  stripe_checkout_session_id text constraint purchases_stripe_checkout_session_id_key unique,
  stripe_payment_intent_id text constraint purchases_stripe_payment_intent_id_key unique,
  status text not null default 'pending'
    constraint purchases_status_check
    check (status in ('pending', 'paid', 'refunded', 'expired', 'failed')),
  refunded_cents integer not null default 0
    constraint purchases_refunded_check check (refunded_cents between 0 and amount_cents),
  tokens_debited integer not null default 0 constraint purchases_debited_check check (tokens_debited >= 0),
  tokens_unrecovered integer not null default 0
    constraint purchases_unrecovered_check check (tokens_unrecovered >= 0),
  created_at timestamptz not null default now(),
  paid_at timestamptz,
  refunded_at timestamptz
);
create index purchases_user_idx on public.purchases (user_id, created_at);
create index purchases_pack_idx on public.purchases (pack_id);
comment on column public.purchases.tokens_unrecovered is
  'Refunded tokens the balance no longer held when the refund arrived (spent on jobs).';

create table public.stripe_events (
  id text primary key,
  type text not null,
  purchase_id uuid references public.purchases (id) on delete set null,
  outcome text,
  received_at timestamptz not null default now()
);
create index stripe_events_purchase_idx on public.stripe_events (purchase_id);
comment on table public.stripe_events is 'Verified Stripe webhook events, each handled once.';

alter table public.token_ledger
  add column purchase_id uuid references public.purchases (id) on delete set null;
-- The exactly-once rule for credits: one 'purchase' ledger row per purchase.
create unique index token_ledger_purchase_credit_key
  on public.token_ledger (purchase_id) where reason = 'purchase';
create index token_ledger_purchase_idx on public.token_ledger (purchase_id);

-- ---------------------------------------------------------------------------------------
-- Privileges and row-level security
-- ---------------------------------------------------------------------------------------
revoke all on public.token_packs, public.purchases, public.stripe_events
  from anon, authenticated;
grant select on public.token_packs, public.purchases to authenticated;
grant select, insert, update, delete on public.token_packs to service_role;
grant select, insert, update on public.purchases, public.stripe_events to service_role;

alter table public.token_packs enable row level security;
alter table public.purchases enable row level security;
alter table public.stripe_events enable row level security;

create policy "token_packs: signed-in users read" on public.token_packs
  for select to authenticated using (true);
create policy "purchases: owner reads" on public.purchases
  for select to authenticated using (user_id = (select auth.uid()));
-- Closed on purpose: only the service role (which bypasses RLS) reads the events.
create policy "stripe_events: no API access" on public.stripe_events
  for select to anon, authenticated using (false);

-- ---------------------------------------------------------------------------------------
-- start_purchase(pack_id) -> the new pending purchase (signed-in users). The price comes
-- from the pack, never from the caller.
-- ---------------------------------------------------------------------------------------
create function public.start_purchase(pack_id text)
  returns jsonb
  language plpgsql volatile security definer set search_path = ''
  as $$
  declare
    uid uuid := auth.uid();
    pack public.token_packs;
    purchase public.purchases;
    recent integer;
  begin
    if uid is null then
      raise exception using errcode = '42501', message = 'Sign in to buy tokens.';
    end if;
    select * into pack from public.token_packs p where p.id = start_purchase.pack_id and p.active;
    if not found then
      raise exception using errcode = 'PT404',
        message = format('There is no token pack %s on sale; choose one from the list.',
                         coalesce(start_purchase.pack_id, 'nothing'));
    end if;
    select count(*) into recent from public.purchases p
     where p.user_id = uid and p.status = 'pending' and p.created_at > now() - interval '1 hour';
    if recent >= 20 then
      raise exception using errcode = 'PT429',
        message = 'Too many unfinished checkouts in the last hour; finish or wait for one.';
    end if;
    insert into public.purchases (user_id, pack_id, tokens, amount_cents, currency)
    values (uid, pack.id, pack.tokens, pack.price_cents, pack.currency)
    returning * into purchase;
    return jsonb_build_object(
      'id', purchase.id, 'pack_id', pack.id, 'pack_name', pack.name, 'tokens', pack.tokens,
      'amount_cents', pack.price_cents, 'currency', pack.currency,
      'email', (select p.email from public.profiles p where p.id = uid));
  end
  $$;

-- record_checkout_session(purchase_id, session_id) -> the purchase. Service role only:
-- the Checkout Session that create-checkout opened for it (null: opening failed).
create function public.record_checkout_session(purchase_id uuid, session_id text)
  returns jsonb
  language plpgsql volatile security definer set search_path = ''
  as $$
  declare
    purchase public.purchases;
  begin
    if auth.role() is distinct from 'service_role' then
      raise exception using errcode = '42501', message = 'Only the service records checkouts.';
    end if;
    update public.purchases p
       set stripe_checkout_session_id = record_checkout_session.session_id,
           status = case when record_checkout_session.session_id is null then 'failed'
                         else p.status end
     where p.id = record_checkout_session.purchase_id
       and p.status = 'pending' and p.stripe_checkout_session_id is null
    returning * into purchase;
    if not found then
      raise exception using errcode = 'PT409',
        message = 'That purchase is not waiting for a checkout session.';
    end if;
    return to_jsonb(purchase);
  end
  $$;

-- ---------------------------------------------------------------------------------------
-- handle_stripe_event(event) -> {"outcome": ...}. Service role only; the caller has
-- verified the signature. Every outcome is final for that event id.
-- ---------------------------------------------------------------------------------------
create function public.stripe_checkout_completed(obj jsonb)
  returns jsonb
  language plpgsql volatile security definer set search_path = ''
  as $$
  declare
    p public.purchases;
    credited integer;
  begin
    select * into p from public.purchases pu
     where pu.stripe_checkout_session_id = obj ->> 'id' for update;
    if not found then
      return jsonb_build_object('outcome', 'unknown_session');
    end if;
    if obj ->> 'client_reference_id' is distinct from p.id::text then
      return jsonb_build_object('outcome', 'reference_mismatch', 'purchase_id', p.id);
    end if;
    if obj ->> 'payment_status' is distinct from 'paid' then
      -- Delayed payment methods complete first and pay later (async_payment_succeeded).
      return jsonb_build_object('outcome', 'awaiting_payment', 'purchase_id', p.id);
    end if;
    if (obj ->> 'amount_total') is distinct from p.amount_cents::text
       or lower(obj ->> 'currency') is distinct from p.currency then
      return jsonb_build_object('outcome', 'amount_mismatch', 'purchase_id', p.id);
    end if;
    if p.status <> 'pending' then
      return jsonb_build_object('outcome', 'already_' || p.status, 'purchase_id', p.id);
    end if;
    if p.user_id is null then
      return jsonb_build_object('outcome', 'no_account', 'purchase_id', p.id);
    end if;
    insert into public.token_ledger (user_id, delta, reason, purchase_id)
    values (p.user_id, p.tokens, 'purchase', p.id)
    on conflict (purchase_id) where reason = 'purchase' do nothing;
    get diagnostics credited = row_count;
    update public.purchases pu
       set status = 'paid', paid_at = now(),
           stripe_payment_intent_id = coalesce(obj ->> 'payment_intent', pu.stripe_payment_intent_id)
     where pu.id = p.id;
    return jsonb_build_object('outcome', case when credited = 1 then 'credited'
                                             else 'already_credited' end,
                              'purchase_id', p.id);
  end
  $$;

create function public.stripe_checkout_expired(obj jsonb)
  returns jsonb
  language plpgsql volatile security definer set search_path = ''
  as $$
  declare
    purchase_id uuid;
  begin
    update public.purchases pu set status = 'expired'
     where pu.stripe_checkout_session_id = obj ->> 'id' and pu.status = 'pending'
    returning pu.id into purchase_id;
    if found then
      return jsonb_build_object('outcome', 'expired', 'purchase_id', purchase_id);
    end if;
    return jsonb_build_object('outcome', 'not_pending');
  end
  $$;

create function public.stripe_charge_refunded(obj jsonb)
  returns jsonb
  language plpgsql volatile security definer set search_path = ''
  as $$
  declare
    p public.purchases;
    refunded integer;
    due integer;
    balance integer;
    taken integer;
  begin
    select * into p from public.purchases pu
     where pu.stripe_payment_intent_id = obj ->> 'payment_intent' for update;
    if not found then
      return jsonb_build_object('outcome', 'unknown_payment');
    end if;
    if p.status not in ('paid', 'refunded') then
      return jsonb_build_object('outcome', 'not_paid', 'purchase_id', p.id);
    end if;
    if lower(obj ->> 'currency') is distinct from p.currency
       or (obj ->> 'amount') is distinct from p.amount_cents::text
       or coalesce(obj ->> 'amount_refunded', '') !~ '^[0-9]{1,12}$' then
      return jsonb_build_object('outcome', 'amount_mismatch', 'purchase_id', p.id);
    end if;
    -- amount_refunded is cumulative, so replays and reordered deliveries settle to the
    -- same state: take back the refunded share not taken back yet.
    refunded := least((obj ->> 'amount_refunded')::bigint, p.amount_cents);
    if refunded <= p.refunded_cents then
      return jsonb_build_object('outcome', 'already_refunded', 'purchase_id', p.id);
    end if;
    due := (p.tokens::bigint * refunded / p.amount_cents)::integer
           - p.tokens_debited - p.tokens_unrecovered;
    taken := 0;
    if due > 0 and p.user_id is not null then
      select pr.token_balance into balance from public.profiles pr
       where pr.id = p.user_id for update;
      taken := least(due, coalesce(balance, 0));
      if taken > 0 then
        insert into public.token_ledger (user_id, delta, reason, purchase_id)
        values (p.user_id, -taken, 'refund', p.id);
      end if;
    end if;
    update public.purchases pu
       set refunded_cents = refunded,
           tokens_debited = pu.tokens_debited + taken,
           tokens_unrecovered = pu.tokens_unrecovered + greatest(due - taken, 0),
           status = case when refunded >= pu.amount_cents then 'refunded' else pu.status end,
           refunded_at = now()
     where pu.id = p.id;
    return jsonb_build_object('outcome', 'refunded', 'purchase_id', p.id,
                              'tokens_debited', taken,
                              'tokens_unrecovered', greatest(due - taken, 0));
  end
  $$;

create function public.handle_stripe_event(event jsonb)
  returns jsonb
  language plpgsql volatile security definer set search_path = ''
  as $$
  declare
    event_id text := event ->> 'id';
    event_type text := event ->> 'type';
    obj jsonb := event -> 'data' -> 'object';
    result jsonb;
  begin
    if auth.role() is distinct from 'service_role' then
      raise exception using errcode = '42501', message = 'Only the service handles Stripe events.';
    end if;
    if event_id is null or event_type is null or jsonb_typeof(obj) is distinct from 'object' then
      raise exception using errcode = '22023', message = 'That is not a Stripe event.';
    end if;
    -- The event id is the key: a concurrent delivery of the same event waits here for
    -- the first to commit, then finds it and changes nothing.
    insert into public.stripe_events (id, type) values (event_id, event_type)
    on conflict (id) do nothing;
    if not found then
      return jsonb_build_object('outcome', 'duplicate');
    end if;
    result := case event_type
      when 'checkout.session.completed' then public.stripe_checkout_completed(obj)
      when 'checkout.session.async_payment_succeeded' then public.stripe_checkout_completed(obj)
      when 'checkout.session.expired' then public.stripe_checkout_expired(obj)
      when 'charge.refunded' then public.stripe_charge_refunded(obj)
      else jsonb_build_object('outcome', 'ignored')
    end;
    update public.stripe_events e
       set outcome = result ->> 'outcome', purchase_id = (result ->> 'purchase_id')::uuid
     where e.id = event_id;
    return result;
  end
  $$;

revoke execute on function public.start_purchase(text),
  public.record_checkout_session(uuid, text), public.handle_stripe_event(jsonb)
  from public, anon, authenticated;
-- The per-type steps run only inside handle_stripe_event (which records the event first).
revoke execute on function public.stripe_checkout_completed(jsonb),
  public.stripe_checkout_expired(jsonb), public.stripe_charge_refunded(jsonb)
  from public, anon, authenticated, service_role;
grant execute on function public.start_purchase(text) to authenticated;
grant execute on function public.record_checkout_session(uuid, text),
  public.handle_stripe_event(jsonb) to service_role;
