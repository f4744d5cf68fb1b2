-- People who can sign in. The platform role is global; roles scoped to an
-- organization or institution (business admin/member, coordinator) live in
-- their own membership tables, so a user can hold several at once.
create table users (
    id uuid primary key,
    email text not null,
    password_hash text not null,
    display_name text not null check (length(display_name) between 1 and 80),
    account_kind text not null check (account_kind in ('developer', 'business', 'academic', 'other')),
    organization text check (organization is null or length(organization) between 1 and 120),
    country text not null check (country ~ '^[A-Z]{2}$'),
    platform_role text not null default 'developer' check (platform_role in ('developer', 'admin')),
    status text not null default 'active' check (status in ('active', 'suspended')),
    email_verified_at timestamptz,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    check (email = btrim(email) and length(email) between 3 and 254)
);

-- Emails are unique regardless of case; lookups use lower(email).
create unique index users_email_lower_key on users (lower(email));
create index users_created_at_idx on users (created_at desc, id);

create trigger users_set_updated_at before update on users
    for each row execute function set_updated_at();
