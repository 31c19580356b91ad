"""An embedded, Supabase-compatible backend (Auth, PostgREST, Storage with TUS) on loopback."""
