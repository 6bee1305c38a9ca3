"""The NameServer: broker registrations, topic routes, KV config."""
