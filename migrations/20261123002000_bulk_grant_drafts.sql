-- Bulk credit grant files as admins upload (or paste) them, kept so the
-- preview and the apply step are plain pages and form posts that work
-- without JavaScript, and the row-by-row outcome of every run of one. Only
-- the admin console's server functions read or write these tables, and every
-- one of them requires a platform admin. Files older than 30 days are
-- deleted (with their runs) when the next one is uploaded; the audit log
-- keeps each run's summary for good.
create table bulk_grant_drafts (
    id uuid primary key,
    csv text not null check (octet_length(csv) <= 1048576),
    file_name text check (file_name is null or length(file_name) between 1 and 255),
    created_by uuid not null references users (id),
    created_at timestamptz not null default now()
);

create index bulk_grant_drafts_created_idx on bulk_grant_drafts (created_at);

-- One application of a draft: who, when, and what it granted.
create table bulk_grant_runs (
    id uuid primary key,
    draft_id uuid not null references bulk_grant_drafts (id) on delete cascade,
    file_hash text not null check (file_hash ~ '^[0-9a-f]{64}$'),
    total_micros bigint not null check (total_micros >= 0),
    created_by uuid not null references users (id),
    created_at timestamptz not null default now()
);

create index bulk_grant_runs_draft_idx on bulk_grant_runs (draft_id, created_at);

-- Each row of the file and what the run did with it.
create table bulk_grant_run_rows (
    run_id uuid not null references bulk_grant_runs (id) on delete cascade,
    line integer not null check (line > 0),
    email text not null,
    amount text not null,
    expiry text not null,
    reason text not null,
    status text not null check (status in ('granted', 'already_granted', 'invalid')),
    message text,
    primary key (run_id, line),
    check ((status = 'invalid') = (message is not null))
);
