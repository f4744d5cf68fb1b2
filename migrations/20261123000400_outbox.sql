-- Every email the portal sends, kept durably. A sender delivers pending rows
-- by SMTP when SMTP is configured; otherwise they stay here, readable by
-- platform admins, so a local install works end to end.
create table outbox (
    id uuid primary key,
    recipient text not null,
    subject text not null,
    body_text text not null,
    created_at timestamptz not null default now(),
    sent_at timestamptz,
    attempts integer not null default 0 check (attempts >= 0),
    last_error text
);

create index outbox_created_idx on outbox (created_at desc);
create index outbox_pending_idx on outbox (created_at) where sent_at is null;
