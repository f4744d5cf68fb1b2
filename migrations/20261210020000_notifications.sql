-- Notifications: what people are told in the app and by email, each at
-- most once per dedupe key; what each person wants told; and the webhooks
-- organizations' owners add for budget and balance events, with their
-- delivery log.

create table notifications (
    id uuid primary key,
    user_id uuid not null references users (id),
    kind text not null check (kind in ('low_balance', 'credits_expiring', 'key_cap_reached',
                                       'budget_threshold', 'course_ending', 'support_reply',
                                       'access_decided')),
    -- "Once" is this key: `low_balance:<grant>`, `budget:<team>:<member>:<period>:<percent>`, …
    -- A checker that loses the race to insert it fires nothing.
    dedupe_key text not null check (length(dedupe_key) between 1 and 300),
    title text not null check (length(title) between 1 and 200),
    body text not null check (length(body) <= 2000),
    -- A path of the portal; never another site.
    link text not null check (link ~ '^/([^/]|$)' and length(link) <= 500),
    -- Stored even when the person switched the kind off in the app, so the
    -- dedupe key holds when they switch it back on; only shown when true.
    in_app boolean not null,
    created_at timestamptz not null default now(),
    read_at timestamptz,
    unique (user_id, dedupe_key)
);

-- The list, newest first.
create index notifications_user_idx on notifications (user_id, created_at desc, id desc) where in_app;
-- The bell: one count on every page, read from this index alone.
create index notifications_unread_idx on notifications (user_id) where in_app and read_at is null;

-- What a person wants, per kind; no row means both on.
create table notification_preferences (
    user_id uuid not null references users (id),
    kind text not null check (kind in ('low_balance', 'credits_expiring', 'key_cap_reached',
                                       'budget_threshold', 'course_ending', 'support_reply',
                                       'access_decided')),
    in_app boolean not null,
    email boolean not null,
    primary key (user_id, kind)
);

-- A person's own low-balance threshold in micro-credits; no row (or null)
-- means 10 % of their last grant.
create table notification_settings (
    user_id uuid primary key references users (id),
    low_balance_threshold bigint check (low_balance_threshold is null or low_balance_threshold >= 0)
);

-- How far the periodic check has read usage: it reads the requests
-- recorded since (less a margin for batches committed late), so it never
-- looks at accounts, keys or members nobody spent with.
create table notification_checks (
    name text primary key check (name in ('usage')),
    checked_at timestamptz not null
);

insert into notification_checks (name, checked_at) values ('usage', now());

-- The check's read of recent usage. A BRIN index: usage records arrive in
-- time order, so block ranges summarize them well, and keeping it costs
-- the ledger writer's inserts next to nothing (a b-tree would be one more
-- index to update on the proxy's every request).
create index usage_records_created_brin on usage_records using brin (created_at);

-- An organization's webhooks (owners add them). The secret signs every
-- delivery; the owner who added it sees it once.
create table org_webhooks (
    id uuid primary key,
    team_id uuid not null references organizations (team_id),
    url text not null check (url ~ '^https?://' and length(url) <= 2000),
    secret text not null check (length(secret) between 32 and 128),
    secret_shown boolean not null default false,
    events text[] not null check (cardinality(events) between 1 and 2
                                  and events <@ array['budget.threshold', 'balance.low']),
    active boolean not null default true,
    created_by uuid references users (id),
    created_at timestamptz not null default now()
);

create index org_webhooks_team_idx on org_webhooks (team_id, created_at);

-- One event for one webhook, tried until its receiver answers 2xx or the
-- attempts run out (`next_attempt_at` null: delivered, or given up).
create table webhook_deliveries (
    id uuid primary key,
    webhook_id uuid not null references org_webhooks (id) on delete cascade,
    event text not null check (event in ('budget.threshold', 'balance.low', 'webhook.test')),
    -- The event's own "once" (the notification's dedupe key); null for tests.
    dedupe_key text check (dedupe_key is null or length(dedupe_key) between 1 and 300),
    payload jsonb not null,
    attempts integer not null default 0 check (attempts >= 0),
    next_attempt_at timestamptz,
    delivered_at timestamptz,
    last_status smallint,
    -- The start of the receiver's last answer, at most 1 KB.
    last_response text check (octet_length(last_response) <= 1024),
    last_error text check (length(last_error) <= 500),
    created_at timestamptz not null default now(),
    unique (webhook_id, dedupe_key),
    check (delivered_at is null or next_attempt_at is null)
);

-- The delivery pass: what is due.
create index webhook_deliveries_due_idx on webhook_deliveries (next_attempt_at) where next_attempt_at is not null;
-- A webhook's log, newest first.
create index webhook_deliveries_webhook_idx on webhook_deliveries (webhook_id, created_at desc);

-- Every attempt of a delivery with what the receiver answered, so the log
-- shows a failure that a later attempt got past.
create table webhook_attempts (
    delivery_id uuid not null references webhook_deliveries (id) on delete cascade,
    number integer not null check (number >= 1),
    attempted_at timestamptz not null default now(),
    status smallint,
    response text check (octet_length(response) <= 1024),
    error text check (length(error) <= 500),
    primary key (delivery_id, number)
);
