-- Privacy mail (SPEC 5.5): the deletion request now says the date it is carried out, a
-- cancellation is confirmed, and the retention notice (queued by
-- queue_retention_warnings) is a kind of its own. All are security or notice mail: sent
-- even to users who turned job updates off.
--
-- Password-recovery codes and email-change confirmations are GoTrue's own mail; their
-- templates are supabase/templates/*.html (config.toml points GoTrue at them).

alter table public.email_outbox drop constraint email_outbox_kind_check;
alter table public.email_outbox add constraint email_outbox_kind_check check (kind in (
  'purchase_paid', 'purchase_refunded', 'account_deletion_received',
  'account_deletion_done', 'job_submitted', 'job_verification', 'job_status',
  'account_deletion_cancelled', 'retention_warning'));

create or replace function public.email_on_account_deletion() returns trigger
  language plpgsql security definer set search_path = ''
  as $$
  declare
    earlier text;
    on_date text;
  begin
    if new.status = 'pending'
       and (tg_op = 'INSERT' or old.status is distinct from 'pending') then
      on_date := to_char(new.scheduled_for at time zone 'UTC', 'YYYY-MM-DD HH24:MI');
      perform public.enqueue_email(
        new.user_id, 'account_deletion_received',
        'account-deletion-received:' || new.user_id || ':'
          || extract(epoch from new.requested_at)::bigint,
        'We received your request to delete your WYNTEK account',
        array[
          'We received your request to delete your WYNTEK account and everything stored with it.',
          format('Your account will be deleted on %s UTC, within 30 days of your request as '
                 'our privacy policy promises. Until then you can cancel the deletion in '
                 'WYNTEK Desktop (Account) or with `wyntek deletion cancel`.', on_date),
          'Your files, profile and messages will then be removed. Financial records '
            || '(jobs, token ledger, purchases) are kept for 7 years as the law requires, '
            || 'without your name or email address. Jobs not yet in production are '
            || 'cancelled and refunded first.',
          'If you did not ask for this, cancel it and change your password at once.']);
    elsif tg_op = 'UPDATE' and new.status = 'cancelled' and old.status is distinct from 'cancelled' then
      perform public.enqueue_email(
        new.user_id, 'account_deletion_cancelled',
        'account-deletion-cancelled:' || new.user_id || ':'
          || extract(epoch from new.requested_at)::bigint,
        'Your WYNTEK account will not be deleted',
        array[
          'You cancelled the deletion of your WYNTEK account. Nothing was removed; your '
            || 'account, files and balance stay as they were.',
          'If you did not do this, change your password and contact support.']);
    elsif tg_op = 'UPDATE' and new.status = 'completed' and old.status <> 'completed' then
      -- The profile may already be gone: write to the address the request mail used.
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
