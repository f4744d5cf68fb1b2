-- Failed sign-in attempts per account (email) and per client address.
create table auth_throttle (
    key text primary key,
    failures integer not null default 0 check (failures >= 0),
    window_started_at timestamptz not null default now(),
    locked_until timestamptz
);
