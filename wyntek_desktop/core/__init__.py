"""Qt-free foundations: settings, errors, models, session storage and the outbox."""
