-- Single-use tokens sent by email. Only the SHA-256 of a token is stored.
create table email_tokens (
    token_hash bytea primary key check (length(token_hash) = 32),
    user_id uuid not null references users (id) on delete cascade,
    purpose text not null check (purpose in ('verify_email', 'reset_password')),
    -- The address the token was sent to: verifying it proves control of it,
    -- which is how a changed email address is confirmed.
    email text not null,
    created_at timestamptz not null default now(),
    expires_at timestamptz not null,
    used_at timestamptz,
    check (expires_at > created_at)
);

create index email_tokens_user_idx on email_tokens (user_id, purpose, created_at desc);
