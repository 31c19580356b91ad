-- Accounts created before the sign-up trigger existed (for example on a hosted project
-- that already had users) get their profile too. Running it again changes nothing.
insert into public.profiles (id, email)
select u.id, u.email
  from auth.users u
 where not exists (select 1 from public.profiles p where p.id = u.id)
on conflict (id) do nothing;
