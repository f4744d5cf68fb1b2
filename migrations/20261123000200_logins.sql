-- One row per signed-in browser session. The session cookie (tower-sessions)
-- points at a login; ending a login ends that session on its next request,
-- which is how sign-out-everywhere, password changes and suspensions take
-- effect at once.
create table logins (
    id uuid primary key,
    user_id uuid not null references users (id) on delete cascade,
    created_at timestamptz not null default now(),
    last_seen_at timestamptz not null default now(),
    ended_at timestamptz,
    client_addr inet,
    user_agent text
);

create index logins_user_idx on logins (user_id, created_at desc);
