"""What every app stands on (settings, clock, users, HTTP plumbing, stores, audit, patches); imports no app."""
