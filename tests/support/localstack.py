"""Pytest fixtures that run the local Supabase-compatible stack over HTTPS."""

from __future__ import annotations
