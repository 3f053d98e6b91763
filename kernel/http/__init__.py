"""HTTP plumbing every app shares; never imports kernel.stores or any app."""
