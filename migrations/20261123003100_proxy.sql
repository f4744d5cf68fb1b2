-- The inference proxy: upstream providers, the models served and their
-- prices, developers' API keys, and one usage record per proxied request.

-- An OpenAI-compatible upstream. Its secret is never stored: `secret_env`
-- names the environment variable of the portal's process that holds it.
create table providers (
    id uuid primary key,
    name text not null check (length(name) between 1 and 60),
    base_url text not null check (base_url ~ '^https?://' and length(base_url) <= 500),
    secret_env text check (secret_env is null or secret_env ~ '^[A-Za-z_][A-Za-z0-9_]{0,127}$'),
    timeout_ms integer not null default 60000 check (timeout_ms between 100 and 600000),
    -- The upstream simulator that ships with the portal; labelled as such.
    is_simulator boolean not null default false,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);
create unique index providers_name_key on providers (lower(name));
create trigger providers_set_updated_at before update on providers
    for each row execute function set_updated_at();

-- A model as the portal serves it. Prices are micro-credits per million
-- tokens; a model without both prices is never served (never billed as 0).
create table models (
    id uuid primary key,
    public_id text not null unique check (public_id ~ '^[A-Za-z0-9][A-Za-z0-9._:/-]{0,99}$'),
    provider_id uuid not null references providers (id),
    upstream_model text not null check (length(upstream_model) between 1 and 200),
    kind text not null default 'chat' check (kind in ('chat', 'embedding')),
    input_price bigint check (input_price is null or input_price >= 0),
    output_price bigint check (output_price is null or output_price >= 0),
    context_window integer not null default 8192 check (context_window > 0),
    max_output_tokens integer not null default 4096 check (max_output_tokens > 0),
    enabled boolean not null default true,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);
create trigger models_set_updated_at before update on models
    for each row execute function set_updated_at();

-- `lp_<public_id>_<secret>`; only the SHA-256 of the whole key is stored.
-- Spending is charged to `account_id` (the owner's credit account).
create table api_keys (
    id uuid primary key,
    user_id uuid not null references users (id),
    account_id uuid not null references credit_accounts (id),
    name text not null check (length(name) between 1 and 80),
    public_id text not null unique check (public_id ~ '^[a-z0-9]{12}$'),
    secret_hash bytea not null check (length(secret_hash) = 32),
    spend_cap bigint check (spend_cap is null or spend_cap > 0),
    rpm_limit integer check (rpm_limit is null or rpm_limit > 0),
    tpm_limit integer check (tpm_limit is null or tpm_limit > 0),
    expires_at timestamptz,
    -- Charged so far, and held by requests in flight, in micro-credits; both
    -- kept in the ledger's batch transaction, so that concurrent requests
    -- can never take a key past its spend cap.
    spent bigint not null default 0 check (spent >= 0),
    held bigint not null default 0 check (held >= 0),
    last_used_at timestamptz,
    revoked_at timestamptz,
    created_at timestamptz not null default now()
);
alter table api_keys set (fillfactor = 70);
create index api_keys_user_idx on api_keys (user_id, created_at desc);

-- One row per request that reached an upstream (or was refused for credit),
-- written in the same database transaction as its settlement or release.
create table usage_records (
    id uuid primary key,
    key_id uuid not null references api_keys (id),
    user_id uuid not null references users (id),
    account_id uuid not null references credit_accounts (id),
    model text not null,
    endpoint text not null check (endpoint in ('chat', 'embeddings')),
    streamed boolean not null default false,
    input_tokens integer not null default 0 check (input_tokens >= 0),
    output_tokens integer not null default 0 check (output_tokens >= 0),
    credits bigint not null default 0 check (credits >= 0),
    latency_ms integer not null default 0 check (latency_ms >= 0),
    status smallint not null,
    hold_id uuid,
    created_at timestamptz not null default now()
);
create index usage_records_user_idx on usage_records (user_id, created_at desc, id desc);
create index usage_records_key_idx on usage_records (key_id, created_at desc);
